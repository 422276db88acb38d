"""Content-keyed cache of planning results, so `taskctl next` answers without loading anything.

Key: taskctl version + the tasks directory + (path, size, mtime_ns, inode, ctime_ns) of every
file in the store (any dialect keeps its tasks somewhere else; evidence/, updates/, .locks/
and .cache/ do not change a plan and are left out) + the command's parameters. Any edit,
added or removed file changes the key. Values are JSON documents (never pickles) in
`.tasks/.cache/<command>-<params hash>.answer`, one per command and parameters (so the
directory stays small), written atomically and sealed like every cache (a committed answer
would otherwise be printed as the plan); a stored answer whose key differs is refused from its
first bytes, before a 10,000-task answer (~1 MB) is parsed. Set TASKCTL_NO_CACHE=1 to bypass it.

Rendered outputs (`cli/replay.py`) live beside the answers as sealed blobs (`get_sealed`,
`put_sealed`): the per-user MAC of `files/cachekey.py` must verify before a byte is decoded.
Import-light, as the warm reads that use it are ~45 ms in all: no hashlib (its OpenSSL binding
costs ~3 ms; `_sha256` gives the same digests), no typing, json only where answers are read.

The change time is in the key because the modification time is not proof: `touch -r`, `cp -p`,
`rsync -t` and `tar x` set it back after a same-size edit, and only the kernel sets ctime.
Limit: an edit that keeps a file's size and lands within the filesystem's timestamp granularity
of the previous write (ctime included: a clock tick, or a second on coarse filesystems) is
invisible; the inode check catches editors that replace the file.
"""

from __future__ import annotations

import marshal
import os

from taskctl import __version__
from taskctl.core.files import codestamp, treewalk
from taskctl.core.files.cachekey import sha256
from taskctl.core.files.sealed import CACHE_DIR

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# no bearing on a plan (`.locks`: the locks and the write-ahead intent a write leaves behind;
# no read answer reads them)
UNWATCHED = frozenset({CACHE_DIR, "evidence", "updates", ".git", ".locks"})


def enabled() -> bool:
    return os.environ.get("TASKCTL_NO_CACHE", "") in ("", "0")


def _walk(d: str, out: list, skip: frozenset = frozenset()) -> None:
    try:
        it = os.scandir(d)
    except OSError:
        return
    with it:
        for e in it:
            try:
                if e.is_dir(follow_symlinks=False):
                    if e.name in skip:
                        continue
                    _walk(e.path, out)
                else:
                    st = e.stat()  # follows symlinks: a retargeted link changes the key
                    out.append((e.path, st.st_size, st.st_mtime_ns, st.st_ino,
                                st.st_ctime_ns - st.st_mtime_ns))
            except OSError:
                out.append((e.path, -1, 0, 0, 0))


def fingerprint(root: Path) -> list[tuple]:
    """(path, size, mtime_ns, inode, ctime_ns - mtime_ns) of every watched file, sorted: the
    change time as its distance from the modification time, 0 or a small number after most
    writes (marshal writes a small int in 5 bytes, a time in 11)."""
    out: list[tuple] = []
    held = treewalk.listing(root)  # a read answer's one walk of the store
    if held is None:
        _walk(str(root), out, UNWATCHED)
    else:
        for path, e in held.files(str(root), UNWATCHED):
            try:
                st = e.stat()  # follows symlinks: a retargeted link changes the key
                out.append((path, st.st_size, st.st_mtime_ns, st.st_ino,
                            st.st_ctime_ns - st.st_mtime_ns))
            except OSError:
                out.append((path, -1, 0, 0, 0))
    sidecar = os.path.join(os.path.dirname(str(root)), ".taskctl", "acceptance.yaml")
    if os.path.exists(sidecar):
        _walk(os.path.dirname(sidecar), out)
    out.sort()
    return out


def _code_stamp() -> list[tuple[str, int]]:
    """(file, mtime_ns) of the core that computes the answers (`files/codestamp.py`)."""
    return list(codestamp.stamp())


def _question(root: Path, command: str, params: dict[str, Any]) -> str:
    import json

    return json.dumps([__version__, _code_stamp(), str(root), command, params], sort_keys=True)


def key(root: Path, command: str, params: dict[str, Any]) -> str:
    return digest(root, _question(root, command, params))


def key_of_rows(root: Path, command: str, params: dict[str, Any],
                changed: dict[tuple, tuple], added: tuple = ()) -> str:
    """The key `key` gives for the fingerprint `rows` holds with each row in `changed` put
    back as it was (now -> then) and the rows in `added` left out (files that were not
    there): an answer's early cutoff checks with it what an earlier answer was computed from
    (`core/plan/replan.py`). The fingerprint's bytes are spliced (marshalling 10,000 rows
    again costs ≈ 4 ms, a splice ≈ 1): in marshal's version 2 a list is its length (4 bytes
    after the type code) and then each item written as it is alone, and a row's path
    appears once."""
    got = _taken(root)
    if got is None:
        raise ValueError("no fingerprint taken")
    data = got[1]
    for now, was in [*changed.items(), *((row, None) for row in added)]:
        old = marshal.dumps(now, 2)
        at = data.find(old)
        if at < 0 or data.find(old, at + 1) >= 0:
            raise ValueError("a fingerprint row not found once")
        data = data[:at] + (b"" if was is None else marshal.dumps(was, 2)) + data[at + len(old):]
    if added:
        n = int.from_bytes(data[1:5], "little") - len(added)
        data = data[:1] + n.to_bytes(4, "little") + data[5:]
    h = sha256(data)  # as `digest`: the fingerprint, then the question
    h.update(_question(root, command, params).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def rows(root: Path) -> list[tuple] | None:
    """The fingerprint the last `key` of `root` was taken from (inside a read answer, its
    one walk; outside, this thread's last), as rows; None when none was taken, or a resident
    process's token stood for it (`pin`)."""
    got = _taken(root)
    return None if got is None else got[0]


def _taken(root: Path) -> tuple[list[tuple], bytes] | None:
    held = treewalk.listing(root)
    if held is not None:
        return (held.memo["rows"], held.memo["fingerprint"]) if "rows" in held.memo else None
    last = getattr(_local, "taken", None)
    return last[1:] if last is not None and last[0] == str(root) else None


_local: Any = None  # a `threading.local` made on first use outside a read answer


def _remember(value: tuple) -> None:
    """Outside a read answer, the fingerprint this thread's last key was taken from (a long-
    lived caller, the MCP server, may answer in worker threads): the early cutoff checks the
    rows the new key stands for, never a later walk's."""
    _here().taken = value


def _here() -> Any:
    """This thread's memo outside a read answer (a `threading.local`, made on first use)."""
    global _local
    if _local is None:
        import threading

        _local = threading.local()
    return _local


def _note_miss(root: Path, name: str, blob: bytes) -> None:
    held = treewalk.listing(root)
    if held is not None:
        held.memo["missed"] = (name, blob)
    else:
        _here().missed = (str(root), name, blob)


def missed(root: Path, name: str) -> bytes | None:
    """The sealed answer in slot `name` that `get` just read and found not to be the current
    one (this read answer's, else this thread's, last miss), taken once: the early cutoff
    reads it without reading ~1 MB again; None when `get` read none there."""
    held = treewalk.listing(root)
    if held is not None:
        got = held.memo.pop("missed", None)
        return got[1] if got is not None and got[0] == name else None
    got = getattr(_local, "missed", None)
    if got is None:
        return None
    del _local.missed
    return got[2] if got[:2] == (str(root), name) else None


MARKER = "serve.marker"  # in .cache/ while a resident process serves the store
LARGE = 2000  # files in a read's walk: a store whose reads start its server (cli/autoserve.py)


def marked(root: Path | str) -> bool:
    """Does a resident process (`taskctl serve`) say it serves `root`? A hint only, ~10 µs:
    a read must not load the socket module (~1-2 ms) to learn that none runs; a stale marker
    costs a refused connect (`core/resident/channel.py` checks who answers)."""
    return os.path.exists(os.path.join(root, CACHE_DIR, MARKER))


def pin(root: Path, token: str) -> None:
    """Inside a read answer (`treewalk.held()`): key `root`'s answers by `token` instead of
    walking the store. A resident process that watches every file the walk covers
    (`core/resident/watch.py`) hands out a token that changes whenever one of them may have
    (its id and a change counter)."""
    held = treewalk.listing(root)
    if held is not None:
        held.memo["fingerprint"] = b"resident\0" + token.encode("utf-8", "surrogatepass")


def _rows(root: Path) -> bytes:
    """The fingerprint's bytes; inside a read answer taken once (it looks up its drawn output
    and then its answer: a 10,000-file walk and hash cost ~45 ms, too much to pay twice)."""
    held = treewalk.listing(root)
    if held is not None and "fingerprint" in held.memo:
        return held.memo["fingerprint"]
    # marshal version 2: no back-references, so equal rows give equal bytes in any process
    # (a repr of 10,000 rows cost ~8 ms; this ~1 ms)
    found = fingerprint(root)
    rows = marshal.dumps(found, 2)
    if held is not None:
        held.memo["fingerprint"], held.memo["files"], held.memo["rows"] = rows, len(found), found
    else:
        _counted[str(root)] = len(found)
        _remember((str(root), found, rows))
    return rows


_counted: dict[str, int] = {}  # root -> files of its last fingerprint taken outside held()


def files_seen(root: Path) -> int:
    """How many files the read answer's fingerprint of `root` covered — outside
    `treewalk.held()`, the last one this process took (a long-lived caller: the MCP server
    asks right after its answer's key); 0 when it took none (the cache disabled, a resident
    process's token instead)."""
    held = treewalk.listing(root)
    return _counted.get(str(root), 0) if held is None else held.memo.get("files", 0)


def digest(root: Path, head: str) -> str:
    """sha256 hex of the fingerprint of the store at `root`, then `head`. The fingerprint's
    hash is taken once and copied for each key (a read answer takes two or three keys of
    the same ~0.6 MB on 10,000 files)."""
    rows = _rows(root)
    held = treewalk.listing(root)
    memo = held.memo if held is not None else _here().__dict__
    got = memo.get("hashed")
    if got is None or got[0] is not rows:
        got = memo["hashed"] = (rows, sha256(rows))
    h = got[1].copy()
    h.update(head.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def slot_name(command: str, params: dict[str, Any]) -> str:
    """The file name, in `.cache/`, of the answer to `command` with `params`."""
    import json

    ph = sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    return f"{command}-{ph}.answer"


def _head(k: str) -> bytes:
    """How a stored answer under key `k` begins (`put` writes the key first, compactly)."""
    return b'{"key":"' + k.encode() + b'",'


def get(root: Path, command: str, params: dict[str, Any]) -> tuple[str | None, Any | None]:
    """(key, payload) — payload None on a miss (or when the cache is unreadable, unsealed or
    forged). (None, None) when the cache is disabled (TASKCTL_NO_CACHE=1): no walk of the
    store for a key nothing would be stored under (~75 ms on 10,000 files)."""
    if not enabled():
        return None, None
    k = key(root, command, params)
    name = slot_name(command, params)
    blob = get_sealed(root, name)
    if blob is None:
        return k, None
    if not blob.startswith(_head(k)):
        _note_miss(root, name, blob)  # an earlier answer: the early cutoff may start from it
        return k, None
    try:
        doc = own_json(blob)
    except ValueError:
        return k, None
    if not isinstance(doc, dict) or doc.get("key") != k:
        return k, None
    return k, doc.get("payload")


def put(root: Path, command: str, params: dict[str, Any], k: str | None, payload: Any) -> None:
    """Store `payload` under key `k`; silently skipped when the directory is not writable, or
    the cache disabled (no key: `get` gave None; the answer is not even serialised)."""
    if k is None or not enabled():
        return
    import json

    text = json.dumps({"key": k, "payload": payload}, separators=(",", ":"))
    name = slot_name(command, params)
    put_sealed(root, name, text.encode("utf-8"))
    from taskctl.core.files import sealed

    # earlier versions' unsealed answer
    sealed.drop_legacy(os.path.join(root, CACHE_DIR, name.removesuffix(".answer") + ".json"))


def own_json(blob: bytes) -> Any:
    """The JSON document of a sealed blob (`get_sealed`: its tag proved this user's taskctl
    wrote it, as it proves the marshal data of the other slots), parsed as it was written:
    without the limits that guard JSON from elsewhere (`files/jsonread.py`, ~2x the parse of
    a 10,000-task answer of ~1 MB). Raises ValueError when it is no JSON."""
    import json

    try:
        return json.loads(blob)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


MAX_SEALED = 16 << 20  # a rendered answer of a very large backlog


def get_sealed(root: Path, name: str) -> bytes | None:
    """The payload of `.cache/<name>` when its tag verifies under the user's key, else None
    (missing, unreadable, over MAX_SEALED, forged or corrupted, or the cache disabled)."""
    if not enabled():
        return None
    from taskctl.core.files import sealed

    return sealed.read(root, name, MAX_SEALED)


def put_sealed(root: Path, name: str, payload: bytes) -> None:
    """Store `payload` sealed as `.cache/<name>`; skipped without a key, a writable store, or
    when .cache leads out of the tree (`files/sealed.py`)."""
    if enabled() and len(payload) <= MAX_SEALED:
        from taskctl.core.files import sealed

        sealed.write(root, name, payload)


def cached(root: Path, command: str, params: dict[str, Any], compute) -> Any:
    """`compute()` memoised under the content key (compute must return JSON-able data)."""
    k, payload = get(root, command, params)
    if payload is None:
        payload = compute()
        put(root, command, params, k, payload)
    return payload

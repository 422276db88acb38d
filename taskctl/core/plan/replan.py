"""A read answer after a few task files were edited, without loading or planning again, when
the edits cannot change it (an *early cutoff*, as build systems make it: a rebuilt input equal
to the old one stops the rebuild there).

`next`, `ready`, `critical-path` and `status` read of each task its id, status, priority,
dependencies, `blocks`, milestone, phase and estimates (the ranking, the CPM, the estimates,
progress by phase and milestone, the cross-file checks: `stored.plan_view`); `next` and
`ready` show its title as is; every answer counts the load's problems. When the stored answer
of the question was computed from a store that differs from the current one only in a few
task files (its key, `cache.key_of_rows`, is taken again with those files' earlier stat keys:
every other watched file — the manifest, claims, milestones, the other task files — is as it
was), and each edited file, parsed and merged with its manifest entry as a load does
(`snapshot.Restored._patch`), reads the same to the answer, the answer is the stored one with
the edited tasks' titles and the problem counts of their file and merge put right. Anything
else (a dependency, status, phase or estimate edited, an id changed, a file added, the
manifest rewritten, a stored basis missing) returns None: the caller loads and plans as
before — but for taskctl's own writes that moved tasks between pending and in_progress (a
claim) and another program's edit of one manifest entry, which `restatus.py` puts right in
every answer but `status`'s.

Where the earlier files' views come from: the stored backlog's plan bases (`light.py`), or,
for files an earlier cutoff already took in, the answer's companion (`<slot>.over`: the
answer's key and those files' keys and bases), which is trusted only beside the answer with
that key. tests/taskctl/core/plan/test_replan.py compares every answer made here with one
computed from a full load, over random edits of every front-matter field.
"""

from __future__ import annotations

import bisect
import marshal
import os
from pathlib import Path

from taskctl.core.files.sealed import CACHE_DIR
from taskctl.core.load import filecache, light
from taskctl.core.plan import answertext, cache

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

COMMANDS = ("next", "ready", "critical-path", "status")
MAX_FILES, MAX_OVER = light.MAX_FILES, light.MAX_OVER
MARGIN_NS = 2 * 10**9  # files written this long before the stored answer are looked at too


def _over_name(slot: str) -> str:
    return slot + ".over"


def _stored(root: Path, slot: str) -> tuple[str, bytes, dict, tuple | None] | None:
    """(key, the stored answer's bytes, companion files, companion manifest state) of the
    answer in `slot`; its JSON is parsed only once the cutoff holds (~1 MB on 10,000
    tasks)."""
    blob = cache.missed(root, slot) or cache.get_sealed(root, slot)
    if blob is None or not blob.startswith(b'{"key":"'):
        return None
    end = blob.find(b'"', 8)
    if end < 0:
        return None
    key = blob[8:end].decode("ascii", "replace")
    over: dict = {}
    mstate = None
    extra = cache.get_sealed(root, _over_name(slot))
    if extra is not None:
        try:
            k, files, ms = marshal.loads(extra)
        except (ValueError, EOFError, TypeError):
            k, files, ms = None, None, None
        if k == key and isinstance(files, dict) and (ms is None or _manifest_state(ms)):
            over, mstate = files, ms
    return key, blob, over, mstate


def _manifest_state(ms: Any) -> bool:
    """Is `ms` a companion's manifest state: (stat key, digest) (`restatus.patched`)?"""
    return (type(ms) is tuple and len(ms) == 2 and type(ms[0]) is tuple and len(ms[0]) == 4
            and all(type(x) is int for x in ms[0]) and type(ms[1]) is bytes)


def patched(root: Path, command: str, params: dict[str, Any],
            new_key: str) -> tuple[dict, bytes, dict, tuple | None] | None:
    """(the answer, its text to store under `new_key`, its companion files and manifest
    state) when the stored answer stands after the task files edited since it was computed
    — or, but for `status`, after taskctl's own writes moved tasks between pending and
    in_progress (`restatus.py`) —, made right; else None."""
    if command not in COMMANDS or set(params) != {"weight"}:
        return None  # a forced dialect or tag: the full path
    lt = light.read(root)
    if lt is None:
        return None
    mkey = filecache.file_key(os.path.join(root, "manifest.json"))
    rewritten = lt.manifest_key is None or mkey is None or mkey[:2] != lt.manifest_key[:2]
    if rewritten and command == "status":
        return None  # the manifest rewritten (a claim, a set): plan again, without more reads
    rows = cache.rows(root)
    slot = cache.slot_name(command, params)
    got = _stored(root, slot) if rows is not None else None
    if got is None:
        return None
    old_key, blob, over, mstate = got
    try:  # files older than the stored answer (less a margin) are not looked at
        since = os.stat(os.path.join(root, CACHE_DIR, slot)).st_mtime_ns - MARGIN_NS
    except OSError:
        since = 0
    if rewritten or mstate is not None:  # after a claim, a release, a set
        from taskctl.core.plan import restatus

        moved = _moved(rows, {**lt.keys, **{s: v[0] for s, v in over.items()}}, since)
        try:
            return None if moved is None else restatus.patched(
                root, command, params, new_key, lt, rows, moved, old_key, blob, over, mstate)
        except (ValueError, TypeError):  # the fingerprint not as its rows say, an answer
            return None  # not JSON or not of this shape
    # the answer was computed with each task file at one of the keys a basis is known for:
    # the companion's, else the delta's (newest), else the snapshot's — or, when the delta
    # patched in a file since (another command's load after the edit), the snapshot's
    keys = {**lt.keys, **{s: v[0] for s, v in over.items()}}
    older = {**lt.keys, **lt.stored_keys, **{s: v[0] for s, v in over.items()}}
    for assumed in (keys, older) if lt.patched else (keys,):
        try:
            changed = _changed(root, command, params, rows, assumed, lt.manifest_key, old_key,
                               since)
        except ValueError:  # the fingerprint's bytes not as its rows say: plan again
            return None
        if changed:
            break
    else:
        return None
    got = answertext.counts(blob, old_key)
    if got is None:
        return None
    errors, warnings = got
    titles, files = [], dict(over)
    for s in changed:
        known = lt.file(s, before_delta=assumed is older and s not in over)
        if known is None:
            return None
        tid, i, entry, basis = known
        if s in over:
            basis = over[s][1]
        key = filecache.file_key(s)  # taken before it is parsed (the walk's, in a read)
        fresh = light.basis_now(root, Path(s), tid, marshal.loads(entry))
        if basis is None or key is None or fresh is None or fresh[0] != basis[0]:
            return None
        errors += fresh[2] - basis[2]
        warnings += (fresh[3] - fresh[2]) - (basis[3] - basis[2])
        if fresh[1] != basis[1]:
            titles.append((tid, basis[1], fresh[1]))
        files[s] = (key, fresh)
    if len(files) > MAX_OVER:
        return None
    text = answertext.retitled(blob, old_key, new_key, errors, warnings, titles, command)
    doc = None if text is None else answertext.answer(text, new_key)
    return None if doc is None else (doc, text, files, None)


def _changed(root: Path, command: str, params: dict[str, Any], rows: list[tuple],
             assumed: dict[str, tuple | None], manifest_key: tuple | None,
             old_key: str, since: int = 0) -> list[str] | None:
    """The task files whose stat differs from the `assumed` one (their basis's), when the
    answer under `old_key` was computed from the store's `rows` with those files at their
    assumed stat: anything else that differs (a file added, the manifest, a claim) gives
    None, as does a file with no assumed stat.

    Only rows modified at `since` or later are looked at (the stored answer's time less
    `MARGIN_NS`, for coarse timestamps: ~10,000 dictionary lookups cost ~15 ms, the filter
    ~1 ms). That is safe: the key taken again is the proof — a file changed since the answer
    but left out (its time set back: `touch -d`, `tar x`) makes the key differ, and the plan
    is computed."""
    manifest = os.path.join(root, "manifest.json")
    at = bisect.bisect_left(rows, (manifest,))
    if at < len(rows) and rows[at][0] == manifest and assumed.get(manifest) is None and (
            manifest_key is None or rows[at][1:] != (
            manifest_key[0], manifest_key[1], manifest_key[3],
            manifest_key[2] - manifest_key[1])):
        return None  # the entries stored are not the manifest's now
    before = _moved(rows, assumed, since)
    if not before or cache.key_of_rows(root, command, params, before) != old_key:
        return None
    return [row[0] for row in before]


def _moved(rows: list[tuple], assumed: dict[str, tuple | None],
           since: int) -> dict[tuple, tuple] | None:
    """The rows of files whose stat differs from the `assumed` one, now -> as assumed (a
    fingerprint row: path, size, mtime, inode, ctime - mtime), among the rows modified at
    `since` or later; None when more than `MAX_FILES` differ."""
    before: dict[tuple, tuple] = {}
    get = assumed.get
    for row in [r for r in rows if r[2] >= since]:
        was = get(row[0])  # a stat key: (size, mtime_ns, ctime_ns, inode)
        if was is not None and (row[2] != was[1] or row[1] != was[0] or row[3] != was[3]
                                or row[4] != was[2] - was[1]):
            if len(before) == MAX_FILES:
                return None
            before[row] = (row[0], was[0], was[1], was[3], was[2] - was[1])
    return before


def store(root: Path, command: str, params: dict[str, Any], key: str, text: bytes,
          files: dict, mstate: tuple | None = None) -> None:
    """The answer's text (under its new key, `patched`) and its companion."""
    slot = cache.slot_name(command, params)
    cache.put_sealed(root, slot, text)
    cache.put_sealed(root, _over_name(slot), marshal.dumps((key, files, mstate)))

"""One lifecycle change as a unit: a write-ahead intent, then the files, then the manifest.

Every lifecycle command (new, set, dep, start/claim/.../reopen, log, archive) builds a `Change`
and applies it under the tree lock:

1. the intent `.locks/intent.json` (everything below), written in place and fsynced;
2. `writes`, in order, each atomically. The FIRST write is the commit point (usually the task
   file);
3. `removes` (a released claim, an archived file's old path);
4. the manifest entries are patched and the derived data regenerated (under the manifest lock);
5. the intent is emptied.

A process killed anywhere leaves every file whole (atomic writes). The next lifecycle command
finds the intent (`recover`): if the commit point holds the intended text the change is rolled
forward (the remaining writes, removes and manifest patch are idempotent), else nothing of it
had been written and it is dropped. So a task is created, claimed or edited completely or not at
all, and manifest and task files agree again after the next command.

Why the intent is written in place, not through a temp file: it is a write-ahead record, read
only under the tree lock. Truncated, rewritten and fsynced before the first real write, a torn
intent is a prefix of a JSON object (unreadable, so dropped) and nothing after it had started;
an empty one means no change is pending. Rewriting the same file needs no directory fsync, so
every change costs one fsync less than a fresh file would (each fsync is a disk flush: ~4 ms on
the shared VM). The final state stays as durable as before: every write is fsynced and renamed
and its folder fsynced before the intent is emptied. Emptying it is not fsynced (as the removal
before it was not): an intent that reappears after a crash is rolled forward only while its
commit point still holds the intended text, and re-applying it changes nothing.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.core.files import atomic, jsonread, locks
from taskctl.core.load import journal
from taskctl.core.write.phases import move_phase

INTENT = "intent.json"
# never follow a symlink, never wait on a FIFO someone put there
_OPEN_FLAGS = os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)


@dataclass
class Change:
    """What one command writes. Paths are relative to the tasks directory."""

    op: str
    task: str
    writes: list[tuple[str, str]] = field(default_factory=list)  # (path, text); [0] commits
    removes: list[str] = field(default_factory=list)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {key: value|None}
    order: list[str] = field(default_factory=list)  # ids to append as new entries, in order
    phases: dict[str, str | None] = field(default_factory=dict)  # id -> its manifest phase
    # what `apply` could not do, for the command to say (not part of the intent record)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"op": self.op, "task": self.task, "writes": [list(w) for w in self.writes],
                "removes": list(self.removes), "entries": self.entries, "order": self.order,
                "phases": self.phases}


def not_patched(why: str) -> str:
    """The warning of a write that left the manifest as it was because of `why`."""
    return (f"manifest.json not updated: {why}; the task file was written (fix the manifest, "
            "then `taskctl sync --write`)")


def read_manifest(path: Path) -> tuple[dict | None, str | None]:
    """(the manifest's data, None), or (None, why it cannot be patched): not readable as JSON
    within the loader's limits (a byte-order mark is fine), or not an object with a `tasks`
    list. The caller checks that the file exists."""
    data, why, _raw = read_manifest_bytes(path)
    return data, why


def read_manifest_bytes(path: Path) -> tuple[dict | None, str | None, bytes]:
    """`read_manifest`, with the bytes it parsed (a writer records what it changed in them:
    `journal.py`)."""
    raw = b""
    try:
        raw = jsonread.read(path)
        data = jsonread.from_bytes(raw)
    except jsonread.JsonLimit as e:
        return None, e.message + (f" (line {e.line}, column {e.column})" if e.line else ""), raw
    except (OSError, ValueError) as e:
        return None, str(e) or type(e).__name__, raw
    if not isinstance(data, dict) or not isinstance(data.get("tasks", []), list):
        return None, "it is not an object with a `tasks` list", raw
    return data, None, raw


def write_recorded(root: Path, path: Path, data: dict, old: bytes,
                   changed: dict[int, Any] | None, from_entries: bool = False) -> None:
    """Write the manifest `data` (read, under the manifest lock, as the bytes of digest
    `old`) and, when `changed` names every entry this write changed (index -> entry; None:
    it changed more, an entry added or the phases), record that in the journal
    (`journal.py`; `from_entries`: its derived parts are `derived_from_entries`')."""
    after = atomic.write_json(path, data)
    if changed is not None and journal.vouches(after):
        journal.record(root, old, journal.digest(after), len(data["tasks"]), changed,
                       from_entries)


def _inside(root: Path, rel: str) -> Path:
    p = Path(os.path.normpath(root / rel))
    if p != root and root not in p.parents:
        raise ValueError(f"path {rel!r} leaves the tasks directory")
    return p


def apply(root: Path, ch: Change) -> None:
    """Write `ch` (call under `locks.tree_lock`)."""
    intent = {**ch.to_dict(), "commit": [ch.writes[0][0]] if ch.writes else None}
    _write_intent(locks.lock_dir(root) / INTENT,
                  (json.dumps(intent, ensure_ascii=False) + "\n").encode("utf-8"))
    _finish(root, ch)


def _open_intent(path: Path, flags: int) -> int | None:
    """The intent file opened with `flags`, or None when there is none. Only a regular file
    of its own (no symlink, FIFO, folder or hard link to another file) is ever opened: what a
    hostile tree put there instead is removed, never followed, as the rename of a temp file
    replaced it before. Truncating is left to the caller, after this check."""
    try:
        fd = os.open(path, flags | _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno not in (errno.ELOOP, errno.ENXIO, errno.EISDIR):
            raise
        _remove_foreign(path)
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        _remove_foreign(path)
        return None
    return fd


def _remove_foreign(path: Path) -> None:
    try:
        os.unlink(path)
    except IsADirectoryError:
        os.rmdir(path)  # an empty folder; a full one makes this fail loudly, not silently


def _write_intent(path: Path, data: bytes) -> None:
    """Write the intent in place and fsync it (see the module docstring)."""
    fd, created = _open_intent(path, os.O_WRONLY), False
    if fd is None:
        fd, created = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS,
                              0o644), True
    try:
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # a new directory entry: make it durable too (once per tree)
        atomic.fsync_dir(path.parent)


def _read_intent(path: Path) -> bytes:
    fd = _open_intent(path, os.O_RDONLY)
    if fd is None:
        return b""
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _clear_intent(root: Path) -> None:
    fd = _open_intent(root / locks.LOCK_DIR / INTENT, os.O_WRONLY)
    if fd is not None:
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)


def _through_link(root: Path, path: Path) -> Path:
    """A task file that is a symbolic link to another file of the tree is written at its
    target (replacing the link with a file would part the two); a link that leads outside the
    tree is replaced, never followed (the loader refuses to read one anyway)."""
    if not path.is_symlink():
        return path
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real if top in real.parents else path


def _finish(root: Path, ch: Change) -> None:
    for rel, text in ch.writes:
        path = _through_link(root, _inside(root, rel))
        try:
            if path.read_text("utf-8") == text:
                continue  # rolled forward: already there
        except (OSError, UnicodeDecodeError):
            pass
        atomic.write_text(path, text)
    for rel in ch.removes:
        try:
            _inside(root, rel).unlink()
        except FileNotFoundError:
            pass
    if ch.entries or ch.phases:
        why = patch_manifest(root, ch.entries, ch.order, ch.phases)
        if why is not None:
            ch.warnings.append(not_patched(why))
    _clear_intent(root)


def recover(root: Path) -> str | None:
    """Finish or drop a change a killed process left behind. Returns what was done, if any.
    Call under `locks.tree_lock`."""
    try:
        raw = _read_intent(root / locks.LOCK_DIR / INTENT)
        if not raw:
            return None  # the last change finished (or none ever ran)
        d = json.loads(raw.decode("utf-8"))
        ch = Change(d["op"], d["task"], [tuple(w) for w in d["writes"]], list(d["removes"]),
                    dict(d["entries"]), list(d.get("order") or []), dict(d.get("phases") or {}))
        commit = d.get("commit")
        if commit and (not ch.writes or ch.writes[0][0] != commit[0]):
            raise ValueError("the commit point is not the first write")
    except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
        _clear_intent(root)  # torn (killed while writing it: nothing after it started) or foreign
        return "dropped an unreadable intent"
    if commit and not _committed(root, commit, ch.writes[0][1]):
        _clear_intent(root)
        return f"dropped an unfinished {ch.op} of {ch.task} (nothing of it was written)"
    _finish(root, ch)
    return f"finished an interrupted {ch.op} of {ch.task}"


def _committed(root: Path, commit: list, text: str) -> bool:
    """Does the commit point hold the intended text? (An intent left by an earlier taskctl
    names the text's SHA-256 as a second item.)"""
    try:
        now = _inside(root, commit[0]).read_text("utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if len(commit) > 1:
        import hashlib

        return hashlib.sha256(now.encode("utf-8")).hexdigest() == commit[1]
    return now == text


def patch_manifest(root: Path, patches: dict[str, dict[str, Any]], order: list[str],
                   phases: dict[str, str | None] | None = None) -> str | None:
    """Apply entry patches (a value of None removes the key), move tasks between the
    manifest's `phases` lists, and regenerate the derived data from the patched entries.
    No manifest: nothing to do. One it cannot read or that is not a manifest object is left
    as it is (the task files stay the truth; `taskctl validate` reports it) and why is
    returned, for the command to say; else None."""
    path = root / "manifest.json"
    if not path.exists():
        return None
    with locks.manifest_lock(root):
        data, why, before = read_manifest_bytes(path)
        if data is None:
            return why
        old = journal.digest(before)
        had = "tasks" in data
        entries = data.setdefault("tasks", [])
        count = len(entries)
        where = {e.get("id"): e for e in entries if isinstance(e, dict)}
        was = {tid: dict(where[tid]) for tid in patches if tid in where}  # for `_restatused`
        for tid in order:
            if tid not in where:
                where[tid] = {"id": tid}
                entries.append(where[tid])
        for tid, patch in patches.items():
            e = where.get(tid)
            if e is None:
                continue
            for k, v in patch.items():
                if v is None:
                    e.pop(k, None)
                else:
                    e[k] = v
            _canonical_order(e)
        for tid, name in (phases or {}).items():
            move_phase(data, tid, name)
        from taskctl.core.write import sync

        # what changed, for the journal: the patched entries, when no entry was added, no
        # phase moved and the document had its entries list
        simple = had and len(entries) == count and not phases
        derived = (_restatused(data, entries, where, was, patches)
                   if simple and journal.entries_derived(root, old) else None)
        if derived is None:
            derived = derived_from_entries(root, data)
        sync.put_derived(data, derived)
        patched = {id(where[tid]) for tid in patches if tid in where}
        changed = ({i: e for i, e in enumerate(entries) if id(e) in patched}
                   if simple and set(derived) <= journal.DERIVED else None)
        write_recorded(root, path, data, old, changed, from_entries=True)
    return None


STATUS_KEYS = frozenset({"status", "started_at", "completed_at"})  # no bearing on the rest


def _restatused(data: dict, entries: list, where: dict, was: dict[str, dict],
                patches: dict[str, dict[str, Any]]) -> dict | None:
    """`derived_from_entries(data)` without building every task, for patches that change
    statuses alone (a claim, a release), each within the planned statuses or without
    (`status.PLANNED`: the critical path has the same tasks) — when the journal says the
    derived parts there were computed from the entries as they were (`was`: the patched
    entries before). Only `stats.by_status` changes then. None when it cannot tell so (a
    patch of another key, ids written twice, derived parts missing): computed in full."""
    from taskctl.core.load import specs
    from taskctl.core.status import PLANNED

    stats, graph = data.get("stats"), data.get("dependency_graph")
    if (any(not STATUS_KEYS.issuperset(p) for p in patches.values())
            or len(where) != sum(isinstance(e, dict) for e in entries)
            or not isinstance(stats, dict) or not isinstance(stats.get("by_status"), dict)
            or not isinstance(graph, dict)):
        return None
    counts = dict(stats["by_status"])
    for tid, before in was.items():
        old = specs.from_mapping(before, "entry", tid)[0].status
        new = specs.from_mapping(where[tid], "entry", tid)[0].status
        if old == new:
            continue
        if (old in PLANNED) != (new in PLANNED) or not counts.get(old, 0) > 0:
            return None
        counts[old] -= 1
        if not counts[old]:
            del counts[old]
        counts[new] = counts.get(new, 0) + 1
    counted = {"total": stats.get("total"), "by_status": dict(sorted(counts.items())),
               "deferred": stats.get("deferred")}  # not a status: how many are deferred
    out = {"dependency_graph": graph, "stats": counted}
    if "critical_path" in data:
        out["critical_path"] = data["critical_path"]
    return out


def _canonical_order(e: dict) -> None:
    from taskctl.core.write import sync  # lazy: `log` patches no manifest entry

    keys = ["id", *(k for k in sync.ENTRY_FIELDS if k in e)]
    rest = [k for k in e if k not in keys]
    items = [(k, e[k]) for k in keys + rest]
    e.clear()
    e.update(items)


def derived_from_entries(root: Path, data: dict) -> dict:
    """`sync.derived` computed from the manifest entries (kept equal to the task files by
    every taskctl write), so a one-task change need not load every task file."""
    from taskctl.core.load import manifest as mf
    from taskctl.core.load import specs
    from taskctl.core.model import Backlog
    from taskctl.core.write import sync

    tasks = {}
    for e in data.get("tasks", []):
        if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"] not in tasks:
            tasks[e["id"]] = specs.from_mapping(e, "entry", e["id"])[0]
    bl = Backlog(root=root, tasks=tasks, manifest=None, deferred=mf.deferred_ids(data))
    return sync.derived(bl)

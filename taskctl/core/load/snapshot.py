"""The last load's merged backlog, stored, so that the next load re-parses only what changed.

A warm load of a large tree still does ~0.07 ms of Python work per task although the per-file
cache (`filecache.py`) spares it every parse: rebuild each task from the cache, read and check
the manifest, merge each task file with its manifest entry, run the cross-file checks (10,000
tasks: ~0.7 s). This module keeps the *result* of a load without bodies (the planning views,
`list`, `status`, `validate`, the writers' loads) in `.tasks/.cache/backlog.marshal`, sealed
like the per-file cache, with what it was computed from: the task files' listing and stat
keys, the manifest's and the milestone files' stat keys, taskctl's code stamp, the tree's place.

The next load lists and stats the files (the per-file cache does the same) and then:

- nothing changed: the backlog is rebuilt from the stored one (plain tuples, as the per-file
  cache does per file): no manifest parse, no merge, no checks;
- a few task files changed (at most `MAX_CHANGED`), each one merged with its manifest entry
  (not a duplicate id, not an orphan, not a stand-in) whose new text parses to a task of the
  same id: only those files are parsed and merged again, and the milestones and the
  cross-file checks run again over the whole backlog (after edits of statuses alone, only the
  completion-order check: `checks.run_statuses`). Every problem keeps its place: the
  loader cuts its problems into slots (one per task file, per manifest entry and per entry's
  merge, then orphans, milestones, checks) and only the changed slots are replaced. What
  changed is stored beside the snapshot (`backlog-delta.marshal`, a few KB) rather than
  rewriting it (~10 MB on 10,000 tasks: ~0.1 s), until the delta holds `MAX_CHANGED` files;
- the manifest rewritten (every `claim` and `set` rewrites it, usually one entry changed in
  place): the changed entries are those taskctl's own writes recorded (`journal.py`: no parse
  of the manifest), else its entries are compared with the stored ones (marshal bytes); the
  task files of the changed entries are merged again with their new entries as edited files
  are (the cross-file checks likewise: a claim's status change reruns the completion order
  alone), the manifest's schema findings and those entries' findings are found again in the
  new text, and so is every problem located in the manifest by an unchanged entry (its line
  may have moved: that entry's file is merged again). A new snapshot is stored (at exit in a
  read answer), not a delta;
- anything else (a file added, removed or renamed, a manifest entry added, removed, moved
  or given another id or file, anything else of the manifest changed, a milestone file
  changed, an id changed, a file that no longer parses, too many changes): a full load,
  which stores a new snapshot.

Sources are rebuilt lazily: a restored task's positions come from its file, read on demand (as
for a per-file cache hit), its manifest lines from the manifest's text, and the manifest's data
is parsed only if something reads it (`LazyManifest`). A file written within the racy window
is stored without a key (so it is parsed again until it is older); a load that looked at files
it did not list (a manifest entry naming a file elsewhere) stores nothing.
tests/taskctl/core/load/test_snapshot.py holds restored and patched loads equal to full loads.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from functools import partial
from pathlib import Path

from taskctl.core.files import sealed
from taskctl.core.load import (
    checks,
    entryrows,
    filecache,
    merge,
    milestones,
    safeyaml,
    specs,
)
from taskctl.core.load import manifest as mf
from taskctl.core.load import taskplain as tp
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.load.stored import DELTA, HEAD, NAME, plan_basis, plan_shard
from taskctl.core.load.stored import read as _read
from taskctl.core.load.stored import write as _write
from taskctl.core.load.taskfile import CachedTaskFile
from taskctl.core.load.taskpaths import task_files, under
from taskctl.core.model import Backlog, Manifest, Milestone, Phase, Source
from taskctl.core.problems import Problem, Severity, problem

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

_HEAD_KEYS = ("id", "listing", "keys", "manifest_key", "milestones")  # what decides a fit
MAX_CHANGED = 64  # changed files patched in; more: a full load (it parses them anyway)
_FIXED = (("milestones",), ("checks",))  # slots computed again whenever anything changed


def _racy(key: tuple | None, now_ns: int) -> bool:
    return key is None or now_ns - max(key[1], key[2]) < filecache.RACY_NS


def _problem(p: Problem) -> tuple:
    return (p.code, p.message, p.file, p.line, p.column, p.hint, p.severity.value, p.task)


def _revive(t: tuple) -> Problem:
    code, message, file, line, column, hint, severity, task = t
    return Problem(code, message, file, line, column, hint, Severity(severity), task)


def _cites(p: tuple, mrel: str) -> bool:
    """Is stored problem `p` located in the manifest `mrel`, or does its text name a line of
    it (an id disagreement cites the entry's `id` line)? A rewritten manifest may have moved
    that line: the problem is found again."""
    return p[2] == mrel or f"({mrel}:" in p[1]


def _task(t: Any, src: Source, entry: int | None) -> tuple:
    """A task's stored row; ValueError when marshal cannot hold its front matter."""
    head, packed = tp.to_row(t)
    return (t.id, head, packed, str(t.path) if t.path else None, t.format, src.file,
            src.locate is not None, entry)


def _blob(entry: Any) -> bytes:
    """An entry's data as bytes that are equal exactly when the data is: marshal version 2
    writes no back-references, whose presence depends on how many references each value
    had when it was written, not on the value (a rewritten manifest is compared with them)."""
    return marshal.dumps(entry, 2)


def _raw_entries(m: Manifest) -> list:
    tasks = m.data.get("tasks")
    return tasks if isinstance(tasks, list) else []


def _manifest_parts(m: Manifest, phases: list[Phase], mvp: list[str]) -> tuple:
    """What a load takes from the manifest beside its entries."""
    return (sorted(m.deferred), [(p.name, p.tasks, p.hours) for p in phases], mvp,
            [_milestone(x) for x in mf.milestones(m.data)])


def _milestone_paths(root: Path) -> list[Path]:
    d = root / "milestones"
    if not d.is_dir():
        return []
    return [p for p in sorted(d.iterdir()) if p.suffix in (".yaml", ".yml")]


# -- storing -------------------------------------------------------------------------------
def save(ld: Any, bl: Backlog, slots: list | None = None) -> None:
    """Store what loader `ld` (a finished `_Loader`) loaded, when it can be trusted later.
    `slots`: its problems as the load left them (`ld.slots()` then), before the reader
    added its own (files not read, integer ids: added again on every load). The per-file
    cache first, when the load left it to this (`ld.cache_deferred`)."""
    if ld.cache_deferred:
        ld.cache_deferred = False
        ld.cache.save()
    state = state_of(ld, bl, slots)
    if state is not None:
        _store(bl.root, state, ld.manifest_bytes)


def state_of(ld: Any, bl: Backlog, slots: list | None = None, racy: bool = True) -> dict | None:
    """What `save` stores, or None when it cannot be trusted later. `racy=False`: a file
    written within the racy window is kept with its key all the same (a resident process
    learns of later changes from its watcher, not from stat keys)."""
    now, m = (ld.cache.now_ns if racy else 1 << 62), bl.manifest
    if m is None or ld.looked_outside or _racy(ld.manifest_key, now):
        return None
    from taskctl.core.load import journal  # here: a cold read stores at exit, in a child
    ms = []
    for p, got in ld.milestone_files:
        key = ld.keys.get(str(p))
        if _racy(key, now):
            return None
        ms.append((str(p), key, got))
    listing = [str(p) for p in ld.paths]
    files = {}  # the task files a later load may parse again alone: path -> (id, entry, data)
    for path, (i, ftask) in ld.entry_of.items():
        if bl.tasks.get(ftask.id) is ftask and ld.entry_index.get(ftask.id) == i:
            files[str(path)] = (ftask.id, i, _blob(m.entries[i].data))
    merged = {i for _tid, i, _data in files.values()}
    raw = _raw_entries(m)
    try:  # every other entry as it was, so that a rewritten manifest can be compared
        others = {i: _blob(e) for i, e in enumerate(raw) if i not in merged}
    except ValueError:
        others = None
    try:
        tasks = [_task(t, bl.sources[tid], ld.entry_index.get(tid))
                 for tid, t in bl.tasks.items()]
    except ValueError:  # a value marshal cannot hold (a date nested in a mapping)
        return None
    return {
        "id": os.urandom(8), "listing": listing, "manifest_key": ld.manifest_key,
        "manifest_digest": None if ld.manifest_bytes is None else journal.digest(
            ld.manifest_bytes),
        "keys": [None if _racy(ld.keys.get(s), now) else ld.keys.get(s) for s in listing],
        "milestones": ms, "files": files, "entries": len(raw), "others": others,
        "manifest": _manifest_parts(m, bl.phases, bl.mvp), "tasks": tasks,
        "slots": [(slot, [_problem(p) for p in ps])
                  for slot, ps in (ld.slots() if slots is None else slots)]}


def _store(root: Path, state: dict, manifest: bytes | None = None) -> None:
    """The body first, then the task files' plan view, then the head that names them; the
    delta of an older one goes. `manifest`: the bytes the state was loaded from — their
    digest taken when the state lacks it, and a copy kept for a plan answer's cutoff after
    another program rewrites them (`manifestdiff.py`)."""
    if manifest is not None and state.get("manifest_digest") is None:
        from taskctl.core.load import journal

        state["manifest_digest"] = journal.digest(manifest)
    head = {k: state[k] for k in _HEAD_KEYS}
    head["manifest_digest"] = state.get("manifest_digest")  # a plan answer's cutoff reads it
    if _write(root, NAME, {k: v for k, v in state.items() if k not in _HEAD_KEYS[1:]}) \
            and all(_write(root, plan_shard(i), part)
                    for i, part in enumerate(plan_basis(state))) \
            and _write(root, HEAD, head):
        _drop(root, DELTA)
        if manifest is not None and head["manifest_digest"] is not None:
            from taskctl.core.load import manifestdiff

            manifestdiff.keep(root, manifest, head["manifest_digest"])


_pending: list = []  # the last store of this process (a callable), done when it exits


def forks_at_exit() -> bool:
    """Whether `save_soon` leaves the store to a child forked at exit (the process is a
    short-lived read answer on two usable cores)."""
    import taskctl.core.load
    from taskctl.core.load import fanout

    return taskctl.core.load.SHORT_LIVED and hasattr(os, "fork") and fanout.usable_cores() >= 2


def save_soon(ld: Any, bl: Backlog) -> None:
    """`save`, or in a console-script read answer (`SHORT_LIVED`: it changes nothing it
    loaded and exits once it has answered) on two usable cores, `save` from a child forked
    when the process exits (`at_exit`): the command answers without waiting for it
    (serialising a 10,000-task backlog costs ~0.25 s), and nothing of the command runs after
    the fork (forked right after the load, the command ran ~0.15 s longer in one run:
    presumably copy-on-write faults as the planning touched every task)."""
    if not forks_at_exit():
        save(ld, bl)
        return
    _later(partial(save, ld, bl, ld.slots()))  # the problems now: the reader adds more after


def store_soon(root: Path, state: dict, manifest: bytes | None = None) -> None:
    """`_store(root, state, manifest)`, from the child forked at exit as `save_soon` does."""
    if forks_at_exit():
        _later(partial(_store, root, state, manifest))
    else:
        _store(root, state, manifest)


def _later(job: Any) -> None:
    if not _pending:
        import atexit

        atexit.register(at_exit)
    _pending[:] = [job]


def flush() -> None:
    """Store the pending load now, in line (the process stopped being a short-lived read
    answer: `process.short_lived(False)`)."""
    if _pending:
        _pending.pop()()


def at_exit() -> None:
    """Store the pending snapshot from a child forked as this process exits, where that is
    safe (one thread, and this process not a subreaper: the orphan would come back to it);
    else in line. The process does not wait for it: the child, orphaned, is reaped by init.
    It holds no descriptor of the command (its output pipe, its locks), writes atomically
    and ends without running anything of the command's."""
    if not _pending:
        return
    job = _pending.pop()
    # not imported: no thread was started with it (≈ 1 ms a small tree's read does not pay)
    threading = sys.modules.get("threading")
    reaper = sys.modules.get("taskctl.core.files.procctl")
    if (threading is not None and threading.active_count() > 1) or (
            reaper is not None and reaper.is_subreaper()):
        job()
        return
    try:
        if os.fork():
            return
    except OSError:
        job()
        return
    try:  # the child: nothing of the command's may run here (no atexit, no flush, no raise)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, _max_fd())
        job()
    except BaseException:  # noqa: BLE001, S110 - a snapshot is never worth an error
        pass
    os._exit(0)


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1 << 16


def _milestone(x: Milestone) -> tuple:
    return (x.id, x.title, x.tasks, x.definition_of_done, x.description)


def _drop(root: Path, name: str) -> None:
    try:
        os.unlink(os.path.join(root, sealed.CACHE_DIR, name))
    except OSError:
        pass


# -- restoring -----------------------------------------------------------------------------
def restore(root: Path) -> Backlog | None:
    """The backlog a full load of `root` would give (bodies not parsed), from the stored one,
    or None when none fits (the caller then loads in full, which stores a new one)."""
    now = time.time_ns()
    state = _read(root, HEAD)  # small: the listing and the keys; the body only if they fit
    if state is None:
        return None
    mkey = filecache.file_key(os.path.join(root, "manifest.json"))
    rewritten = mkey != state["manifest_key"]  # every claim or set rewrites it
    if rewritten and mkey is None:
        return None  # gone or unreadable: a full load says so
    delta = _read(root, DELTA)
    if delta is not None and delta.get("base") == state["id"]:
        apply_delta(state, {"keys": delta["keys"], "tasks": {}, "slots": {}})
    else:
        delta = {"base": state["id"], "keys": {}, "tasks": {}, "slots": {}}
    paths = task_files(root)
    listing = [str(p) for p in paths]
    if listing != state["listing"]:
        return None  # a task file added, removed or renamed
    stored_ms = state["milestones"]
    if [(str(p), filecache.file_key(str(p))) for p in _milestone_paths(root)] != [
            (s, k) for s, k, _got in stored_ms]:
        return None
    keys, changed = {}, []  # the changed files, and their keys taken before they are parsed
    for p, s, key, fresh in zip(paths, listing, state["keys"], filecache.file_keys(listing),
                                strict=True):
        if key is None or fresh != key:
            keys[s] = fresh
            changed.append(p)
            if len(changed) > MAX_CHANGED:
                return None
    body = _read(root, NAME)
    if body is None or body.get("id") != state["id"]:
        return None
    state.update(body)
    if any(str(p) not in state["files"] for p in changed):
        return None  # not a task file merged with its entry alone: a full load
    if delta["tasks"] or delta["slots"]:
        apply_delta(state, {**delta, "keys": {}})
    restored = Restored(root, paths, state)
    if rewritten:  # the entries that changed: their task files merged again
        moved = restored.rewritten(changed)
        if moved is None or len(changed) + len(moved) > MAX_CHANGED:
            return None
        changed += moved
    bl = restored.backlog(changed)
    if bl is not None and rewritten:
        restored.store_rewritten(bl, keys, mkey, now)
    elif bl is not None and changed:
        restored.store(bl, delta, keys, now)
    return bl


def apply_delta(state: dict, delta: dict) -> None:
    """The stored state with a delta's changed files (keys, tasks, slots) in place."""
    if delta["keys"]:
        pos = {s: k for k, s in enumerate(state["listing"])}
        for s, key in delta["keys"].items():
            state["keys"][pos[s]] = key
    if delta["tasks"]:
        rows = state["tasks"]
        for k, row in enumerate(rows):
            if row[0] in delta["tasks"]:
                rows[k] = delta["tasks"][row[0]]
    if delta["slots"]:
        at = state.get("slot_index")  # a kept state's (`kept.py`): slot -> position
        if at is None or not all(slot in at for slot in delta["slots"]):
            state["slots"] = [(slot, delta["slots"].get(tuple(slot), ps))
                              for slot, ps in state["slots"]]
        else:
            for slot, ps in delta["slots"].items():
                state["slots"][at[slot]] = (slot, ps)


def _checked(t: Any) -> tuple | None:
    """What the cross-file checks (`checks.py`) read of one task: its status, dependencies,
    blocks and milestone (where a finding is located is the task's own: `_checks_hold`)."""
    return None if t is None else (t.status, t.depends_on, t.blocks, t.milestone)


def _checks_hold(bl: Backlog, before: dict[str, tuple | None], stored: list) -> bool:
    """Are the stored findings of the cross-file checks still what `checks.run` would find,
    after task files were edited in place or manifest entries rewritten? Yes when every
    edited task (a changed file's, or a changed entry's: merged again) reads the same to
    them and none of their findings sits in an edited task (whose lines may have moved):
    they look at nothing else that such an edit changes — the task ids are the same (a
    changed id is a full load), and so are the deferred tasks and the milestones' lists
    (the milestone files unchanged, and a rewrite that changed the manifest's other parts a
    full load). A finding located in the manifest, whose line a rewrite may move, makes a
    rewrite a full load (`Restored.rewritten`)."""
    if any(p[7] in before for p in stored):
        return False
    tasks = bl.tasks
    return all(_checked(tasks.get(tid)) == was for tid, was in before.items())


def _statuses_alone(bl: Backlog, before: dict[str, tuple | None], stored: list) -> bool:
    """Did the edits (of task files or manifest entries, as for `_checks_hold`) change what the
    cross-file checks read of each edited task in its status alone, with no stored finding
    but the completion order's in an edited task? Then `checks.run_statuses` finds what
    `checks.run` would — after a `claim`, which rewrites one entry's status."""
    if any(p[7] in before and p[0] != checks.ORDER_CODE for p in stored):
        return False
    tasks = bl.tasks
    for tid, was in before.items():
        now = _checked(tasks.get(tid))
        if now is None or was is None or now[1:] != was[1:]:
            return False
    return True


class LazyManifest(Manifest):
    """A restored backlog's manifest: its data and entries are parsed from the file the first
    time something reads them (the stored backlog matched its stat key)."""

    def __init__(self, path: Path, root: Path, deferred: set[str],  # noqa: D107
                 data: bytes | None = None):
        self.path, self.deferred, self._root, self._full = path, deferred, root, None
        self._bytes = data  # the bytes the backlog was restored from, when read already

    def _parsed(self) -> Manifest:
        if self._full is None:
            self._full = (mf.read(self.path, self._root) if self._bytes is None
                          else mf.parse(self.path, self._bytes))[0]
            self._bytes = None
        return self._full

    @property
    def data(self) -> dict[str, Any]:  # type: ignore[override]
        return self._parsed().data

    @property
    def entries(self) -> list:  # type: ignore[override]
        return self._parsed().entries


class Restored:
    def __init__(self, root: Path, paths: list[Path], state: dict):
        self.root, self.state = root, state
        self.by_str = {str(p): p for p in paths}
        self.mpath = root / "manifest.json"
        self._index: mf.LineIndex | None = None
        self._bytes: bytes | None = None  # the manifest's, once read
        self.digest: bytes | None = None  # theirs (`journal.digest`), once read
        self._raws: dict[str, CachedTaskFile] = {}
        self._parsed: Manifest | None = None  # the rewritten manifest (`rewritten`)
        self._blobs: dict[str, bytes] = {}  # a task file -> its rewritten entry's data
        self._refreshed: dict[tuple, list[Problem]] = {}  # its slots found again

    def _line(self, i: int, key: str | None, expect: Any = None) -> int | None:
        """The line of entry `i` (of its `key`); `expect`, the entry's data where known,
        lets an entry far down the manifest be found without decoding those before it."""
        if self._index is None:  # the manifest's text: only when a problem needs a line
            if self._bytes is None:
                try:
                    self._bytes = mf.read_bytes(self.mpath, self.root)
                except FileIssue:
                    self._bytes = b""
            self._text_index(self._bytes)
        return self._index.entry(i, key, expect)

    def _locate(self, tid: str, path: Path, task: Any, fmt: str,
                key: tuple) -> tuple[int | None, int | None]:
        raw = self._raws.get(tid)
        if raw is None:  # read on demand, as for a per-file cache hit
            raw = self._raws[tid] = CachedTaskFile(path, self.root, task.front_matter, fmt)
        return raw.locate(key)

    def rel(self, p: Path) -> str:
        return under(p, self.root.parent) or self.bl.rel(p)

    def add(self, name: str, message: str, **kw) -> None:
        self.problems.append(problem(name, message, **kw))

    def backlog(self, changed: list[Path], base: tuple[dict, dict] | None = None
                ) -> Backlog | None:
        """The backlog with the `changed` task files parsed again; None when one of them
        needs a full load. `base`: the tasks and sources of the state as objects already
        (a resident process's, `kept.py`), copied instead of rebuilt from the rows."""
        st, root = self.state, self.root
        deferred, phases, mvp, mmilestones = st["manifest"]
        m = LazyManifest(self.mpath, root, set(deferred), self._bytes)
        m._full = self._parsed  # parsed already when it was rewritten
        bl = self.bl = Backlog(root=root, tasks={}, manifest=m)
        bl.deferred, bl.mvp = set(deferred), list(mvp)
        bl.phases = [Phase(name, list(tasks), hours) for name, tasks, hours in phases]
        bl.files_read.update(self.by_str)
        mrel, by_str, tasks, sources = self.rel(self.mpath), self.by_str, bl.tasks, bl.sources
        line, locate, from_row = self._line, self._locate, tp.from_row
        if base is not None:
            tasks.update(base[0])
            sources.update(base[1])
        for tid, head, packed, path, fmt, sfile, located, entry in (
                () if base is not None else st["tasks"]):
            t = tasks[tid] = from_row(head, packed)
            if path is not None:
                t.path = by_str.get(path) or Path(path)
            t.format = fmt
            at = partial(locate, tid, t.path, t, fmt) if located else None
            sources[tid] = (Source(sfile, at, mrel, partial(line, entry)) if entry is not None
                            else Source(sfile, at))
        self.fresh: dict[tuple, list[Problem]] = dict(self._refreshed)
        files, before = st["files"], {}
        for path in changed:
            tid = files[str(path)][0]
            before[tid] = _checked(tasks.get(tid))
            if not self._patch(path, mrel):
                return None
        if base is None:  # the ids written as numbers, without unpacking the front matter
            again = {files[str(p)][0] for p in changed}
            bl.int_ids = [row[0] for row in st["tasks"] if row[1][3] and row[0] not in again]
            bl.int_ids += [tid for tid in again
                           if type(tasks[tid].front_matter.get("id")) is int]
        # the slots in order (one per task file, entry and merge: most of them empty), each
        # one's problems found again or revived, up to the fixed ones (found again below)
        problems, fresh, fixed = bl.problems, self.fresh, {}
        for slot, ps in st["slots"]:  # slots are tuples (`loader.slots`, marshal keeps them)
            if slot in _FIXED:
                fixed[slot] = ps
            elif slot in fresh:
                problems.extend(fresh[slot])
            elif ps:
                problems.extend(map(_revive, ps))
        self.problems = problems
        self.cut = [len(bl.problems)]
        mss = [Milestone(*x, path=self.mpath) for x in mmilestones]
        bl.milestones = milestones.collect(
            bl, [(Path(s), got) for s, _k, got in st["milestones"]], self.add, self.rel, mss)
        self.cut.append(len(bl.problems))
        found = fixed[("checks",)]
        if not changed or _checks_hold(bl, before, found):
            bl.problems.extend(map(_revive, found))
        elif _statuses_alone(bl, before, found):
            checks.run_statuses(bl, list(map(_revive, found)))
        else:
            checks.run(bl)
        return bl

    def rewritten(self, changed: list[Path]) -> list[Path] | None:
        """The manifest was rewritten (a `claim` or `set`: one entry changed, in place): the
        task files to merge again — those whose entries changed, and those whose entry's
        problems are located in the manifest (their lines may have moved) —, with the
        manifest's own findings and those entries' found again in the new text. None when it
        needs a full load: unreadable, an entry added, removed, moved, given another id or
        file, an entry no task file is merged with changed, anything else of the manifest
        changed (phases, mvp, milestones, deferred), or a problem located in the manifest
        elsewhere than in those entries (a stand-in's, a cross-file check's).

        The changed entries are those the journal tells (`journal.py`: taskctl's own write,
        when the stored manifest had no schema finding), else those whose data differs from
        the stored entry's after the whole manifest is parsed."""
        from taskctl.core.load import journal

        st = self.state
        if st.get("others") is None:
            return None
        try:
            data = mf.read_bytes(self.mpath, self.root)
        except FileIssue:
            return None
        self._bytes = data
        mrel = self.rel(self.mpath)
        # the manifest's slot: its schema findings (located in it), then the task files'
        # duplicate ids found while pairing (located in the files: kept)
        kept = [p for slot, ps in st["slots"] if slot[0] == "manifest" for p in ps]
        clean = not any(p[2] == mrel for p in kept)
        m, index = None, None
        told, self.digest = journal.changes(self.root, st.get("manifest_digest"), data,
                                            st["entries"]) if clean else (None, None)
        if told is None:
            try:
                m, index = mf.parse(self.mpath, data)
            except FileIssue:
                return None
            raw = _raw_entries(m)
            if len(raw) != st["entries"] or _manifest_parts(
                    m, mf.phases(m.data), mf.mvp_tasks(m.data)) != st["manifest"]:
                return None
            told = dict(enumerate(raw))
        at = {i: s for s, (_tid, i, _blob) in st["files"].items()}
        again: set[int] = set()  # entries whose task files are merged again
        try:
            for i, e in told.items():
                blob = _blob(e)
                if i not in at:
                    if st["others"].get(i) != blob:
                        return None
                    continue
                tid, _i, old = st["files"][at[i]]
                if blob == old:
                    continue
                before = marshal.loads(old)
                if e.get("id") != tid or e.get("file") != before.get("file"):
                    return None
                self._blobs[at[i]] = blob
                again.add(i)
        except (ValueError, AttributeError):  # not plain JSON data, an entry not a mapping
            return None
        edited = {str(p) for p in changed}
        for slot, ps in st["slots"]:
            if slot[0] in ("manifest", "milestones") or not any(_cites(p, mrel) for p in ps):
                continue  # found again always, or nothing located in the manifest
            if slot[0] in ("entry", "entry-file") and slot[1] in at:
                again.add(slot[1])
            elif not (slot[0] == "file" and slot[1] in edited):
                return None
        self._parsed, self._index = m, index
        self.problems = found = []
        edits = sorted(i for i in again if at[i] in self._blobs)  # not those moved only
        if m is None:  # the journal's word: the rest of the document had no finding either
            errs = entryrows.recheck_entries({i: told[i] for i in edits})
            rows = entryrows.lines(errs, self._text_index(data)) if errs else []
        elif not clean:
            rows, _normalised = entryrows.located(filecache.FileCache(self.root), m, index)
        else:  # none before: only the document itself and the changed entries can have any
            rows = entryrows.lines(entryrows.recheck(m, edits), index)
        for msg, line in rows:
            self.add("manifest-schema", msg, file=mrel, line=line)
        found += [_revive(p) for p in kept if p[2] != mrel]
        self._refreshed[("manifest",)] = found
        for i in sorted(again):
            tid = st["files"][at[i]][0]
            entry = told[i] if i in told else marshal.loads(st["files"][at[i]][2])
            self.problems = found = []
            _etask, efind = specs.from_mapping(entry, "entry", tid)
            merge.entry_findings(self.add, tid, efind, mrel,
                                 partial(self._line, i, expect=entry))
            self._refreshed[("entry", i)] = found
        return [self.by_str[at[i]] for i in sorted(again) if at[i] not in edited]

    def _text_index(self, data: bytes) -> mf.LineIndex:
        """The line index of the manifest's bytes `data`, made once."""
        if self._index is None:
            try:
                text = safeyaml.decode(data)
            except FileIssue:
                text = ""
            self._index = mf.LineIndex(text)
        return self._index

    def store_rewritten(self, bl: Backlog, keys: dict, mkey: tuple, now: int) -> None:
        """A new snapshot for the rewritten manifest (the delta holds task files only): the
        state with the changed files' keys, tasks, entries and slots, stored as a full load's
        is (`store_soon`). Nothing when the manifest was written within the racy window."""
        if _racy(mkey, now):
            return
        st = self.state
        try:
            patch = self.patch(bl, list(keys) + list(self._blobs))
        except ValueError:  # a task marshal cannot hold: nothing stored
            return
        apply_delta(st, {"keys": {s: None if _racy(k, now) else k for s, k in keys.items()},
                         "tasks": patch["tasks"], "slots": patch["slots"]})
        for s, blob in self._blobs.items():
            tid, i, _old = st["files"][s]
            st["files"][s] = (tid, i, blob)
        st["manifest_key"], st["manifest_digest"], st["id"] = mkey, self.digest, os.urandom(8)
        # the digest, when the journal was not asked, taken where the state is stored (at exit)
        store_soon(self.root, st, self._bytes)

    def _patch(self, path: Path, mrel: str) -> bool:
        """Parse a changed task file and merge it with its entry, as a full load would."""
        bl = self.bl
        tid, i, blob = self.state["files"][str(path)]
        blob = self._blobs.get(str(path), blob)
        self.problems = merged = []
        data = marshal.loads(blob)
        mline = partial(self._line, i, expect=data)
        got = merge.file_with_entry(self.add, self.rel, self.root, path, tid, data, mrel, mline)
        if got is None:
            return False  # its id changed, or it is no task now: a full load
        task, raw, problems = got
        bl.tasks[tid] = task
        bl.sources[tid] = Source(self.rel(path), raw.locate, mrel, mline)
        self.fresh[("file", str(path))], self.fresh[("entry-file", i)] = problems, merged
        return True

    def patch(self, bl: Backlog, changed: Any) -> dict:
        """What `backlog(changed)` changed, as rows: {"tasks": {id: row}, "slots": {slot:
        problems}} (`apply_delta` folds it into a state). Raises ValueError when a changed
        task holds a value marshal cannot (a date nested in a mapping): not storable."""
        files = self.state["files"]
        out: dict = {"tasks": {}, "slots": {}}
        for s in changed:
            tid = files[s][0]
            out["tasks"][tid] = _task(bl.tasks[tid], bl.sources[tid], files[s][1])
        out["slots"].update({slot: [_problem(p) for p in ps] for slot, ps in self.fresh.items()})
        out["slots"][("milestones",)] = [_problem(p) for p in
                                         bl.problems[self.cut[0]:self.cut[1]]]
        out["slots"][("checks",)] = [_problem(p) for p in bl.problems[self.cut[1]:]]
        return out

    def store(self, bl: Backlog, delta: dict, keys: dict, now: int) -> None:
        """Store the patch beside the snapshot (or, once the delta is large, a new
        snapshot): the changed files' keys, tasks and problem slots."""
        try:
            patch = self.patch(bl, keys)
        except ValueError:  # a task marshal cannot hold: nothing stored (parsed again)
            return
        delta["keys"].update({s: None if _racy(k, now) else k for s, k in keys.items()})
        delta["tasks"].update(patch["tasks"])
        delta["slots"].update(patch["slots"])
        if len(delta["keys"]) <= MAX_CHANGED:
            _write(self.root, DELTA, delta)
            return
        st = self.state
        apply_delta(st, delta)
        st["id"] = os.urandom(8)
        _store(self.root, st)

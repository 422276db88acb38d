"""Load a `.tasks` directory into a `Backlog`, collecting every problem on the way.

Source of truth (documented in docs/format.md): **the task file wins** for every field it sets;
the manifest entry fills fields the file does not set (often `phase` or estimates). Any field
set in both that disagrees is reported as drift (W110). When a task file cannot be parsed, its
manifest entry stands in for it so that planning and graph checks still see the task.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from pathlib import Path

from taskctl.core.load import (
    checks,
    entryrows,
    fanout,
    filecache,
    hold_to_exit,
    ids,
    merge,
    milestones,
    snapshot,
    specs,
)
from taskctl.core.load import manifest as mf
from taskctl.core.load import taskplain as tp
from taskctl.core.load.discovery import discover as discover  # re-exported
from taskctl.core.load.kept import keeper
from taskctl.core.load.parsefile import parse_file
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.load.taskpaths import (  # re-exported: callers know them as loader.*
    COMPLETED_DIR as COMPLETED_DIR,
)
from taskctl.core.load.taskpaths import (
    TASK_DIRS as TASK_DIRS,
)
from taskctl.core.load.taskpaths import (
    TASK_SUFFIXES as TASK_SUFFIXES,
)
from taskctl.core.load.taskpaths import (
    filename_matches as filename_matches,
)
from taskctl.core.load.taskpaths import (
    id_from_filename as id_from_filename,
)
from taskctl.core.load.taskpaths import (
    task_files as task_files,
)
from taskctl.core.model import Backlog, Manifest, Source, Task
from taskctl.core.problems import Problem, problem

ENTRIES = entryrows.TABLE  # re-exported: the cache's table of manifest entries
DRIFT_FIELDS = merge.DRIFT_FIELDS  # re-exported


class _Loader:
    def __init__(self, root: Path, use_cache: bool = True, bodies: bool = True):
        self.root = root
        self.bodies = bodies
        self.cache = filecache.FileCache(root, use_cache)
        self.bl = Backlog(root=root, tasks={}, manifest=None)
        self.problems = self.bl.problems
        self._normalised: dict[int, tuple | None] = {}  # manifest entry index -> plain task
        self._by_file: dict[str | None, list[Problem]] | None = None  # see _unowned
        self._root_sep = os.path.join(str(root), "")  # "<root>/"
        self._repo_sep = os.path.join(str(self.bl.repo_root), "")  # see rel
        # For the stored backlog (`snapshot.py`): where each part's problems begin (the
        # problems are cut into slots: one per task file, the manifest's, one per manifest
        # entry and one for its task file's merge, then orphans, milestones and the
        # cross-file checks), each task file's stat key as read, the manifest entry each
        # task file was merged with, and whether pairing looked at files it did not list.
        self.cuts: list[tuple[int, tuple]] = [(0, ("head",))]
        self.keys: dict[str, tuple | None] = {}
        self.manifest_key: tuple | None = None
        self.manifest_bytes: bytes | None = None  # parsed, for its digest (`journal.py`)
        self.entry_of: dict[Path, tuple[int, Task]] = {}
        self.paths: list[Path] = []
        self.entry_index: dict[str, int] = {}
        self.milestone_files: list = []
        self.looked_outside = False
        # whether the per-file cache is written by the stored backlog's at-exit child rather
        # than during the load (`snapshot.save_soon`: a short-lived read answer)
        self.cache_deferred = False

    def rel(self, p: Path) -> str:
        """`p` as shown to users (relative to the repository root). Once per task on every
        load: a string prefix test, the repository root's prefix worked out once."""
        s = str(p)
        if s.startswith(self._repo_sep) and len(s) > len(self._repo_sep):
            return s[len(self._repo_sep):]  # what `under(p, repo_root)` gives, prefix kept
        return self.bl.rel(p)

    def add(self, name: str, message: str, **kw) -> None:
        self.problems.append(problem(name, message, **kw))

    def _cut(self, slot: tuple) -> None:
        self.cuts.append((len(self.problems), slot))

    def slots(self) -> list[tuple[tuple, list[Problem]]]:
        """The problems cut into the slots `cuts` marked, in order."""
        bounds = [i for i, _ in self.cuts[1:]] + [len(self.problems)]
        return [(slot, self.problems[i:j]) for (i, slot), j in zip(self.cuts, bounds, strict=True)]

    # -- task files and the manifest --------------------------------------------------------
    def read_files_and_manifest(self) -> tuple[dict, Manifest | None, mf.LineIndex | None]:
        """The task files (path -> (task, raw)) and the manifest. On a large cold tree a
        forked helper parses part of the files (`fanout.py`) while this process reads the
        manifest and parses the rest. Problems keep one order either way: the files', in
        path order, then the manifest's."""
        paths = self.paths = task_files(self.root)
        self.bl.files_read.update(map(str, paths))  # what the files-not-read listing leaves out
        cache = self.cache
        if cache.enabled:
            looked = [cache.lookup(str(p)) for p in paths]
            self.keys = {str(p): k for p, (k, _v) in zip(paths, looked, strict=True)}
        else:  # TASKCTL_NO_CACHE: no stat, no plain copies for a cache
            looked = [(None, None)] * len(paths)
        parsed: list = [None] * len(paths)
        misses = [i for i, (_key, hit) in enumerate(looked) if hit is None]
        # a large cold tree: a forked helper parses files from the back of the list while
        # this process reads the manifest, then parses from the front until they meet
        helper = None
        try:
            if fanout.worth(len(misses)):
                helper = fanout.Helper.start([paths[i] for i in misses], self.root)
            before = len(self.problems)
            if helper is not None:
                m, index = self.read_manifest()
                for chunk in helper.split.front():
                    for j in chunk:
                        i = misses[j]
                        parsed[i] = self._parse(paths[i], *looked[i])
                    self._take_sent(helper.received(), misses, paths, looked, parsed)
                self._take_sent(helper.finish(), misses, paths, looked, parsed)
            for i, p in enumerate(paths):  # every file without a helper; else cache hits
                if parsed[i] is None:  # and any file the helper sent nothing for
                    parsed[i] = self._parse(p, *looked[i])
            if helper is None:
                m, index = self.read_manifest()
        except BaseException:
            if helper is not None:
                helper.cancel()
            raise
        manifest_problems = self.problems[before:]
        del self.problems[before:]
        files = self._collect(parsed)
        self._cut(("manifest",))
        self.problems.extend(manifest_problems)
        return files, m, index

    def _take_sent(self, sent: dict[int, tuple], misses: list[int], paths: list[Path],
                   looked: list, parsed: list) -> None:
        """The files the helper sent values for (positions in `misses`), rebuilt from them
        as on a cache hit — unless this process parsed the same chunk too."""
        for j, value in sent.items():
            i = misses[j] if type(j) is int and 0 <= j < len(misses) else None
            if i is not None and parsed[i] is None:
                parsed[i] = self._parse(paths[i], looked[i][0], value, value)

    def _parse(self, path: Path, key, cached, computed=None) -> tuple:
        """parse_file for the loader; a value computed here (or by the helper: `computed`)
        goes to the per-file cache."""
        if not self.cache.enabled:
            return parse_file(path, self.root, self.bodies, cached)
        fresh: dict = {"value": computed} if computed is not None else {}
        out = parse_file(path, self.root, self.bodies, cached, fresh)
        if "value" in fresh:
            self.cache.store(str(path), key, fresh["value"])
        return out

    def _collect(self, parsed: list[tuple]) -> dict:
        out = {}
        for path, task, raw, problems in parsed:
            self._cut(("file", str(path)))
            self.problems.extend(problems)
            if task is not None or raw is not None or problems:
                out[path] = (task, raw)
        return out

    # -- manifest ---------------------------------------------------------------------------
    def read_manifest(self) -> tuple[Manifest | None, mf.LineIndex | None]:
        path = self.root / "manifest.json"
        if self.cache.enabled:
            self.manifest_key = filecache.file_key(str(path))  # before reading it
        if not path.exists():
            self.add("no-manifest", "no manifest.json in the tasks directory",
                     file=self.rel(self.root))
            return None, None
        try:
            data = mf.read_bytes(path, self.root)
            if self.cache.enabled:  # its digest names what a stored backlog is built from
                self.manifest_bytes = data
            m, index = mf.parse(path, data)
        except FileIssue as e:
            self.add(e.rule, e.message, file=self.rel(path), line=e.line, column=e.column)
            return None, None
        found, self._normalised = entryrows.located(self.cache, m, index)
        for msg, line in found:
            self.add("manifest-schema", msg, file=self.rel(path), line=line)
        return m, index

    # -- pairing and merge ------------------------------------------------------------------
    def load(self) -> Backlog:
        files, m, index = self.read_files_and_manifest()
        self._by_str = {str(p): p for p in files}
        milestone_files = self.milestone_files = milestones.read_files(
            self.root, self.cache, self.keys)
        if not self.cache_deferred:
            # now: it holds parsed values by reference, and a writer changes tasks later
            self.cache.save()
        self.bl.manifest = m
        by_path = files
        paired: set[Path] = set()
        file_tasks: dict[str, Task] = {}
        for path, (task, _raw) in files.items():
            if task is None:
                continue
            if task.id in file_tasks:
                first = file_tasks[task.id]
                self.add("duplicate-id", f"task id {task.id} is also used by "
                         f"{self.rel(first.path)}", file=self.rel(path),
                         line=self._locate(files, path, ("id",)), task=task.id)
                continue
            file_tasks[task.id] = task

        if m is not None:
            mpath = self.rel(m.path)
            self.bl.deferred = set(m.deferred)
            self.bl.phases = mf.phases(m.data)
            self.bl.mvp = mf.mvp_tasks(m.data)
            seen: dict[str, int] = {}
            # each manifest entry and its file's merge open a slot (`_cut`, written out here:
            # 20,000 calls on a 10,000-task tree)
            cut, problems = self.cuts.append, self.problems
            for i, entry in enumerate(m.entries):
                cut((len(problems), ("entry", i)))
                if not entry.id:
                    continue
                if (why := ids.id_problem(entry.id)) is not None:
                    self.add("bad-id", f"manifest entry {i + 1}: {why}", file=mpath,
                             line=index.entry(i, "id"), hint=ids.ID_HINT)
                    continue
                if entry.id in seen:
                    self.add("duplicate-id", f"task id {entry.id} appears twice in the manifest "
                             f"(first at entry {seen[entry.id] + 1})", file=mpath,
                             line=index.entry(i, "id"), task=entry.id)
                    continue
                seen[entry.id] = i
                path = self._entry_file(entry.data, entry.id, files, file_tasks)
                norm = self._normalised.get(i)  # see entryrows.check
                if norm is None:
                    norm = specs.entry_plain(entry.data, entry.id)

                def mline(key, i=i):
                    return index.entry(i, key)

                if norm[1]:  # the entry's own findings (aliases, unknown values)
                    efind = [(r, tuple(k), msg) for r, k, msg in norm[1]]
                    merge.entry_findings(self.add, entry.id, efind, mpath, mline)
                if path is None:
                    declared = entry.data.get("file")
                    where = f"file {declared!r} does not exist" if declared else "no task file"
                    hint = {}
                    if isinstance(declared, str) and declared and self.root not in Path(
                            os.path.normpath(self.root / declared)).parents:
                        where = f"file {declared!r} lies outside {self.root.name}/: not read"
                        hint = {"hint": "move the task file under tasks/ and name it there"}
                    self.add("missing-file", f"manifest entry {entry.id}: {where}", file=mpath,
                             line=index.entry(i, "file" if declared else "id"), task=entry.id,
                             **hint)
                    etask = tp.from_plain(norm[0], dict(entry.data))  # JSON: no dates
                    etask.format = "manifest"
                    self._put(etask, Source(None, None, mpath, mline), i)
                    continue
                paired.add(path)
                ftask, raw = by_path.get(path, (None, None))
                cut((len(problems), ("entry-file", i)))
                if ftask is None:  # unparseable file: the entry stands in
                    etask = tp.from_plain(norm[0], dict(entry.data))
                    etask.format, etask.path = "manifest", path
                    for p in self._unowned(self.rel(path)):  # its file's errors are its own
                        p.task = entry.id
                    self._put(etask, Source(None, None, mpath, mline), i)
                    continue
                self.entry_of[path] = (i, ftask)
                merge.check_ids(self.add, self.rel, entry.id, ftask, raw, path, mpath, mline)
                merge.merge(self.add, ftask, norm[0], entry.data, raw, mpath, mline)
                if file_tasks.get(ftask.id) is ftask:
                    self._put(ftask, Source(self.rel(path), raw.locate, mpath, mline), i)
        self._cut(("orphans",))
        for path, (task, raw) in files.items():
            if task is None and m is not None and path not in paired \
                    and path.parent.name != COMPLETED_DIR:
                self.add("orphan-file", f"task file {path.name} (id {id_from_filename(path)} by "
                         "its name) has no manifest entry", file=self.rel(path), line=1)
            if path in paired or task is None or file_tasks.get(task.id) is not task:
                continue
            if m is not None:
                self.add("orphan-file", f"task file {task.id} has no manifest entry",
                         file=self.rel(path), line=1, task=task.id)
            if not filename_matches(path, task.id):
                self.add("id-mismatch", f"file name {path.name} does not start with its id "
                         f"{task.id}", file=self.rel(path), line=raw.locate(("id",))[0],
                         task=task.id)
            if task.id not in self.bl.tasks:
                self._put(task, Source(self.rel(path), raw.locate))
        self._cut(("milestones",))
        self.bl.milestones = milestones.collect(self.bl, milestone_files, self.add, self.rel)
        self._cut(("checks",))
        checks.run(self.bl)
        return self.bl

    def _unowned(self, rel: str) -> list[Problem]:
        """The problems found in file `rel` not yet tied to a task. Indexed once, on first
        use: a scan of every problem per unparseable file was quadratic (10,000 broken
        files: ~12 s)."""
        if self._by_file is None:
            self._by_file = {}
            for p in self.problems:
                if p.task is None:
                    self._by_file.setdefault(p.file, []).append(p)
        return self._by_file.pop(rel, [])

    def _put(self, task: Task, source: Source, entry: int | None = None) -> None:
        if task.id in self.bl.tasks:
            return
        self.bl.tasks[task.id] = task
        self.bl.sources[task.id] = source
        if entry is not None:
            self.entry_index[task.id] = entry  # its source's manifest lines (snapshot.py)

    def _locate(self, files, path, key) -> int | None:
        raw = files[path][1]
        return raw.locate(key)[0] if raw else None

    def _entry_file(self, data: dict, tid: str, files, file_tasks) -> Path | None:
        declared = data.get("file")
        if isinstance(declared, str) and declared:
            # the common case, a plain relative path of a file the loader read: found as
            # written (a match is a normalised path already); else normalised, then found
            known = self._by_str.get(self._root_sep + declared) or self._by_str.get(
                os.path.normpath(os.path.join(self.root, declared)))
            if known is not None:
                return known
            p = Path(os.path.normpath(self.root / declared))
            if p in files:
                return p
            self.looked_outside = True  # a file not listed: its existence is an input too
            if self.root in p.parents and p.is_file():  # outside .tasks/: never read
                return p
            for sub in TASK_DIRS:  # files move to completed/ when done
                alt = self.root / sub / Path(declared).name
                if alt in files or alt.is_file():
                    return alt
        t = file_tasks.get(tid)
        if t is not None:
            return t.path
        for p in files:
            if filename_matches(p, tid):
                return p
        return None


def load(root: Path, use_cache: bool | None = None, bodies: bool = True,
         dialect: str | None = None) -> Backlog:
    """Load everything under `root` (a task store). Never raises for bad content.

    The store's dialect is detected (taskctl/core/load/readers/) unless `dialect` names one.
    `bodies=False` skips parsing the Markdown bodies (sections, checkboxes) when a command
    does not need them. The YAML cache is on unless `use_cache` is False or TASKCTL_NO_CACHE=1.
    """
    from taskctl.core.load.readers import registry

    if use_cache is None:
        use_cache = os.environ.get("TASKCTL_NO_CACHE", "") in ("", "0")
    with collector_paused():
        return registry.load(Path(root), use_cache, bodies, dialect)


def load_one_body(root: Path, tid: str, dialect: str | None = None) -> Backlog:
    """The backlog loaded without bodies but for task `tid`'s (`with_one_body`): what `show`
    and `context` need is one body, not every task's (10,000 tasks: the stored backlog and
    one file, ≈ 0.3–0.6 s, instead of ≈ 1.7 s). Loaded with every body where one cannot be
    added: another dialect (detected first: no second load), or the file changed since."""
    from taskctl.core.load.readers import registry

    reader = registry.get(dialect) if dialect else registry.detect(Path(root))
    if reader.name == registry.CANONICAL:
        view = with_one_body(load(root, bodies=False, dialect=dialect), tid)
        if view is not None:
            return view
    return load(root, bodies=True, dialect=dialect)


def with_one_body(bl: Backlog, tid: str) -> Backlog | None:
    """A view of `bl` (loaded without bodies) in which task `tid` (the id as written, else
    ignoring case) is a copy with its Markdown body parsed; `bl` and its tasks are left as
    they were (a resident process's kept load shares them). `bl` itself for an unknown id
    (the caller's report says so); None where the body cannot be added (another dialect, the
    task's file no longer holds the front matter it was loaded from)."""
    import copy  # only `show` needs it: kept off the other reads' imports

    from taskctl.core.load.parsefile import fill_body

    task = bl.tasks.get(tid)
    if task is None:
        task = {k.lower(): t for k, t in bl.tasks.items()}.get(str(tid).lower())
    if task is None:
        return bl
    shown = copy.copy(task)
    if bl.dialect != "tasks" or not fill_body(shown, bl.root):
        return None
    view = copy.copy(bl)
    view.tasks = {**bl.tasks, task.id: shown}
    return view


@contextmanager
def collector_paused():
    """Keep the cyclic garbage collector out of a load. A load allocates millions of objects
    that all stay alive and makes next to no cyclic garbage, yet every 700 (or, in the CLI,
    50,000) allocations the collector walked the young ones, and every tenth time all of the
    load's so far (10,000 tasks: ~0.7 s of ~4 s CPU at 700; 30 collections, ~0.13 s of ~1.5 s
    at 50,000). So it is off during the load, and at the end the load's objects are moved
    straight to the oldest generation (`gc.freeze` then `gc.unfreeze`: two list splices, no
    walk), which only a full collection looks at: nothing is kept that would be freed, it is
    only found later."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()


def load_canonical(root: Path, use_cache: bool, bodies: bool) -> Backlog:
    """The canonical dialect's loader (manifest + front-matter task files). Without bodies
    and with the cache on, the stored backlog of the last load answers when it still fits,
    patched for a few edited task files (`snapshot.py`); a full load stores a new one."""
    root = Path(root)
    kept = keeper(root) if use_cache and not bodies else None  # a resident process's
    if use_cache and not bodies:
        bl = kept.restore() if kept is not None else snapshot.restore(root)
        if bl is not None:
            return bl
    ld = _Loader(root, use_cache, bodies)
    # a read answer that stores its backlog from a child at exit writes the per-file cache
    # there too (10,000 files: ~0.2 s the answer no longer waits for)
    ld.cache_deferred = kept is None and use_cache and not bodies and snapshot.forks_at_exit()
    bl = ld.load()
    hold_to_exit(ld)  # its working tables: a read answer frees them at its exit (not at all)
    if kept is not None:
        kept.keep(ld, bl)
    if use_cache and not bodies:
        snapshot.save_soon(ld, bl)
    return bl


__all__ = ["discover", "load", "Problem"]

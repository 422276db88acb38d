"""A resident process's last load, kept in memory and patched for the task files its watcher
saw change (`cli/resident.py`, `core/resident/watch.py`).

The stored backlog (`snapshot.py`) already lets a load re-parse only the task files that
changed, but each process pays for finding them (a stat of every file, ~0.1 s on 10,000) and
for reading and rebuilding the stored state (~0.25 s). A resident process knows which files
changed (its watcher names them) and keeps the state and the tasks as objects: a patch costs
the parse of those files, the milestones and the cross-file checks. The rules are the
snapshot's: only task files merged with their manifest entry, whose new text parses to a task
of the same id, are patched; anything else (the manifest, a milestone file, a file added or
removed, a path never seen, a change the watcher could not name) is a full load, which is kept
in turn. A file written and gone again before the load (an editor's or `atomic.py`'s temporary
file), or one whose suffix no loader reads (`.swp`, `~`), changes nothing the loader reads and
is passed over (the files-not-read walk is done again all the same).

Only the process that sets `KEEPER` uses this; every other load goes through `snapshot.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.load import snapshot
from taskctl.core.load.readers.scan import NON_TASK_DIRS, TASKISH
from taskctl.core.model import Backlog

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

MAX_PATCHED = 512  # more changed files at once: a full load


class Kept:
    """The kept load of the store at `root`. `note()` the paths that changed (or None: not
    known); `restore()` gives the backlog as a full load would now, or None."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.state: dict | None = None
        self.changed: set[str] | None = None  # None: anything may have changed
        self.last: Backlog | None = None  # the backlog of the last load through here
        self.patched = False  # a patch of task files alone (no other file came or went)?
        self.unread: list | None = None  # the files-not-read walk of the last full load
        # the last patch changed only task files, and each of their tasks loaded equal to
        # before (an edit of a body, which a load without bodies does not hold)
        self.alike = False

    def note(self, paths: set[str] | None) -> None:
        if paths is None or self.changed is None:
            self.changed = None
        else:
            self.changed |= paths

    def keep(self, ld: Any, bl: Backlog) -> None:
        """Keep what a full load (`ld`, a finished `_Loader`) gave, before its reader adds
        anything: it now stands for the store as it was when the load began."""
        self.last, self.patched, self.unread = bl, False, None
        self.state = snapshot.state_of(ld, bl, racy=False)
        if self.state is None:
            return
        self.state["slot_index"] = {tuple(slot): i for i, (slot, _ps)
                                    in enumerate(self.state["slots"])}
        self.paths = list(ld.paths)
        self.listing = set(self.state["listing"])
        # every folder above a file the load read: a folder moved away is named alone
        read = [*self.state["listing"], *(m for m, _k, _got in self.state["milestones"])]
        self.folders = {os.path.dirname(f) for f in read}
        for f in list(self.folders):
            while f and f != os.path.dirname(f) and len(f) > len(str(self.root)):
                f = os.path.dirname(f)
                self.folders.add(f)
        self.base = (dict(bl.tasks), dict(bl.sources))
        self.changed = set()

    def restore(self) -> Backlog | None:
        st, changed = self.state, self.changed
        if st is None or changed is None or len(changed) > MAX_PATCHED:
            return None
        todo, passed_over, top, aside = [], False, str(self.root) + os.sep, False
        for s in sorted(changed):
            if s.startswith(top) and s[len(top):].split(os.sep, 1)[0].lower() in NON_TASK_DIRS:
                aside = True  # claims change `next`'s answer, not the backlog
                continue  # locks, claims, context...: neither loaded nor walked for W160
            if s in st["files"]:
                if not os.path.isfile(s):
                    return None  # removed
                todo.append(s)
            elif s in self.listing or s in self.folders:
                return None  # a listed file not patchable alone, a folder of read files
            elif os.path.isdir(s) or (os.path.lexists(s) and s.lower().endswith(TASKISH)):
                return None  # a folder (what came in it?), a file a load might read
            else:  # gone again, or no file a load reads (an editor's swap or backup file):
                passed_over = True  # the backlog is the same; the files-not-read walk is redone
        r = snapshot.Restored(self.root, self.paths, st)
        bl = r.backlog([Path(s) for s in todo], base=self.base)
        if bl is None:
            return None
        before = self.base[0]
        self.alike = not (passed_over or aside) and all(
            bl.tasks.get(tid) == before.get(tid) for tid in (st["files"][s][0] for s in todo))
        try:
            snapshot.apply_delta(st, {"keys": {}, **r.patch(bl, todo)})
        except ValueError:  # a task marshal cannot hold: the next load is a full one
            self.state = None
        self.base = (dict(bl.tasks), dict(bl.sources))
        self.changed = set()
        self.last, self.patched = bl, not passed_over
        return bl

    def same_answers(self, old: Backlog | None, new: Backlog) -> bool:
        """Whether `new` (just loaded through here) answers every question as `old` did but
        `show` (its body is parsed per question): a patch of task files alone whose tasks
        loaded equal, with the same problems, milestones and files not read."""
        return (old is not None and new is self.last and self.patched and self.alike
                and old.tasks.keys() == new.tasks.keys() and old.problems == new.problems
                and old.milestones == new.milestones and old.unread == new.unread)

    def walked(self, bl: Backlog) -> list | None:
        """The files-not-read walk of the last full load, when `bl` is a patch of task files
        alone (no file came or went anywhere the watcher looks, so none the walk would see);
        10,000 files: ~50 ms spared."""
        return self.unread if self.last is bl and self.patched else None

    def remember_walk(self, bl: Backlog) -> None:
        if self.last is bl:
            self.unread = list(bl.unread)


KEEPER: Kept | None = None  # set by the resident process for its store


def keeper(root: Path) -> Kept | None:
    return KEEPER if KEEPER is not None and KEEPER.root == Path(root) else None

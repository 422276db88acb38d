"""Phase folders of `TASK-NNN.md` files plus a `MASTER_TASK_LIST.md` index.

Each task file carries its metadata in lines or a table (like numbered-md); its folder is its
phase. The master list is read too: a line naming a task id with a ticked box (`- [x]
TASK-003`) or a status word/emoji gives the status of a task whose file states none.
"""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.load.readers import mdtasks, words
from taskctl.core.load.readers.base import Build, Top
from taskctl.core.model import Backlog
from taskctl.core.status import TaskStatus

TASK_FILE = re.compile(r"^(?:TASK|T)[-_]?\d+.*\.md$", re.IGNORECASE)
MASTER = ("master_task_list.md", "master-task-list.md")
_ID = re.compile(r"\b((?:TASK|T)[-_]?\d+)\b", re.IGNORECASE)
_BOX = re.compile(r"\[([ xX])\]")


def _master(top: Top) -> str | None:
    return next((f for f in sorted(top.files) if f.lower() in MASTER), None)


def _phase_dirs(root: Path, top: Top) -> list[str]:
    out = []
    for d in sorted(top.dirs):
        try:
            if any(TASK_FILE.match(p.name) for p in (root / d).iterdir()):
                out.append(d)
        except OSError:
            continue
    return out


class PhasesReader(mdtasks.MarkdownReader):
    name = "phases"
    label = "phase folders of TASK-NNN.md files plus MASTER_TASK_LIST.md"

    def detect(self, root: Path, top: Top) -> bool:
        dirs = _phase_dirs(root, top)
        return bool(dirs) and (_master(top) is not None or any(
            d.lower().startswith(("phase", "stage", "sprint", "milestone")) for d in dirs))

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads TASK-NNN.md files in phase folders"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        top = Top(root)
        listed = {}
        name = _master(top)
        if name:
            text = (b.text(root / name) or "") if _phase_dirs(root, top) else ""
            for line in text.split("\n"):
                m = _ID.search(line)
                if not m:
                    continue
                box = _BOX.search(line)
                ticked = box and (TaskStatus.COMPLETED if box.group(1) in "xX"
                                  else TaskStatus.PENDING)
                st = (words.status_of(line[m.end():].strip(" |:-*"))
                      or next((s for e, s in words.EMOJI.items() if e in line), None)
                      or ticked or None)
                if st:
                    listed.setdefault(m.group(1).upper(), st)
        for d in _phase_dirs(root, top):
            for path in sorted((root / d).rglob("*.md")):
                if not TASK_FILE.match(path.name):
                    continue
                rec = mdtasks.record(b, path, phase=d)
                if rec is None:
                    continue
                tid = str(rec.data["id"])
                if "status" not in rec.data and tid.upper() in listed:
                    rec.data["status"] = listed[tid.upper()]
                b.add(rec, bodies)
        return b.finish()


READER = PhasesReader()

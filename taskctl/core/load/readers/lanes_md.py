"""One Markdown board at the top of the store (`TASKS.md`, `TODO.md`, `BACKLOG.md`,
`KANBAN.md`): `## <lane>` headings named like statuses (Inbox, Inflight, Next, Backlog, Done…),
each holding `### <ID>: <title>` entries whose blocks may carry metadata lines
(`> **Labels:** docs`, `**Depends on:** T-002`). The lane is the status unless the entry states
one. Read-only: a status change would move a block between sections, which taskctl does not do
(`convert --to tasks` makes a tree it can write)."""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.load.readers import mdmeta, words
from taskctl.core.load.readers.base import Build, Reader, Record, Top
from taskctl.core.model import Backlog
from taskctl.core.status import TaskStatus

BOARDS = ("tasks.md", "todo.md", "backlog.md", "kanban.md", "board.md")
LANES = {"inbox": TaskStatus.PENDING, "inflight": TaskStatus.IN_PROGRESS,
         "in flight": TaskStatus.IN_PROGRESS, "now": TaskStatus.IN_PROGRESS,
         "icebox": TaskStatus.DEFERRED}
_H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_ENTRY = re.compile(r"^###\s+([A-Za-z]*[-_]?\d+(?:\.\d+)*)\s*[:—–-]\s*(.+?)\s*$")


def board(top: Top) -> str | None:
    return next((f for f in sorted(top.files) if f.lower() in BOARDS), None)


class LanesMdReader(Reader):
    name = "lanes-md"
    label = "one Markdown board (TASKS.md) with status lanes and ### ID: title entries"
    writable = False

    def detect(self, root: Path, top: Top) -> bool:
        return board(top) is not None

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads the board file (TASKS.md) only"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        name = board(Top(root))
        path = root / name if name else None
        text = b.text(path) if path else None
        lines = (text or "").split("\n")
        lane: str | None = None
        entries: list[tuple[int, str, str, str | None]] = []  # line, id, title, lane status
        for i, line in enumerate(lines, 1):
            h2 = _H2.match(line)
            if h2:
                word = words.clean(h2.group(1))
                lane = LANES.get(word) or words.status_of(h2.group(1))
                continue
            m = _ENTRY.match(line)
            if m:
                entries.append((i, m.group(1), m.group(2), lane))
        ends = [e[0] for e in entries[1:]] + ([len(lines) + 1] if entries else [])
        for (start, tid, title, status), end in zip(entries, ends, strict=True):
            block = "\n".join(lines[start:end - 1])
            cut = re.search(r"^##\s", block, re.MULTILINE)  # the next lane ends the block
            block = block[:cut.start()] if cut else block
            md = mdmeta.read(re.sub(r"^>\s?", "", block, flags=re.MULTILINE))
            data = {k: v for k, v in md.data.items() if k != "title"}
            data.update({"id": tid, "title": title})
            if "status" not in data:
                data["status"] = status or TaskStatus.PENDING
            lines_of = {"id": start, "status": start, "title": start}
            lines_of.update({k: start + v for k, v in md.lines.items() if k != "title"})
            b.add(Record(data, path, lines_of, block, start + 1), bodies)
        return b.finish()


READER = LanesMdReader()

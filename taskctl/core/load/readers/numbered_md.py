"""Flat numbered Markdown files at the top of the store: `01-setup.md`, `02-api.md`. The
metadata is in a table (`| Status | Done |`) or in lines (`**Status:** Done`), in any of the
languages of `readers/words.py`; the id is the number, the title the first heading."""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.load.readers import mdtasks
from taskctl.core.load.readers.base import Build, Top
from taskctl.core.model import Backlog

NUMBERED = re.compile(r"^\d+[-_ .].*\.md$|^\d+\.md$")


class NumberedMdReader(mdtasks.MarkdownReader):
    name = "numbered-md"
    label = "flat numbered Markdown files (01-setup.md) with metadata lines or tables"

    def detect(self, root: Path, top: Top) -> bool:
        return any(NUMBERED.match(f) for f in top.files)

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads numbered Markdown files (01-name.md) at the top level"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        for path in sorted(p for p in root.iterdir() if p.is_file() and NUMBERED.match(p.name)):
            rec = mdtasks.record(b, path)
            if rec is not None:
                b.add(rec, bodies)
        return b.finish()


READER = NumberedMdReader()

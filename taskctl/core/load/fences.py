"""Where a task file's front matter closes, and which lines of its Markdown are fenced code:
one rule each for the loader (`taskfile.py`, `markdown.py`) and the in-place writer
(`core/write/frontmatter.py`), so that a file the loader reads is one the writer edits in the
same place. Import-light (`re` only): the write fast path loads it."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s*")


def closing(text: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the line closing the front matter: what the regex
    `^(?:---|\\.\\.\\.)\\s*$` (MULTILINE) matches searching `text` from `start`, which begins a
    line; None if nothing does. Candidates are found with `str.find` (the regex tried every
    position of the front matter: ≈ 40 % of splitting a file). `\\s*$` is greedy: the end is
    the last line break (or the text's end) before the first character that is not space."""
    n = len(text)
    p = start
    while True:
        if text.startswith(("---", "..."), p):
            j = p + 3
            k = _SPACES.match(text, j).end()
            q = n if k == n else text.rfind("\n", j, k)
            if q >= 0:
                return p, q
        a, b = text.find("\n---", p), text.find("\n...", p)
        if a < 0 and b < 0:
            return None
        p = (b if a < 0 else a if b < 0 else min(a, b)) + 1


_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")


class Fence:
    """Fed a Markdown text's lines in order, says which belong to a fenced code block (its
    opening and closing lines included), as CommonMark pairs fences: a fence closes only with
    the character it opened with, at least as many of them, and nothing but spaces after; a
    backtick fence's info string holds no backtick. `open`: the run that opened the fence the
    text is in (None outside one): a text that ends inside a fence leaves it set."""

    def __init__(self) -> None:
        self.open: str | None = None

    def inside(self, line: str) -> bool:
        m = _FENCE.match(line)
        if self.open is None:
            if m is None or (m.group(1)[0] == "`" and "`" in m.group(2)):
                return False
            self.open = m.group(1)
            return True
        if m is not None:
            run, rest = m.groups()
            if run[0] == self.open[0] and len(run) >= len(self.open) and not rest.strip():
                self.open = None
        return True


def spans(text: str) -> list[tuple[int, int]]:
    """The fenced code blocks of a whole Markdown text as (start, end) character spans, in
    order: from the opening line's start to the closing line's end (the text's end when none
    closes it) — the lines `Fence.inside` says are inside, fed every line of the text. Only
    the lines holding a fence run (found by `str.find`) can open or close one, so only they
    are fed: a text without one costs two searches."""
    starts = set()
    for mark in ("```", "~~~"):
        p = text.find(mark)
        while p >= 0:
            starts.add(text.rfind("\n", 0, p) + 1)
            p = text.find("\n", p)
            if p < 0:
                break
            p = text.find(mark, p)
    out, fence, opened = [], Fence(), 0
    for start in sorted(starts):
        m = _FENCE.match(text, start)  # `(.*)` stops at the line's end: the line's own match
        if m is None:
            continue
        was = fence.open
        fence.inside(m.group(0))
        if was is None and fence.open is not None:
            opened = start
        elif was is not None and fence.open is None:
            out.append((opened, m.end()))
    if fence.open is not None:
        out.append((opened, len(text)))
    return out

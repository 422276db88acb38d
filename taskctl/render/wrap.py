"""rich's word wrapping (`Text.wrap` with `rich._wrap.divide_line`) for text of characters one
cell wide (`blocks.narrow`: its only blank is the space), without importing rich: what
`render/plain.py` writes where rich wraps a paragraph, a panel's text or a table cell.
tests/taskctl/render/test_wrap.py compares it with rich on random text and widths."""

from __future__ import annotations

import re

_WORD = re.compile(r" *[^ ]+ *")  # rich's `\s*\S+\s*`: a word with the blanks around it


def lines(text: str, width: int, fold: bool = True) -> list[str]:
    """`text`'s lines as rich wraps each in `width` cells (at least one): a word longer than
    a line is folded onto the next (`fold`: rich's overflow "fold") or cut with …
    ("ellipsis", a table cell's)."""
    if width < 1:
        raise ValueError(f"no room to wrap text in {width} cell(s)")
    return [piece for line in text.split("\n") for piece in _wrap(line, width, fold)]


def _wrap(line: str, width: int, fold: bool) -> list[str]:
    breaks, offset = [], 0  # where lines begin; cells used on the current one
    for m in _WORD.finditer(line):
        start, word = m.start(), m.group()
        size = len(word.rstrip(" "))
        if width - offset >= size:
            offset += len(word)
        elif size > width:  # longer than a line: folded, or alone on its line and cut
            chunks = [word[i:i + width] for i in range(0, len(word), width)] if fold else [word]
            for chunk in chunks:
                if start:
                    breaks.append(start)
                start += len(chunk)
            offset = len(chunks[-1])
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    out = []
    for a, b in zip([0, *breaks], [*breaks, len(line)], strict=True):
        piece = line[a:b]
        excess = len(piece) - width
        if excess > 0:  # blanks beyond the width go (`Text.rstrip_end`), then it is cut
            piece = piece[:len(piece) - min(len(piece) - len(piece.rstrip(" ")), excess)]
            if len(piece) > width:
                piece = piece[:width] if fold else piece[:width - 1] + "…"
        out.append(piece)
    return out

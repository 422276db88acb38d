"""Parser limits for YAML task files: nesting depth, expanded size, numbers.

Why: libyaml's composer (under CSafeLoader) recurses on the C stack — 100,000 nested `[`
segfault the interpreter, which no `except` can catch — and anchors/aliases let a small file
stand for an exponentially large tree that JSON output, copies and renderers expand.

- `check_depth` bounds the nesting before parsing. A cheap over-estimate (flow brackets plus
  twice the deepest block-indicator prefix of a line) clears ordinary files at once; only a
  file that might be too deep is walked event by event (libyaml's parser is iterative).
- `check_values` walks the parsed data once (shared nodes once): it counts the values the
  document expands to, and finds non-finite floats and absurdly large integers.
"""

from __future__ import annotations

import math
import re

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 100  # a task spec is a handful of levels deep
MAX_NODES = 100_000  # values after alias expansion; a large spec has a few hundred
MAX_INT = 10**18  # estimates, timeouts, token counts: anything larger is a typo or an attack
_BLOCK_PREFIX = re.compile(r"^[ \t]*(?:[-?:][ \t]+)*", re.MULTILINE)
_LONG_DIGITS = re.compile(r"[0-9_]{100,}")
# what a refused value needs in the text: .nan/.inf, a positive exponent (1.0e+999 is inf),
# a 0x/0o/0b literal, or a run of 15+ digits. A text with none of them skips the walk.
_LONG_RUN = re.compile(r"[0-9_]{15}")


def needs_value_check(text: str) -> bool:
    """False when no value of `text` can be refused by `check_values` (a cheap text scan)."""
    low = text.lower()
    if any(s in low for s in (".nan", ".inf", "e+", "0x", "0o", "0b")):
        return True
    return _LONG_RUN.search(text) is not None


def _may_be_deep(text: str) -> bool:
    flow = text.count("[") + text.count("{")
    if flow > MAX_DEPTH:
        return True
    block = max((m.end() - m.start() for m in _BLOCK_PREFIX.finditer(text)), default=0)
    return flow + 2 * (block + 1) > MAX_DEPTH


def check_depth(text: str, loader, line_offset: int, error) -> None:
    """Raise `error(rule, message, line, column, hint=…)` when `text` nests deeper than
    MAX_DEPTH. YAML syntax errors met on the way propagate (the caller reports them)."""
    if not _may_be_deep(text):
        return
    import yaml  # lazy: the usual front matter never gets here (safeyaml's `fastyaml` path)

    depth = 0
    for ev in yaml.parse(text, Loader=loader):
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                m = ev.start_mark
                raise error("yaml-syntax", f"YAML nested more than {MAX_DEPTH} levels deep",
                            m.line + 1 + line_offset, m.column + 1,
                            hint="flatten the structure; a task spec is a few levels deep")
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1


def check_values(data: Any, count_nodes: bool = True) -> tuple[tuple, str] | None:
    """(path, message) of the first refused value, or None. Iterative; each shared container
    is walked once, its expanded size counted every time it is referenced."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, tuple, bool]] = [(data, (), False)]
    while stack:
        v, path, done = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return path, f"{_where(path)}: non-finite number {v} is not allowed"
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT:
            return path, f"{_where(path)}: number of {len(str(abs(v)))} digits is out of range"
        if not isinstance(v, dict | list):
            continue
        kids = list(v.items()) if isinstance(v, dict) else list(enumerate(v))
        if done:
            sizes[id(v)] = 1 + sum(2 if isinstance(v, dict) else 1 for _ in kids) + sum(
                sizes.get(id(x), 0) for _k, x in kids)
            if count_nodes and sizes[id(v)] > MAX_NODES:
                return path[:1], (f"{_where(path[:1])}: the document expands to more than "
                              f"{MAX_NODES:,} values (anchors and aliases)")
            continue
        if id(v) in sizes:
            continue  # shared (an alias): already walked, its size is known
        sizes[id(v)] = 0  # in progress: a cycle back to it adds nothing
        stack.append((v, path, True))
        for k, x in kids:
            if isinstance(k, float | int) and not isinstance(k, bool):
                stack.append((k, path, False))
            stack.append((x, (*path, k), False))
    return None


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def long_number_at(text: str) -> tuple[int | None, int | None]:
    """1-based position of the first run of 100+ digits (the likely cause of a ValueError)."""
    m = _LONG_DIGITS.search(text)
    if not m:
        return None, None
    return text.count("\n", 0, m.start()) + 1, m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1

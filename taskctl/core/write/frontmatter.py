"""In-place edits of a task file: one front-matter key at a time, and Progress Log lines.

Only the lines of the key being set change; comments, key order, layout and the Markdown body
are kept byte for byte (a full re-dump would lose comments). A key's block is its line plus the
continuation lines under it (indented lines, or `- ` items of a block list).
"""

from __future__ import annotations

import re
from typing import Any

# yaml is imported where a value is dumped (set_key) or a plain YAML task is read: appending a
# Progress Log line needs neither. Patterns compile on first use (re's own cache).
_FM_END = r"^(?:---|\.\.\.)[ \t]*$"
_H2 = r"^##\s+(.+?)\s*#*\s*$"
PROGRESS_LOG = "Progress Log"


def span(text: str, fmt: str) -> tuple[int, int]:
    """(start, end) offsets of the YAML text: the front matter, or the whole plain document."""
    if fmt == "yaml":
        return 0, len(text)
    start = text.find("\n") + 1
    m = re.compile(_FM_END, re.MULTILINE).search(text, start)
    return start, (m.start() if m else start)


def inline(value: Any) -> str:
    """A value as one line of YAML (flow style): `P1`, `"a: b"`, `[T001, T002]`, `2.5`."""
    import yaml

    from taskctl.core.write.yamlout import _Dumper

    out = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=1 << 30,
                    allow_unicode=True)
    return out.removesuffix("\n...\n").rstrip("\n")


def _block(fm: str, key: str) -> tuple[int, int] | None:
    m = re.search(rf"^{re.escape(key)}[ \t]*:", fm, re.MULTILINE)
    if not m:
        return None
    end = fm.find("\n", m.end())
    end = len(fm) if end < 0 else end + 1
    while end < len(fm):
        nxt = fm.find("\n", end)
        line = fm[end:(len(fm) if nxt < 0 else nxt)]
        if line[:1] in (" ", "\t") or line.startswith("- ") or line == "-":
            end = len(fm) if nxt < 0 else nxt + 1
        else:
            break
    return m.start(), end


def set_key(text: str, fmt: str, key: str, value: Any, aliases: tuple[str, ...] = ()) -> str:
    """Set top-level `key` to `value` (None: remove it); alias spellings of it are removed.

    The new line goes where the key (or its first alias) was, else at the end of the YAML.
    """
    a, b = span(text, fmt)
    fm = text[a:b]
    at = None
    for k in (key, *aliases):
        while (blk := _block(fm, k)) is not None:
            s, e = blk
            at = s if at is None else min(at, s)
            fm = fm[:s] + fm[e:]
    if value is not None:
        line = f"{key}: {inline(value)}\n"
        if at is None:
            if fm and not fm.endswith("\n"):
                fm += "\n"
            at = len(fm)
        fm = fm[:at] + line + fm[at:]
    return text[:a] + fm + text[b:]


def one_line(message: str) -> str:
    return re.sub(r"\s+", " ", message).strip()


def append_log(text: str, fmt: str, line: str) -> str:
    """Append `- line` to the `## Progress Log` section (created at the end when missing).

    A plain YAML task file has no Markdown: the line goes to its `progress_log:` list instead.
    """
    if fmt == "yaml":
        import yaml

        a, b = span(text, fmt)
        data = yaml.safe_load(text[a:b]) or {}
        old = data.get("progress_log") if isinstance(data, dict) else None
        items = [*old, line] if isinstance(old, list) else [line]
        return set_key(text, fmt, "progress_log", items)
    lines = text.split("\n")
    start = None
    in_fence = False
    _, fm_end = span(text, fmt)
    body_from = text.count("\n", 0, fm_end) + 1
    h2 = re.compile(_H2)
    for i in range(body_from, len(lines)):
        if lines[i].lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        m = None if in_fence else h2.match(lines[i])
        if m and start is None and m.group(1).strip().lower() == PROGRESS_LOG.lower():
            start = i
        elif m and start is not None:
            return "\n".join(_insert(lines, start, i, line))
    if start is not None:
        return "\n".join(_insert(lines, start, len(lines), line))
    body = text.rstrip("\n")
    return body + f"\n\n## {PROGRESS_LOG}\n\n- {line}\n"


def _insert(lines: list[str], start: int, end: int, line: str) -> list[str]:
    """Insert after the last non-blank line of lines[start:end] (the section)."""
    last = end - 1
    while last > start and not lines[last].strip():
        last -= 1
    new = [f"- {line}"]
    if last == start:  # empty section: keep a blank line under the heading
        new = ["", *new]
    return lines[:last + 1] + new + lines[last + 1:]

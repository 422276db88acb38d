"""In-place edits of a task file: one front-matter key at a time, and Progress Log lines.

Only the lines of the key being set change; comments, key order, layout and the Markdown body
are kept byte for byte (a full re-dump would lose comments). A key's block is its line plus the
continuation lines under it (indented lines, or `- ` items of a block list). The front matter
ends where the loader says it does (`core/load/fences.py`), and lines added end as the file's
first line does (CRLF in a file saved on Windows).
"""

from __future__ import annotations

import re
from typing import Any

from taskctl.core.load.fences import closing

# yaml is imported where a value is dumped (set_key) or a plain YAML task is read: appending a
# Progress Log line needs neither. Patterns compile on first use (re's own cache).
_H2 = r"^##\s+(.+?)\s*#*\s*$"
PROGRESS_LOG = "Progress Log"


def span(text: str, fmt: str) -> tuple[int, int]:
    """(start, end) offsets of the YAML text: the front matter, or the whole plain document."""
    if fmt == "yaml":
        return 0, len(text)
    start = text.find("\n") + 1
    end = closing(text, start)
    return start, (end[0] if end else start)


def newline(text: str) -> str:
    """The line break the file's first line ends with: CRLF or LF (LF when it has none)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


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
        if line[:1] in (" ", "\t") or line.startswith("- ") or line.rstrip("\r") == "-":
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
        nl = newline(text)
        line = f"{key}: {inline(value)}{nl}"
        if at is None:
            if fm and not fm.endswith("\n"):
                fm += nl
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
    cr = "\r" if newline(text) == "\r\n" else ""  # CRLF lines split at LF keep their CR
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
            return "\n".join(_insert(lines, start, i, line, cr))
    if start is not None:
        return "\n".join(_insert(lines, start, len(lines), line, cr))
    nl = cr + "\n"
    body = text.rstrip(cr + "\n")
    return body + f"{nl}{nl}## {PROGRESS_LOG}{nl}{nl}- {line}{nl}"


def _insert(lines: list[str], start: int, end: int, line: str, cr: str = "") -> list[str]:
    """Insert after the last non-blank line of lines[start:end] (the section); `cr`: the
    carriage return that ends each line of a CRLF file (split at LF)."""
    last = end - 1
    while last > start and not lines[last].strip():
        last -= 1
    new = [f"- {line}{cr}"]
    if last == start:  # empty section: keep a blank line under the heading
        new = [cr, *new]
    return lines[:last + 1] + new + lines[last + 1:]

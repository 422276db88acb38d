"""In-place edits of a task file: one front-matter key at a time, and Progress Log lines.

Only the lines of the key being set change; comments, key order, layout and the Markdown body
are kept byte for byte (a full re-dump would lose comments). A key's lines are found by
`layout.py` (its line to its value's last line, whatever the YAML style: block or flow
lists, quoted keys, values continued on the next lines); the comment after a replaced value
stays after the new one, and a new key is indented as the mapping's others. The front matter
ends where the loader says it does (`core/load/fences.py`), and lines added end as the file's
first line does (CRLF in a file saved on Windows).
"""

from __future__ import annotations

import re

from taskctl.core.load.fences import Fence, closing
from taskctl.core.write.layout import layout
from taskctl.errors import NotWritable

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

# yaml is imported where a value is dumped (set_key) or a front matter outside the usual shape
# is edited (layout.py): appending a Progress Log line needs neither. Patterns compile on
# first use (re's own cache).
_H2 = r"^##\s+(.+?)\s*#*\s*$"
PROGRESS_LOG = "Progress Log"


def span(text: str, fmt: str) -> tuple[int, int]:
    """(start, end) offsets of the YAML text: the front matter, or a plain YAML document up to
    its end marker (`...`) if it has one."""
    if fmt == "yaml":
        start = _document_start(text)
        end = closing(text, start)
        return start, (end[0] if end else len(text))
    start = text.find("\n") + 1
    end = closing(text, start)
    return start, (end[0] if end else start)


def _document_start(text: str) -> int:
    """Where a plain YAML task's document begins: after its `---` start marker when only
    blank, comment and directive (`%YAML`) lines come before it; else at the text's start."""
    at = 0
    while at < len(text):
        nl = text.find("\n", at)
        after = len(text) if nl < 0 else nl + 1
        line = text[at:after].strip()
        if line == "---" or line.startswith("--- "):
            return after if line == "---" else at + 3
        if line and line[0] not in "#%":
            return 0
        at = after
    return 0


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


def put(text: str, fmt: str, key: str, value: str | None, aliases: tuple[str, ...] = (),
        after: tuple[str, ...] | None = None, keep_name: bool = False) -> str:
    """Set top-level `key` to the YAML text `value` (None: remove it). Every line of it and of
    its `aliases` goes; the new `key: value` line takes the place of the first of them
    (keeping the comment after its value), else goes after the first key of `after` that is
    there (`after` given but none there: first of all), else after the mapping's last key.
    `keep_name`: the spelling found is kept (`completed:` stays `completed:`). Refused
    (NotWritable) when the value to replace holds an anchor another key refers to."""
    a, b = span(text, fmt)
    fm = text[a:b]
    lay = layout(fm)
    names = (key, *aliases)
    found = [k for k in lay.keys if k.name in names]
    for k in found:
        if k.shared is not None:
            raise NotWritable(f"{k.name}: its value holds a YAML anchor that {k.shared} refers "
                              "to; taskctl cannot change it in place",
                              f"edit the file by hand (or write {k.shared}'s value out)")
    if value is not None:
        nl = newline(text)
        name = found[0].name if found and keep_name else key
        comment = f"  {found[0].comment}" if found and found[0].comment else ""
        line = f"{lay.indent}{name}: {value}{comment}{nl}"
        if found:
            at = found[0].start
        elif after is not None:
            prior = next((k for n in after for k in lay.keys if k.name == n), None)
            at = prior.end if prior is not None else (lay.keys[0].start if lay.keys else 0)
        else:
            at = lay.end
        if at and fm[at - 1] != "\n":  # after a last line with no line break
            line = nl + line
        fm = fm[:at] + line + fm[at:]
        shift = len(line)
        found = [k._replace(start=k.start + shift if k.start >= at else k.start,
                            end=k.end + shift if k.start >= at else k.end) for k in found]
    for k in sorted(found, key=lambda k: k.start, reverse=True):
        fm = fm[:k.start] + fm[k.end:]
    return text[:a] + fm + text[b:]


def set_key(text: str, fmt: str, key: str, value: Any, aliases: tuple[str, ...] = ()) -> str:
    """Set top-level `key` to `value` (None: remove it); alias spellings of it are removed.

    The new line goes where the key (or its first alias) was, else at the end of the YAML.
    """
    return put(text, fmt, key, None if value is None else inline(value), aliases)


def one_line(message: str) -> str:
    return re.sub(r"\s+", " ", message).strip()


def append_log(text: str, fmt: str, line: str) -> str:
    """Append `- line` to the `## Progress Log` section (created at the end when missing).

    A plain YAML task file has no Markdown: the line goes to its `progress_log:` list instead
    (a new item under a block list's others; else the list written again). A body that ends
    inside a fenced code block gets its closing fence first, so the line is not code.
    """
    if fmt == "yaml":
        return _append_yaml_log(text, fmt, line)
    cr = "\r" if newline(text) == "\r\n" else ""  # CRLF lines split at LF keep their CR
    lines = text.split("\n")
    start = None
    fence = Fence()
    _, fm_end = span(text, fmt)
    body_from = text.count("\n", 0, fm_end) + 1
    h2 = re.compile(_H2)
    for i in range(body_from, len(lines)):
        m = None if fence.inside(lines[i]) else h2.match(lines[i])
        if m and start is None and m.group(1).strip().lower() == PROGRESS_LOG.lower():
            start = i
        elif m and start is not None:
            return "\n".join(_insert(lines, start, i, line, cr))
    if fence.open is not None:  # the text ends inside a fence: close it first
        text = text.rstrip(cr + "\n") + f"{cr}\n{fence.open}{cr}\n"
        lines = text.split("\n")
    if start is not None:
        return "\n".join(_insert(lines, start, len(lines), line, cr))
    nl = cr + "\n"
    body = text.rstrip(cr + "\n")
    return body + f"{nl}{nl}## {PROGRESS_LOG}{nl}{nl}- {line}{nl}"


def _append_yaml_log(text: str, fmt: str, line: str) -> str:
    a, b = span(text, fmt)
    fm = text[a:b]
    got = next((k for k in layout(fm).keys if k.name == "progress_log"), None)
    first = fm.find("\n", got.start) + 1 if got is not None else 0  # the line after the key's
    if first:  # a block list under the key (nothing after `progress_log:` but a comment)?
        items = [ln for ln in fm[first:got.end].split("\n") if ln.strip()
                 and not ln.lstrip().startswith("#")]
        head = fm[got.start:first].split(":", 1)[1].strip()
        if items and items[0].lstrip().startswith("- ") and (not head or head[0] == "#"):
            indent = items[0][:len(items[0]) - len(items[0].lstrip())]
            nl = newline(text)
            add = f"{indent}- {inline(line)}{nl}"
            if fm[got.end - 1:got.end] != "\n":
                add = nl + add
            return text[:a] + fm[:got.end] + add + fm[got.end:] + text[b:]
    import yaml

    data = yaml.safe_load(fm) or {}
    old = data.get("progress_log") if isinstance(data, dict) else None
    items = [*old, line] if isinstance(old, list) else [line]
    return set_key(text, fmt, "progress_log", items)


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

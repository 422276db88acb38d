"""Parse a Markdown TODO list (headings + nested checkboxes) into items. Pure: text in, data out.

Rules (docs/integrations.md):
- `# H1` is a milestone, `## H2` a phase, `###`+ headings a section path inside the phase.
- A list item whose text starts with `[ ]`, `[x]`/`[X]` or `[~]`/`[-]`/`[/]` (in progress) is an
  item; its parent is the nearest enclosing checkbox item (plain bullets in between are skipped).
- Plain bullets and indented text under an item are its notes (e.g. `Status (Nov 18): ...`).
- In an item's text, trailing `(...)` groups and `_..._`/`*...*` spans are inline notes; backtick
  spans that look like paths become `refs`, ISO/short dates become `dates`. Other lines
  (paragraphs, top-level plain bullets, code blocks) are skipped and counted.
- A `<!-- taskctl:T012 STATUS [proven] -->` comment (written by `taskctl export`) names the task
  and what the export showed; such a line's text is taken verbatim (notes come from sub-bullets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from taskctl.core.load.fences import Fence

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_BOX = re.compile(r"^\[([ xX~/-])\]\s*(.*)$")
# `taskctl export`'s marker: the line's last one counts (a title cannot fake it: export writes
# a comment opener inside text as `<\!--`, read back by `_unescaped`); text a user typed after
# it does not hide it
_COMMENT = re.compile(r"\s*<!--\s*taskctl:(\S+)\s+(\w+)(\s+proven)?\s*-->\s*")
_ANY_COMMENT = re.compile(r"\s*<!--.*?-->\s*")
_COMMENT_BLOCK = re.compile(r" {0,3}<!--")  # a line that opens an HTML comment block
_CODE = re.compile(r"`[^`]*`")
_TRAILING_PAREN = re.compile(r"\s*\(([^()]*)\)\s*[.;,]?\s*$")
_ITALIC = re.compile(r"(?<![\w*])(?:_([^_]+)_|\*([^*]+)\*)(?![\w*])")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                   r"[a-z]*\.? \d{1,2}(?:, \d{4})?)$")
_PATH = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,6}$")
# the visible status markers `taskctl export` adds; stripped on import
MARKER = re.compile(r"\s*\*\*\((?:unverified|in progress|blocked|deferred|cancelled|"
                    r"completed, evidence stale)\)\*\*")
IN_PROGRESS_MARKS = frozenset("~/-")


@dataclass
class TodoItem:
    line: int  # 1-based
    title: str
    text: str  # the item text as written (after the checkbox)
    mark: str  # " ", "x" or an in-progress mark
    milestone: str | None
    phase: str | None
    section: str | None  # H3+ headings joined by " / "
    parent: int | None = None  # index of the parent item in TodoDoc.items
    notes: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    task_id: str | None = None  # from an export comment
    exported_status: str | None = None
    exported_proven: bool = False

    @property
    def checked(self) -> bool:
        return self.mark in "xX"

    @property
    def in_progress(self) -> bool:
        return self.mark in IN_PROGRESS_MARKS


@dataclass
class TodoDoc:
    items: list[TodoItem]
    skipped: list[int]  # lines of text that are neither headings, items nor notes


def normalise(text: str) -> str:
    """Case-, space- and emphasis-insensitive form of an item text (for stable import keys)."""
    t = re.sub(r"[*_`~]+", "", text).casefold()
    return re.sub(r"\s+", " ", t).strip().rstrip(".:;!").strip()


def _indent(ws: str) -> int:
    return len(ws.replace("\t", "    "))


_LEADING_SEPARATOR = re.compile(r"[-—–:;,]+(?:\s+|$)")  # a dash or colon then a space


def split_text(text: str) -> tuple[str, list[str], list[str], list[str]]:
    """(title, inline notes, refs, dates) of an item text without its checkbox."""
    refs, dates = [], []
    for span in _CODE.findall(text):
        inner = span.strip("`").strip()
        if _DATE.match(inner):
            dates.append(inner)
        elif _PATH.search(inner) and " " not in inner:
            refs.append(inner)
    # mask code spans so their parentheses/underscores are not taken for notes
    spans = _CODE.findall(text)
    masked = _CODE.sub(lambda m: f"\x00{spans.index(m.group(0))}\x00", text)
    notes = [(m.group(1) or m.group(2)).strip() for m in _ITALIC.finditer(masked)]
    masked = _ITALIC.sub("", masked).rstrip()
    parens: list[str] = []
    while (m := _TRAILING_PAREN.search(masked)) and m.start() > 0:
        parens.insert(0, m.group(1).strip())
        masked = masked[:m.start()]
    notes = parens + notes
    title_part = masked
    title = re.sub(r"\s+", " ", title_part).rstrip(" \t-—–:;,").lstrip()
    while lead := _LEADING_SEPARATOR.match(title):  # "- [x] - text", not "-v flag"/"--json"
        title = title[lead.end():]
    unmask = re.compile(r"\x00(\d+)\x00")

    def restore(s: str) -> str:
        return unmask.sub(lambda m: spans[int(m.group(1))], s)

    title, notes = restore(title), [restore(n) for n in notes if n]
    # a note that is only a path/date in backticks is already kept in refs/dates
    notes = [n for n in notes if not (_CODE.fullmatch(n) and n.strip("`").strip() in
                                      refs + dates)]
    if not title:  # the whole item was a note: it is its own title
        title, notes = (notes[0], notes[1:]) if notes else (restore(masked).strip(), [])
    return title, notes, refs, dates


def parse(text: str) -> TodoDoc:
    items: list[TodoItem] = []
    skipped: list[int] = []
    milestone = phase = None
    sections: list[tuple[int, str]] = []
    stack: list[tuple[int, int | None]] = []  # (indent, item index or None for a plain bullet)
    fenced = Fence().inside  # code fences paired as CommonMark pairs them
    in_comment = False  # inside an HTML comment block (CommonMark: to the line with `-->`)
    for n, line in enumerate(text.split("\n"), 1):
        if in_comment:
            in_comment = "-->" not in line
            skipped.append(n)
            continue
        if fenced(line):
            skipped.append(n)
            continue
        if _COMMENT_BLOCK.match(line) and "-->" not in line[line.find("<!--") + 4:]:
            in_comment = True  # a comment block that closes on a later line
            skipped.append(n)
            continue
        if not line.strip() or _ANY_COMMENT.fullmatch(line):
            continue
        h = _HEADING.match(line)
        if h:
            level, title = len(h.group(1)), h.group(2).strip()
            stack = []
            if level == 1:
                milestone, phase, sections = title, None, []
            elif level == 2:
                phase, sections = title, []
            else:
                sections = [s for s in sections if s[0] < level] + [(level, title)]
            continue
        m = _LIST.match(line)
        if not m:
            owner = next((i for _, i in reversed(stack) if i is not None), None)
            if owner is not None and line[:1].isspace():
                items[owner].notes.append(line.strip())  # continuation text of an item
            else:
                skipped.append(n)
                stack = []
            continue
        ind, body = _indent(m.group(1)), m.group(2).strip()
        while stack and stack[-1][0] >= ind:
            stack.pop()
        parent = next((i for _, i in reversed(stack) if i is not None), None)
        box = _BOX.match(body)
        if not box:
            if parent is None:
                skipped.append(n)
            else:
                items[parent].notes.append(_unescaped(_ANY_COMMENT.sub(" ", body).strip()))
            stack.append((ind, None))
            continue
        item = _item(n, box.group(1), box.group(2), milestone, phase,
                     " / ".join(s for _, s in sections) or None, parent)
        if not item.title:  # `- [ ]` with no text: no task to make of it
            skipped.append(n)
            stack.append((ind, None))
            continue
        items.append(item)
        stack.append((ind, len(items) - 1))
    return TodoDoc(items, skipped)


def _unescaped(text: str) -> str:
    """`<\\!--` (how `taskctl export` writes a comment opener inside text) read back."""
    return text.replace("<\\!--", "<!--")


def _item(n: int, mark: str, raw: str, milestone, phase, section, parent) -> TodoItem:
    found = list(_COMMENT.finditer(raw))
    c = found[-1] if found else None  # the last marker on the line
    clean = MARKER.sub("", _ANY_COMMENT.sub(" ", raw)).strip()
    if c:  # written by `taskctl export`: verbatim title, notes come from sub-bullets only
        _t, _n, refs, dates = split_text(clean)
        return TodoItem(n, _unescaped(re.sub(r"\s+", " ", clean)), raw, mark, milestone,
                        phase, section,
                        parent, [], refs, dates, c.group(1), c.group(2), bool(c.group(3)))
    title, notes, refs, dates = split_text(clean)
    return TodoItem(n, title, raw, mark, milestone, phase, section, parent, notes, refs, dates)

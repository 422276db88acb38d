"""Task metadata from Markdown written by people: front matter (even when it is not valid
YAML), `**Status:** Done` lines, key/value tables, and the first heading as the title.

Each value keeps its line and its exact span in the text, so a status change can rewrite
those bytes and nothing else.
"""

from __future__ import annotations

import re
from typing import Any

from taskctl.core.load import safeyaml
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.records import field, record

KEYS = {  # canonical key <- the labels people write (cleaned: lower case, no marks)
    "status": ("status", "state", "état", "etat", "statut", "estado", "stato", "zustand",
               "状态", "ステータス", "current status"),
    "priority": ("priority", "prio", "priorité", "priorite", "prioridad", "priorität",
                 "priorita", "priorità", "优先级"),
    "depends_on": ("depends on", "depends_on", "dependencies", "dependency", "depends",
                   "blocked by", "blocked_by", "requires", "prerequisites", "prerequisite",
                   "dépendances", "dependances", "dépend de", "dependencias", "depende de",
                   "abhängigkeiten", "dipendenze", "依赖", "前置任务"),
    "id": ("id", "task id", "task_id", "ticket"),
    "title": ("title", "titre", "título", "titulo", "titel", "titolo"),
    "estimated_hours": ("estimate", "estimated hours", "estimated_hours", "effort",
                        "estimation", "estimated time", "time estimate", "hours", "durée",
                        "estimación", "aufwand", "estimated effort"),
    "phase": ("phase", "fase", "sprint", "stage"),
    "milestone": ("milestone", "jalon"),
    "owner": ("owner", "assignee", "assigned to", "agent", "responsable"),
    "tags": ("tags", "labels", "label"),
}
LABELS = {label: key for key, labels in KEYS.items() for label in labels}
_BOLD = re.compile(r"^\s*(?:[-*+]\s+)?\*\*([^*\n]{1,40}?)\s*:?\s*\*\*\s*:?[ \t]*(.*?)\s*$")
_PLAIN = re.compile(r"^\s*(?:[-*+]\s+)?([A-Za-zÀ-ÿ][\w À-ÿ]{0,30}?)\s*:[ \t]+(.+?)\s*$")
_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_SEP = re.compile(r"^\s*\|?\s*:?-{2,}")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_FM_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")


@record
class MdTask:
    """What one Markdown file says about its task."""

    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> 1-based line
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> value offsets
    body: str = ""
    body_line: int = 1
    title_line: int | None = None
    front_matter: bool = False


def _clean_label(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*_`]+", "", s)).strip().rstrip(":").strip().casefold()


def _offsets(text: str) -> list[int]:
    out, pos = [0], 0
    while (pos := text.find("\n", pos) + 1) > 0:
        out.append(pos)
    return out


def _put(md: MdTask, key: str, value: Any, line: int, span: tuple[int, int] | None) -> None:
    if key in md.data:  # the first mention wins (later ones are usually history)
        return
    md.data[key] = value
    md.lines[key] = line
    if span:
        md.spans[key] = span


def _front_matter(text: str, md: MdTask) -> int:
    """Read a `---` block; returns the offset where the body starts (0: none)."""
    if not text.startswith("---"):
        return 0
    m = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE).search(text, text.find("\n") + 1)
    first = text.find("\n") + 1
    if first == 0 or not m:
        return 0
    fm = text[first:m.start()]
    md.front_matter = True
    try:
        data = safeyaml.load(fm, 1)
    except FileIssue:  # `status: !normal`, `owner: @bot`: not YAML, but plainly meant
        data = None
    offs = _offsets(text)
    line = 2
    for raw in fm.split("\n"):
        km = _FM_KEY.match(raw)
        if km and not raw[:1].isspace():
            key = km.group(1)
            val: Any = km.group(2).strip()
            start = offs[line - 1] + km.start(2)
            if isinstance(data, dict) and key in data:
                val = data[key]
            elif isinstance(val, str):
                val = val.strip("'\"")
            canon = LABELS.get(_clean_label(key.replace("_", " ")), LABELS.get(key.lower()))
            _put(md, canon or key, val, line, (start, start + len(km.group(2))))
        line += 1
    if isinstance(data, dict):  # nested values the line scan cannot see
        for k, v in data.items():
            md.data.setdefault(LABELS.get(_clean_label(str(k)), str(k)), v)
    end = m.end() + 1
    return min(end, len(text))


def read(text: str) -> MdTask:
    """Everything the file says, located. Never raises."""
    md = MdTask()
    start = _front_matter(text, md)
    offs = _offsets(text)
    md.body = text[start:]
    md.body_line = text.count("\n", 0, start) + 1
    lines = text[start:].split("\n")
    in_fence, header = False, None
    for i, raw in enumerate(lines):
        ln = md.body_line + i
        base = offs[ln - 1] if ln - 1 < len(offs) else len(text)
        if _FENCE.match(raw):
            in_fence = not in_fence
        if in_fence:
            continue
        h = _H1.match(raw)
        if h and "title" not in md.data:
            _put(md, "title", h.group(1).strip(), ln, None)
            md.title_line = ln
            continue
        row = _ROW.match(raw)
        if row:
            cells = [c.strip() for c in row.group(1).split("|")]
            if _SEP.match(raw):
                continue
            if header is not None and len(cells) == len(header):
                for label, cell in zip(header, cells, strict=True):
                    key = LABELS.get(_clean_label(label))
                    if key and cell:
                        pos = raw.find(cell, raw.find("|"))
                        _put(md, key, cell, ln, (base + pos, base + pos + len(cell)))
                header = None  # one data row: the task's own; more rows are something else
                continue
            if len(cells) == 2 and LABELS.get(_clean_label(cells[0])):
                key = LABELS[_clean_label(cells[0])]
                pos = raw.rfind(cells[1]) if cells[1] else -1
                if cells[1]:
                    _put(md, key, cells[1], ln, (base + pos, base + pos + len(cells[1])))
                continue
            known = [c for c in cells if LABELS.get(_clean_label(c))]
            if len(known) >= 2 and i + 1 < len(lines) and _SEP.match(lines[i + 1]):
                header = cells
            continue
        header = None
        m = _BOLD.match(raw) or _PLAIN.match(raw)
        if m and m.group(2):
            key = LABELS.get(_clean_label(m.group(1)))
            if key:
                val = m.group(2)
                pos = raw.rfind(val)
                _put(md, key, val.strip(), ln, (base + pos, base + pos + len(val)))
    return md

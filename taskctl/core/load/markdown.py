"""Parse a task's Markdown body into sections, acceptance checkboxes and test scenarios."""

from __future__ import annotations

import re

from taskctl.core.load.fences import Fence, spans
from taskctl.core.model import Checkbox, Scenario, Section

_H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_H3 = re.compile(r"^###\s+(.+?)\s*#*\s*$")
CHECKBOX = re.compile(r"^(\s*(?:\d+[.)]|[-*+])\s+\[)([ xX])(\]\s+)(.*)$")
# the same patterns over a whole text: a line start, and `\s` without the line break (`[^\S\n]`),
# so that a match never leaves its line and finds what the pattern finds on that line alone
_H2_TEXT = re.compile(r"^##[^\S\n]+(.+?)[^\S\n]*#*[^\S\n]*$", re.M)
_CHECKBOX_TEXT = re.compile(r"^([^\S\n]*(?:\d+[.)]|[-*+])[^\S\n]+\[)([ xX])(\][^\S\n]+)(.*)$",
                            re.M)

ACCEPTANCE_TITLES = ("acceptance criteria", "acceptance")


def _outside(matches, fenced: list[tuple[int, int]]) -> list[re.Match]:
    """The matches (in text order) that start outside every span of `fenced` (in order)."""
    if not fenced:
        return list(matches)
    out, k = [], 0
    for m in matches:
        p = m.start()
        while k < len(fenced) and fenced[k][1] < p:
            k += 1
        if k == len(fenced) or p < fenced[k][0]:
            out.append(m)
    return out


def _headings(text: str, fenced: list[tuple[int, int]]) -> list[re.Match]:
    """`_H2_TEXT`'s matches in `text` outside the `fenced` spans, tried only where a line
    starts with `##` (found by `str.find`: a regex search tries every position of the text,
    ≈ 10 times slower)."""
    out = []
    p = 0 if text.startswith("##") else text.find("\n##") + 1  # 0: none (a line start is > 0)
    if p == 0 and not text.startswith("##"):
        return []
    while True:
        m = _H2_TEXT.match(text, p)
        if m:
            out.append(m)
        p = text.find("\n##", p) + 1
        if p == 0:
            return _outside(out, fenced)


def parse_sections(body: str, first_line: int) -> dict[str, Section]:
    """Split on `## ` headings (outside code fences). Keys are the headings as written.
    The headings are found where a line starts with `##` and the fences from the lines that
    hold a fence run, not line by line (`sections_by_line`, the reference)."""
    sections: dict[str, Section] = {}
    heads = _headings(body, spans(body))
    line = first_line
    at = 0  # where `line` was counted to
    for k, m in enumerate(heads):
        start = m.start()
        line += body.count("\n", at, start)
        at = start
        end = m.end()  # the heading line's end: its "\n" or the text's end
        stop = heads[k + 1].start() - 1 if k + 1 < len(heads) else len(body)
        text = body[end + 1:stop] if end < stop else ""
        sections[m.group(1)] = Section(m.group(1), text.strip("\n"), line)
    return sections


def sections_by_line(body: str, first_line: int) -> dict[str, Section]:
    """`parse_sections` line by line, each line fed to `Fence` first."""
    sections: dict[str, Section] = {}
    title, start, buf = None, first_line, []
    fenced = Fence().inside
    for i, line in enumerate(body.split("\n")):
        m = None if fenced(line) else _H2.match(line)
        if m:
            if title is not None:
                sections[title] = Section(title, "\n".join(buf).strip("\n"), start)
            title, start, buf = m.group(1), first_line + i, []
        elif title is not None:
            buf.append(line)
    if title is not None:
        sections[title] = Section(title, "\n".join(buf).strip("\n"), start)
    return sections


def find_section(sections: dict[str, Section], *names: str) -> Section | None:
    for title, sec in sections.items():
        if title.strip().lower() in names:
            return sec
    return None


def scenarios(section: Section) -> list[Scenario]:
    out: list[Scenario] = []
    title, buf = None, []
    for line in section.body.split("\n"):
        m = _H3.match(line)
        if m:
            if title is not None:
                out.append(Scenario(title, "\n".join(buf).strip(), 0))
            title, buf = m.group(1), []
        elif title is not None:
            buf.append(line)
    if title is not None:
        out.append(Scenario(title, "\n".join(buf).strip(), 0))
    return out


def locate_checkboxes(text: str) -> list[Checkbox]:
    """Checkboxes of the acceptance section with their real 1-based line numbers in `text`:
    regex searches of the acceptance sections' spans, the fenced lines left out, not line by
    line (`checkboxes_by_line`, the reference)."""
    out: list[Checkbox] = []
    fenced = spans(text)
    heads = _headings(text, fenced)
    line, at = 1, 0  # the line number of position `at`
    for k, m in enumerate(heads):
        if m.group(1).strip().lower() not in ACCEPTANCE_TITLES:
            continue
        stop = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        for c in _outside(_CHECKBOX_TEXT.finditer(text, m.end(), stop), fenced):
            line += text.count("\n", at, c.start())
            at = c.start()
            out.append(Checkbox(c.group(4).strip(), c.group(2) in "xX", line))
    return out


def checkboxes_by_line(text: str) -> list[Checkbox]:
    """`locate_checkboxes` line by line, each line fed to `Fence` first."""
    out, in_section, fenced = [], False, Fence().inside
    for n, line in enumerate(text.split("\n"), 1):
        if fenced(line):
            continue
        m = _H2.match(line)
        if m:
            in_section = m.group(1).strip().lower() in ACCEPTANCE_TITLES
            continue
        if in_section:
            c = CHECKBOX.match(line)
            if c:
                out.append(Checkbox(c.group(4).strip(), c.group(2) in "xX", n))
    return out

"""Parse a task's Markdown body into sections, acceptance checkboxes and test scenarios."""

from __future__ import annotations

import re

from taskctl.core.load.fences import Fence
from taskctl.core.model import Checkbox, Scenario, Section

_H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_H3 = re.compile(r"^###\s+(.+?)\s*#*\s*$")
CHECKBOX = re.compile(r"^(\s*(?:\d+[.)]|[-*+])\s+\[)([ xX])(\]\s+)(.*)$")

ACCEPTANCE_TITLES = ("acceptance criteria", "acceptance")


def parse_sections(body: str, first_line: int) -> dict[str, Section]:
    """Split on `## ` headings (outside code fences). Keys are the headings as written."""
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
    """Checkboxes of the acceptance section with their real 1-based line numbers in `text`."""
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

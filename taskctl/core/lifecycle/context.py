"""`taskctl context ID [--budget TOKENS]`: what an agent needs to start a task, within budget.

Token counter (an approximation, no tokenizer dependency): `tokens(text) = ceil(chars / 3.5)`.
BPE tokenizers average about 4 characters per token on English prose and fewer on code, YAML
and ids; 3.5 errs on the side of counting more, so output "within N tokens" by this counter is
within N for typical tokenizers too.

Parts, most important first: the task header, its acceptance items, its description, one-line
summaries of its dependencies and of what it unblocks, its other sections (Progress Log last),
then `context/*.md`. Parts are added while they fit; the first that does not fit is cut at a
line boundary when at least a quarter of it fits; everything after is left out, and a closing
note names what was left out and its size. The note's room is reserved up front.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from taskctl.core.files import claims as cl
from taskctl.core.model import Backlog, Task
from taskctl.errors import UnknownTask, UsageError

CHARS_PER_TOKEN = 3.5
COUNTER = "ceil(characters / 3.5)"
NOTE_RESERVE = 80  # tokens kept for the closing "left out" note
MAX_CONTEXT_FILE = 256 * 1024
CUT_MARK = "[… cut to fit the budget]\n"


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class Part:
    name: str
    text: str

    @property
    def tokens(self) -> int:
        return tokens(self.text)


def _one_line(t: Task) -> str:
    return f"- {t.id} [{t.status}] {t.title}"


def parts(bl: Backlog, t: Task) -> list[Part]:
    """Every part of the context, most important first."""
    head = [f"# {t.id}: {t.title}", f"status: {t.status}; priority: {t.priority_label}"]
    if t.estimated_hours or t.estimated_tokens:
        est = [f"{t.estimated_hours:g} h" if t.estimated_hours else "",
               f"{t.estimated_tokens:g} tokens" if t.estimated_tokens else ""]
        head.append("estimate: " + ", ".join(e for e in est if e))
    if (c := cl.read(bl.root, t.id)) is not None:
        head.append(f"claimed by {c.agent} since {c.claimed_at}")
    if t.path:
        head.append(f"file: {bl.rel(t.path)}")
    out = [Part("header", "\n".join(head) + "\n")]
    if t.acceptance:
        lines = ["## Acceptance (done = `taskctl verify " + t.id + "` passes)"]
        for a in t.acceptance:
            lines.append(f"{a.index}. {a.criterion}" + (f"\n   run: `{a.run}`" if a.run else
                                                        "\n   manual: needs `taskctl check`"))
        out.append(Part("acceptance", "\n".join(lines) + "\n"))
    sections = dict(t.sections)
    desc = next((k for k in sections if k.lower() in ("description", "summary", "overview")),
                None)
    text = sections.pop(desc).body if desc else t.description
    if text.strip():
        out.append(Part("section Description", f"## Description\n{text.strip()}\n"))
    deps = [bl.tasks[d] for d in t.depends_on if d in bl.tasks]
    if deps:
        out.append(Part("dependencies", "## Depends on\n" + "\n".join(map(_one_line, deps))
                        + "\n"))
    unblocks = sorted((o for o in bl.tasks.values() if t.id in o.depends_on),
                      key=lambda o: o.id)
    if unblocks:
        out.append(Part("unblocks", "## Unblocks\n" + "\n".join(map(_one_line, unblocks))
                        + "\n"))
    log = None
    for title, sec in sections.items():
        if title.lower().startswith("acceptance criteria") or not sec.body.strip():
            continue
        p = Part(f"section {title}", f"## {title}\n{sec.body.strip()}\n")
        if title.lower() == "progress log":
            log = p
        else:
            out.append(p)
    if log:
        out.append(log)
    out.extend(_context_files(bl.root))
    return out


def _context_files(root: Path) -> list[Part]:
    d = root / "context"
    found = []
    for dirpath, dirs, names in os.walk(d):
        dirs.sort()
        for n in sorted(names):
            p = Path(dirpath, n)
            if not n.endswith(".md") or p.is_symlink():
                continue
            try:
                if p.stat().st_size > MAX_CONTEXT_FILE:
                    continue
                text = p.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            rel = str(p.relative_to(root))
            found.append(Part(rel, f"## {rel}\n{text.strip()}\n"))
    return found


def build(bl: Backlog, tid: str, budget: int | None) -> dict:
    """The context text and what it holds: {text, tokens, budget, counter, included, left_out}."""
    t = bl.tasks.get(tid)
    if t is None:
        raise UnknownTask(f"unknown task id {tid}", "see `taskctl list` for the ids")
    if budget is not None and budget < 2 * NOTE_RESERVE:
        raise UsageError(f"--budget {budget} is too small", f"give at least {2 * NOTE_RESERVE}")
    all_parts = parts(bl, t)
    if budget is not None and tokens("\n".join(p.text for p in all_parts)) <= budget:
        budget_fits = None  # everything fits: no note needed, so no room kept for one
    else:
        budget_fits = budget
    room = None if budget_fits is None else budget_fits - NOTE_RESERVE
    chunks, included, left = [], [], []
    for p in all_parts:
        if left:  # strict priority: nothing after a part that did not fit whole
            left.append({"part": p.name, "tokens": p.tokens})
            continue
        if room is None or tokens("\n".join([*chunks, p.text])) <= room:
            chunks.append(p.text)
            included.append(p.name)
            continue
        cut = _cut(p.text, room - tokens("\n".join(chunks)) - 1)
        if cut and tokens(cut) * 4 >= p.tokens:
            chunks.append(cut + CUT_MARK)
            included.append(p.name + " (cut)")
            left.append({"part": p.name, "tokens": p.tokens, "cut": True})
        else:
            left.append({"part": p.name, "tokens": p.tokens})
    if left:
        names = ", ".join(f"{x['part']} ({x['tokens']} tokens{', cut' if x.get('cut') else ''})"
                          for x in left)
        note = f"\n[left out to fit {budget} tokens: {names}]\n"
        if room is not None and tokens(note) + 1 > NOTE_RESERVE:
            note = f"\n[left out to fit {budget} tokens: {len(left)} part(s); see --json]\n"
        chunks.append(note)
    text = "\n".join(chunks)
    return {"task": tid, "text": text, "tokens": tokens(text), "budget": budget,
            "counter": COUNTER, "included": included, "left_out": left}


def _cut(text: str, room: int) -> str:
    """The longest prefix of whole lines within `room` tokens (minus the cut marker)."""
    room -= tokens(CUT_MARK) + 1
    if room <= 0:
        return ""
    keep, size = [], 0
    for line in text.splitlines(keepends=True):
        if math.ceil((size + len(line)) / CHARS_PER_TOKEN) > room:
            break
        keep.append(line)
        size += len(line)
    return "".join(keep)

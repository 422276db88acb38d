"""`taskctl new`: the next free id in the tree's own style, a task file with every section the
format has, its manifest entry, and the refusals (duplicate id, unknown dependency, cycle)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from taskctl.core.files import claims as cl
from taskctl.core.lifecycle import graph
from taskctl.core.lifecycle import tasks as tk
from taskctl.core.lifecycle.transitions import now_utc
from taskctl.core.lifecycle.values import num as _num
from taskctl.core.lifecycle.values import parse_estimate, priority_label
from taskctl.core.load import loader, specs
from taskctl.core.model import Backlog
from taskctl.core.status import TaskStatus
from taskctl.core.write import status as sw
from taskctl.core.write import sync
from taskctl.core.write.change import Change, not_patched
from taskctl.core.write.yamlout import dump
from taskctl.errors import UsageError

_NUM_ID = re.compile(r"^(.*?)(\d+)$")
SECTIONS = ("Description", "Business Context", "Acceptance Criteria", "Test Scenarios",
            "Technical Implementation", "Dependencies", "Design Decisions",
            "Risks & Mitigations", "Progress Log", "Completion Checklist")


@dataclass
class NewSpec:
    title: str
    id: str | None = None
    priority: str | None = None
    depends_on: list[str] = field(default_factory=list)
    estimate: str | None = None
    phase: str | None = None
    milestone: str | None = None
    tags: list[str] = field(default_factory=list)
    acceptance: list[tuple[str, str | None]] = field(default_factory=list)  # (criterion, run)
    description: str | None = None


def next_id(ids: set[str]) -> str:
    """The next free id in the style most ids use: prefix and zero-padded width (T053, or
    TASK-0007); `T001` for an empty tree."""
    styles: Counter = Counter()
    top: dict[tuple[str, int], int] = {}
    for i in ids:
        m = _NUM_ID.match(i)
        if m:
            key = (m.group(1), len(m.group(2)))
            styles[key] += 1
            top[key] = max(top.get(key, 0), int(m.group(2)))
    if not styles:
        return "T001"
    prefix, width = max(styles, key=lambda k: (styles[k], top[k]))
    n = max(v for (p, _), v in top.items() if p == prefix) + 1
    while f"{prefix}{n:0{width}d}" in ids:
        n += 1
    return f"{prefix}{n:0{width}d}"


def front_matter(tid: str, spec: NewSpec, created: str) -> dict:
    d: dict = {"id": tid, "title": spec.title, "status": TaskStatus.PENDING}
    if spec.priority:
        d["priority"] = priority_label(spec.priority)
    for k in ("phase", "milestone"):
        if getattr(spec, k):
            d[k] = getattr(spec, k)
    d["depends_on"] = list(spec.depends_on)
    if spec.tags:
        d["tags"] = list(spec.tags)
    if spec.estimate:
        key, v = parse_estimate(spec.estimate)
        d[key] = _num(v)
    d["created_at"] = created
    if spec.acceptance:
        d["acceptance"] = [{"criterion": c, **({"run": r} if r else {})}
                           for c, r in spec.acceptance]
    return d


def body(spec: NewSpec, created: str) -> str:
    """Every Markdown section of the format, with the known parts filled in."""
    fill = {
        "Description": _nested(spec.description) if spec.description else spec.title,
        "Business Context": "**Problem**: \n\n**Value**: \n\n**User Story**: ",
        "Acceptance Criteria": "\n".join(f"- [ ] {c}" for c, _ in spec.acceptance),
        "Test Scenarios": "### Scenario 1\n- **Given** \n- **When** \n- **Then** ",
        "Dependencies": "\n".join(f"- {d}" for d in spec.depends_on),
        "Progress Log": f"- {created[:10]} {created[11:16]} UTC (taskctl): created",
        "Completion Checklist": "- [ ] Acceptance items pass (`taskctl verify`)\n"
                                "- [ ] Progress Log says what was done",
    }
    return "".join(f"\n## {s}\n\n{fill.get(s, '')}".rstrip(" ") + "\n" for s in SECTIONS)


def _nested(text: str) -> str:
    """A description's `#` and `##` headings made `###`, outside code: the file's own
    sections are `##` (a `## Progress Log` in it would take `log`'s lines, a `## Acceptance
    Criteria` its checkboxes)."""
    from taskctl.core.load.fences import Fence

    fence, out = Fence(), []
    for line in text.split("\n"):
        m = None if fence.inside(line) else re.match(r" {0,3}(#{1,2})(?=[ \t]|$)", line)
        out.append(line if m is None else "#" * (3 - len(m.group(1))) + line.lstrip(" "))
    return "\n".join(out)


def _suffix(root: Path) -> str:
    suffixes = Counter(p.suffix for p in loader.task_files(root))
    return suffixes.most_common(1)[0][0] if suffixes else ".md"


def slug(title: str, limit: int = 40) -> str:
    """The file name part of a title: ASCII letters and digits (accents dropped: "Émoji" ->
    "emoji"), runs of anything else as one `-`."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return s[:limit].rstrip("-") or "task"


def new(root: Path, spec: NewSpec, by: str) -> dict:
    """Create the task (under the tree lock). Returns {id, file, event}."""
    title = " ".join((spec.title or "").split())
    if not title:
        raise UsageError("--title is required and cannot be empty")
    spec.title = title
    # each once, in the order given; tags as `set tags=a,b` reads them (commas split, blanks
    # dropped)
    spec.depends_on = list(dict.fromkeys(d.strip() for d in spec.depends_on if d.strip()))
    spec.tags = list(dict.fromkeys(t.strip() for tags in spec.tags for t in tags.split(",")
                                   if t.strip()))
    for c, r in spec.acceptance:
        if not c.strip() or (r is not None and not r.strip()):
            raise UsageError("an --acceptance criterion or --run command is empty")
    out: dict = {}
    return tk.said(out, tk.run(root, lambda: _build(root, spec, by, out)))


def _build(root: Path, spec: NewSpec, by: str, out: dict) -> Change:
    bl = loader.load(root, bodies=False)
    known = set(bl.tasks) | set(bl.deferred)
    tid = tk.check_id(spec.id) if spec.id else next_id(known | _file_ids(root))
    if tid in bl.tasks or tid in _file_ids(root):
        raise UsageError(f"task {tid} already exists", "pick another --id, or omit it")
    unknown = [d for d in spec.depends_on if d not in known]
    if unknown or tid in spec.depends_on:
        raise UsageError(f"unknown dependency: {', '.join(unknown or [tid])}",
                         "depend on existing task ids (`taskctl list`)")
    deps = {t.id: list(t.depends_on) for t in bl.tasks.values()}
    deps[tid] = list(spec.depends_on)
    if cyc := graph.cycle_through(deps, tid):
        raise UsageError(f"dependency cycle: {graph.show(cyc)}", "drop one of these edges")
    now = now_utc()
    created = cl.fmt_time(now)
    data = front_matter(tid, spec, created)
    rel = f"tasks/{tid}-{slug(spec.title)}{_suffix(root)}"
    text = "---\n" + dump(data) + "---\n" + body(spec, created)
    task, _ = specs.from_mapping(data, "task", tid)
    task.path = root / rel
    view = Backlog(root=root, tasks={**bl.tasks, tid: task}, manifest=None, deferred=bl.deferred)
    ch = Change("new", tid, [(rel, text)])
    ev = sw.event(tid, "create", None, TaskStatus.PENDING, by, None, created, title=spec.title)
    ch.writes.append(ev)
    if bl.manifest is not None:
        ch.entries[tid] = sync.entry_for(view, task, None)
        ch.order.append(tid)
        if spec.phase:
            ch.phases[tid] = spec.phase
        for d in spec.depends_on:
            if d in bl.tasks:
                ch.entries[d] = {"blocks": graph.blocks_of(view, d)}
    elif (why := tk.manifest_or_why(root)[1]) is not None:
        ch.warnings.append(not_patched(why))
    out.update({"id": tid, "file": rel, "event": ev[0], "title": spec.title,
                "depends_on": list(spec.depends_on)})
    return ch


def _file_ids(root: Path) -> set[str]:
    return {loader.id_from_filename(p) for p in loader.task_files(root)}

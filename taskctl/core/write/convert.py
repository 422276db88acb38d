"""`taskctl convert --to tasks`: any store taskctl reads -> a canonical `.tasks` tree.

One Markdown task file with front matter per task (`tasks/<id>-<slug>.md`), then the manifest
regenerated from them (core/write/sync.py). Built in a temporary folder beside the target and
moved into place in one rename, so a failure leaves nothing half-written. The source store is
never touched: a team can keep using its tool and add proof on top of the converted copy.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from taskctl.core.files import atomic
from taskctl.core.model import Backlog, Task
from taskctl.core.order import natural_key
from taskctl.core.write import yamlout
from taskctl.errors import UsageError

ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class Conversion:
    target: Path
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    skipped: list[str] = field(default_factory=list)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48] or "task"


def front_matter(t: Task, source: str) -> dict:
    fm: dict = {"id": t.id, "title": t.title, "status": t.status}
    if t.priority is not None:
        fm["priority"] = f"P{t.priority}"
    if t.depends_on:
        fm["depends_on"] = list(t.depends_on)
    for key in ("phase", "milestone", "estimated_hours", "estimated_tokens", "actual_hours",
                "actual_tokens", "created_at", "updated_at", "started_at", "completed_at"):
        v = getattr(t, key)
        if v not in (None, ""):
            fm[key] = v
    if t.tags:
        fm["tags"] = list(t.tags)
    if t.acceptance:
        fm["acceptance"] = [{k: v for k, v in a.raw.items() if v not in (None, "", [], {})}
                            or {"criterion": a.criterion, "run": a.run} for a in t.acceptance]
    for k, v in t.extra.items():  # the source's own keys, kept as sync keeps an entry's
        if k not in fm and k != "converted_from":
            fm[k] = v
    fm["converted_from"] = source
    return fm


def body(t: Task) -> str:
    out = []
    if t.description and not any(s.title.lower() == "description" for s in t.sections.values()):
        out.append(f"## Description\n\n{t.description.strip()}\n")
    for s in t.sections.values():
        out.append(f"## {s.title}\n\n{s.body.strip()}\n")
    if t.criteria and not any("acceptance" in s.title.lower() for s in t.sections.values()):
        out.append("## Acceptance Criteria\n\n" + "\n".join(
            f"- [{'x' if c.checked else ' '}] {c.text}" for c in t.criteria) + "\n")
    return "\n".join(out)


def plan(bl: Backlog, target: Path) -> Conversion:
    """What the converted tree holds. UsageError for an id no canonical file can carry."""
    conv = Conversion(target)
    for tid in sorted(bl.tasks, key=natural_key):
        t = bl.tasks[tid]
        if not ID_OK.match(tid):
            raise UsageError(f"task id {tid!r} cannot name a canonical task file",
                             "ids are letters, digits, '.', '_' and '-', starting with a "
                             "letter or digit; rename it in the source store first")
        source = bl.rel(t.path) if t.path else bl.rel(bl.root)
        text = "---\n" + yamlout.dump(front_matter(t, source)) + "---\n\n" + body(t)
        conv.files[f"tasks/{tid}-{slug(t.title)}.md"] = text
    return conv


def _milestone_files(bl: Backlog) -> list:
    """The milestones that need a file of their own: named and described somewhere other
    than the manifest the new one starts from (a canonical source's milestone files, another
    tool's milestones); one only named by its tasks needs none."""
    seeded = bl.manifest.path if bl.manifest is not None and bl.dialect == "tasks" else None
    return [m for m in sorted(bl.milestones.values(), key=lambda m: m.id)
            if ID_OK.match(m.id) and (m.title or m.description or m.definition_of_done)
            and (seeded is None or m.path != seeded)]


def _manifest_seed(bl: Backlog, target: Path) -> dict:
    """What the new manifest starts from: a canonical source's own manifest (its project,
    phases, milestones, other keys and its entries' own fields, which `sync` keeps while it
    regenerates the rest), else a project named after the folder the new tree lies in."""
    import copy

    data = bl.manifest.data if bl.manifest is not None and bl.dialect == "tasks" else None
    if isinstance(data, dict) and isinstance(data.get("tasks", []), list):
        return copy.deepcopy(data)
    return {"project": {"name": target.parent.name, "converted_from": bl.dialect}, "tasks": []}


def write(conv: Conversion, bl: Backlog) -> Backlog:
    """Build the tree in a temporary folder, index it, move it into place. Returns it loaded."""
    from taskctl.core.load.loader import load
    from taskctl.core.write import sync

    conv.target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=conv.target.parent))
    try:
        for rel, text in conv.files.items():
            atomic.write_text(tmp / rel, text)
        atomic.write_json(tmp / "manifest.json", _manifest_seed(bl, conv.target))
        for m in _milestone_files(bl):
            doc = {"id": m.id, "title": m.title, "description": m.description,
                   "definition_of_done": m.definition_of_done, "tasks": list(m.tasks)}
            atomic.write_text(tmp / "milestones" / f"{m.id}.yaml",
                              yamlout.dump({k: v for k, v in doc.items() if v}))
        new = load(tmp, use_cache=False, dialect="tasks")
        sync.write(new, sync.plan(new))
        if conv.target.exists():
            conv.target.rmdir()  # empty (checked by the caller); a full one is never replaced
        tmp.rename(conv.target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load(conv.target, use_cache=False, dialect="tasks")

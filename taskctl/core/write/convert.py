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
    for key in ("phase", "milestone", "estimated_hours", "estimated_tokens", "created_at",
                "completed_at"):
        v = getattr(t, key)
        if v not in (None, ""):
            fm[key] = v
    if t.tags:
        fm["tags"] = list(t.tags)
    if t.acceptance:
        fm["acceptance"] = [{k: v for k, v in a.raw.items() if v not in (None, "", [], {})}
                            or {"criterion": a.criterion, "run": a.run} for a in t.acceptance]
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


def write(conv: Conversion, bl: Backlog) -> Backlog:
    """Build the tree in a temporary folder, index it, move it into place. Returns it loaded."""
    from taskctl.core.load.loader import load
    from taskctl.core.write import sync

    conv.target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=conv.target.parent))
    try:
        for rel, text in conv.files.items():
            atomic.write_text(tmp / rel, text)
        atomic.write_json(tmp / "manifest.json", {
            "project": {"name": bl.repo_root.name, "converted_from": bl.dialect},
            "tasks": []})
        new = load(tmp, use_cache=False, dialect="tasks")
        sync.write(new, sync.plan(new))
        if conv.target.exists():
            conv.target.rmdir()  # empty (checked by the caller); a full one is never replaced
        tmp.rename(conv.target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load(conv.target, use_cache=False, dialect="tasks")

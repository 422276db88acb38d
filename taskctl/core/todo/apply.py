"""Write an `ImportPlan`: task files, milestone files, status events and manifest entries.

Every write is atomic (`atomic`). New tasks are `tasks/<ID>-<slug>.md` files (front matter with
canonical keys + Markdown). Updates touch only the keys the importer owns: a status-only change
edits the `status:` line in place (comments and layout kept); other changes re-dump the front
matter (its YAML comments are not kept) and leave the Markdown body alone. The manifest gets
one entry per imported task via `sync.entry_for` and regenerated derived data; other entries
are left as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from taskctl.core.files import atomic, jsonread, locks
from taskctl.core.files.paths import check_file, confined
from taskctl.core.load import taskfile
from taskctl.core.load.normalize import DEPENDENCY_KEYS
from taskctl.core.todo.importer import ImportPlan, NewTask, Update
from taskctl.core.write import status as status_writer
from taskctl.core.write import sync
from taskctl.core.write.yamlout import dump
from taskctl.errors import ProblemsFound

BY = "taskctl import"


def slug(title: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", re.sub(r"`[^`]*`", "", title).lower()).strip("-")
    return (s[:limit].rstrip("-") or "task")



def task_text(new: NewTask, source: str) -> str:
    it = new.item
    box = "x" if it.checked else ("~" if it.in_progress else " ")
    body = [f"## Description\n{new.fields['title']}\n",
            f"Imported from `{source}` line {it.line}:\n", f"> - [{box}] {it.text.strip()}"]
    body += [f">   - {n}" for n in it.notes if n not in it.text]
    return "---\n" + dump(new.fields) + "---\n\n" + "\n".join(body) + "\n"


def _edit(text: str, fmt: str, changes: dict[str, tuple[Any, Any]]) -> str:
    if set(changes) == {"status"}:
        return status_writer.edit_status(text, fmt, changes["status"][1], None)
    split = taskfile.split_front_matter(text) if fmt == "front-matter" else None
    fm, body = (split[0], split[1]) if split else (text, None)
    data = yaml.safe_load(fm) or {}
    for key, (_old, new) in changes.items():
        if key == "depends_on":
            for alias in DEPENDENCY_KEYS:
                data.pop(alias, None)
        if new in (None, "", []):
            data.pop(key, None)
        else:
            data[key] = new
    return dump(data) if body is None else "---\n" + dump(data) + "---\n" + body


def check_manifest(root: Path) -> None:
    """Refuse before writing anything when the manifest exists but cannot be read."""
    path = root / "manifest.json"
    if not path.exists():
        return
    try:
        data = jsonread.load(path)
    except (OSError, ValueError) as e:
        raise ProblemsFound(f"{path.name} cannot be read ({e}); nothing imported",
                            "fix it first (`taskctl validate`)") from None
    if not isinstance(data, dict) or not isinstance(data.get("tasks", []), list):
        raise ProblemsFound(f"{path.name} is not a manifest object; nothing imported",
                            "fix it first (`taskctl validate`)")


def apply(root: Path, plan: ImportPlan, now: str) -> list[str]:
    """Write the plan under `root` (a .tasks directory, created if missing). Returns notes on
    what could not be written (manifest-only tasks)."""
    check_manifest(root)
    notes: list[str] = []
    for mid, title in plan.milestones:
        atomic.write_text(confined(root, "milestones", f"{mid}.yaml"), dump(
            {"id": mid, "title": title, "import_source": plan.source}))
    for new in plan.creates:
        path = confined(root, "tasks", f"{new.id}-{slug(new.fields['title'])}.md")
        atomic.write_text(path, task_text(new, plan.source))
    for up in plan.updates:
        notes += _update(root, plan.source, up, now)
    touched = {c.id for c in plan.creates} | {u.id for u in plan.updates} | set(plan.unchanged)
    write_manifest(root, touched)
    return notes


def _update(root: Path, source: str, up: Update, now: str) -> list[str]:
    t = up.task
    if t.path is None or t.format == "manifest":
        return [f"{up.id}: no readable task file; not updated (fix it, then import again)"]
    if "status" in up.changes:
        old, new = up.changes["status"]
        status_writer.record_event(root, up.id, "import", old, new, BY, None, now,
                                   source=source)
    text = t.path.read_text(encoding="utf-8")
    atomic.write_text(check_file(root, t.path), _edit(text, t.format, up.changes))
    return []


def write_manifest(root: Path, touched: set[str]) -> None:
    """Upsert the entries of `touched` tasks and regenerate derived data, under the lock."""
    from taskctl.core.load.loader import load

    bl = load(root, use_cache=False)
    path = root / "manifest.json"
    with locks.manifest_lock(root):
        data = jsonread.load(path) if path.exists() else {}
        entries = data.setdefault("tasks", [])
        where = {e.get("id"): i for i, e in enumerate(entries) if isinstance(e, dict)}
        deps = sync.dependents_of(bl)
        for tid in sorted(touched):
            if tid not in bl.tasks:
                continue
            i = where.get(tid)
            entry = sync.entry_for(bl, bl.tasks[tid], entries[i] if i is not None else None, deps)
            if i is None:
                entries.append(entry)
            else:
                entries[i] = entry
        sync.put_derived(data, sync.derived(bl))
        atomic.write_json(path, data)

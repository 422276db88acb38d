"""`show`'s view of one task as plain data (`render/blocks.py`): its fields in a panel, what
keeps it from being actionable, its dependencies and dependents, its acceptance commands, its
checkboxes and its Markdown sections. Drawn by rich in a terminal (`tables.to_rich`), written
by `render/plain.py` in a pipe."""

from __future__ import annotations

from taskctl.render.blocks import Boxed, Fields, Panel, Para, status

FIELDS = ("status", "priority", "phase", "milestone", "tags", "estimated_hours",
          "estimated_tokens", "actual_hours", "actual_tokens", "created_at", "started_at",
          "completed_at", "file")


def task_view(r: dict) -> list:
    """The parts of `show`'s view of task report `r` (`core/plan/progress.task_report`)."""
    rows: list[tuple[str, str | Para]] = []
    for k in FIELDS:
        v = r.get(k)
        if v in (None, "", []):
            continue
        rows.append((k, status(v) if k == "status" else
                     ", ".join(map(str, v)) if isinstance(v, list) else str(v)))
    rows += [(k, nested(v)) for k, v in r["extra"].items()]
    parts: list = [Panel(f"{r['id']}  {r['title']}", Fields(rows))]
    if r["blockers"]:
        parts.append(Para("not actionable: " + "; ".join(r["blockers"]), "yellow"))
    for key, label in (("dependencies", "Depends on"), ("dependents", "Needed by")):
        if r[key]:
            parts.append(related(label, r[key]))
    if r["acceptance"]:
        parts.append(acceptance(r["acceptance"]))
    if r["criteria"]:
        lines = Para()
        for c in r["criteria"]:
            lines.append("[x] " if c["checked"] else "[ ] ", "green" if c["checked"] else "dim")
            lines.append(c["text"] + "\n")
        parts.append(Panel("Acceptance criteria (checkboxes)", lines))
    for s in r["sections"]:
        if s["title"].lower().startswith("acceptance criteria") or not s["body"].strip():
            continue
        parts.append(Panel(s["title"], Para(s["body"].strip())))
    if not r["sections"] and r["description"]:
        parts.append(Panel("Description", Para(r["description"])))
    return parts


def related(label: str, tasks: list[dict]) -> Boxed:
    """Dependencies or dependents: id, status, title."""
    return Boxed(label, [("id", "left"), ("status", "left"), ("title", "left")],
                 [[d["id"], status(d["status"]), d["title"]] for d in tasks])


def acceptance(items: list[dict]) -> Para:
    """Acceptance items as a list, each command in full (folded, never cut: it is what a
    reader copies into a shell)."""
    out = Para("Acceptance (executable spec)\n", "bold")
    for a in items:
        notes = [f"requires {', '.join(a['requires'])}"] if a["requires"] else []
        if a["timeout"]:
            notes.append(f"timeout {a['timeout']:g}s")
        out.append(f"{a['index']}. ", "bold").append(a["criterion"])
        if notes:
            out.append(f"  ({'; '.join(notes)})", "dim")
        out.append("\n")
        out.append("   manual sign-off\n" if a["manual"] else f"   $ {a['run']}\n",
                   "dim" if a["manual"] else "cyan")
    while out.spans:  # no trailing blanks (rich's `Text.rstrip`)
        text, style = out.spans[-1]
        if text.rstrip():
            out.spans[-1] = (text.rstrip(), style)
            break
        out.spans.pop()
    return out


def nested(v) -> str:
    """A value as people read it: scalars as written, lists and mappings as block YAML
    (never a Python repr)."""
    if isinstance(v, (dict, list)):
        from taskctl.core.write.yamlout import dump

        return dump(v).rstrip("\n") if v else ("{}" if isinstance(v, dict) else "[]")
    return str(v)

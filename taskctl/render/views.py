"""Rich views of the backlog's state: `status`, `show`, `milestone`."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from taskctl.render import blocks
from taskctl.render.console import stdout
from taskctl.render.tables import bar, fmt, status_text, to_rich


def _progress_table(title: str, rows: list[dict], unit: str, name_key: str = "name"):
    return to_rich(blocks.progress(title, rows, unit, stdout().width, name_key))


def status_view(rep: dict):
    return to_rich(blocks.status_view(rep, stdout().width))


def _acceptance(items: list[dict]) -> Text:
    """Acceptance items as a list, each command in full (folded, never cut: it is what a
    reader copies into a shell)."""
    out = Text("Acceptance (executable spec)\n", style="bold")
    for a in items:
        notes = [f"requires {', '.join(a['requires'])}"] if a["requires"] else []
        if a["timeout"]:
            notes.append(f"timeout {a['timeout']:g}s")
        out.append(f"{a['index']}. ", style="bold").append(a["criterion"])
        if notes:
            out.append(f"  ({'; '.join(notes)})", style="dim")
        out.append("\n")
        out.append("   manual sign-off\n" if a["manual"] else f"   $ {a['run']}\n",
                   style="dim" if a["manual"] else "cyan")
    out.rstrip()
    return out


def nested(v) -> str:
    """A value as people read it: scalars as written, lists and mappings as block YAML
    (never a Python repr)."""
    if isinstance(v, (dict, list)):
        from taskctl.core.write.yamlout import dump

        return dump(v).rstrip("\n") if v else ("{}" if isinstance(v, dict) else "[]")
    return str(v)


def task_view(r: dict):
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    for k in ("status", "priority", "phase", "milestone", "tags", "estimated_hours",
              "estimated_tokens", "actual_hours", "actual_tokens", "created_at", "started_at",
              "completed_at", "file"):
        v = r.get(k)
        if v in (None, "", []):
            continue
        if k == "status":
            v = status_text(v)
        elif isinstance(v, list):
            v = ", ".join(map(str, v))
        fields.add_row(k, v if isinstance(v, Text) else escape(str(v)))
    for k, v in r["extra"].items():
        fields.add_row(k, escape(nested(v)))
    parts = [Panel(fields, title=Text(f"{r['id']}  {r['title']}"), title_align="left")]
    if r["blockers"]:
        parts.append(Text("not actionable: " + "; ".join(r["blockers"]), style="yellow"))
    for key, label in (("dependencies", "Depends on"), ("dependents", "Needed by")):
        if r[key]:
            t = Table(title=label, title_justify="left")
            for col in ("id", "status", "title"):
                t.add_column(col)
            for d in r[key]:
                t.add_row(d["id"], status_text(d["status"]), escape(d["title"]))
            parts.append(t)
    if r["acceptance"]:
        parts.append(_acceptance(r["acceptance"]))
    if r["criteria"]:
        lines = Text()
        for c in r["criteria"]:
            lines.append("[x] " if c["checked"] else "[ ] ",
                         style="green" if c["checked"] else "dim")
            lines.append(c["text"] + "\n")
        parts.append(Panel(lines, title="Acceptance criteria (checkboxes)", title_align="left"))
    for s in r["sections"]:
        if s["title"].lower().startswith("acceptance criteria") or not s["body"].strip():
            continue
        parts.append(Panel(escape(s["body"].strip()), title=Text(s["title"]),
                           title_align="left"))
    if not r["sections"] and r["description"]:
        parts.append(Panel(escape(r["description"]), title="Description", title_align="left"))
    return Group(*parts)


def milestone_view(rep: dict):
    unit = rep["weight"]
    if "milestones" in rep:
        if not rep["milestones"]:
            return Text("no milestones defined (.tasks/milestones/*.yaml, manifest "
                        "`milestones`, or a task's `milestone:` field)")
        return _progress_table("Milestones", rep["milestones"], unit, "id")
    head = Text(f"{rep['id']} {rep['title']}".strip(), style="bold")
    parts = [head, Text("progress ").append(bar(rep["percent"]))]
    if rep["description"]:
        parts.append(Text(rep["description"]))
    if rep["definition_of_done"]:
        parts.append(Text("definition of done:\n" + "\n".join(
            f"  - {d}" for d in rep["definition_of_done"])))
    if rep["remaining_tasks"]:
        t = Table(title=f"Remaining ({fmt(rep['remaining_weight'], unit)})", title_justify="left")
        for col in ("id", "title", "status", "pri", "waiting on"):
            t.add_column(col)
        for x in rep["remaining_tasks"]:
            t.add_row(x["id"], escape(x["title"]), status_text(x["status"]), x["priority"],
                      escape("; ".join(x["blockers"])))
        parts.append(t)
    elif rep["complete"]:
        parts.append(Text("complete", style="green"))
    if rep["unknown"]:
        parts.append(Text(f"unknown task ids: {', '.join(rep['unknown'])}", style="yellow"))
    return Group(*parts)

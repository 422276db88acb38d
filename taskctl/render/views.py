"""Rich views of the backlog's state: `status`, `milestone` (`show`'s is `render/taskview.py`)."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from taskctl.render import blocks
from taskctl.render.console import stdout
from taskctl.render.tables import bar, fmt, status_text, to_rich


def _progress_table(title: str, rows: list[dict], unit: str, name_key: str = "name"):
    return to_rich(blocks.progress(title, rows, unit, stdout().width, name_key))


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

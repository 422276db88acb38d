"""Human output of `taskctl import`: what was (or would be) created, updated and reported."""

from __future__ import annotations

from rich.markup import escape

from taskctl.core.todo_import import ImportPlan


def import_lines(plan: ImportPlan, tasks_dir: str, dry_run: bool, notes: list[str]) -> list[str]:
    out = []
    for mid, title in plan.milestones:
        out.append(f"  [green]+[/green] milestone {mid} {escape(title)}")
    for c in plan.creates:
        out.append(f"  [green]+[/green] {c.id} {escape(c.fields['title'])} "
                   f"[dim]({c.fields['status']})[/dim]")
    for u in plan.updates:
        parts = "; ".join(f"{k}: {_short(a)} -> {_short(b)}" for k, (a, b) in u.changes.items())
        out.append(f"  [yellow]~[/yellow] {u.id} {escape(parts)}")
    for tid, title in plan.removed:
        out.append(f"  [red]-[/red] {tid} {escape(title)} [dim](no longer in {plan.source}; "
                   "kept, not deleted)[/dim]")
    for tid, msg in plan.conflicts:
        out.append(f"  [red]![/red] {tid} {escape(msg)}")
    out += [f"  [red]![/red] {escape(n)}" for n in notes]
    verb = "would import" if dry_run else "imported"
    out.append(f"{verb} {escape(plan.source)} into {escape(tasks_dir)}: "
               f"{len(plan.creates)} created, {len(plan.updates)} updated, "
               f"{len(plan.unchanged)} unchanged, {len(plan.removed)} removed from the list, "
               f"{len(plan.conflicts)} conflict(s), {len(plan.skipped)} line(s) skipped"
               + (" (dry run: nothing written)" if dry_run else ""))
    return out


def _short(v) -> str:
    s = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    return s if len(s) <= 60 else s[:57] + "..."

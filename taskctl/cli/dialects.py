"""`taskctl formats` (the dialects taskctl reads) and `taskctl convert --to tasks`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taskctl.cli.common import emit_json, state
from taskctl.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    app.command()(formats)
    app.command()(convert)


def formats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The dialects of task store taskctl reads, which can be written back, and which one the
    current store is detected as (docs/format.md, "Dialects")."""
    from taskctl.core.load.readers.registry import DIALECTS, detect, get
    from taskctl.errors import TasksDirNotFound

    try:
        root = state(ctx).root()
        found = state(ctx).dialect or detect(root).name
    except TasksDirNotFound:
        root, found = None, None
    rows = [{"name": n, "label": get(n).label, "writable": get(n).writable,
             "detected": n == found} for n in DIALECTS]
    if as_json:
        emit_json({"store": str(root) if root else None, "dialects": rows})
        return
    for r in rows:
        mark = "*" if r["detected"] else " "
        typer.echo(f"{mark} {r['name']:<15} {'rw' if r['writable'] else 'r-'}  {r['label']}")
    if found:
        typer.echo(f"(* = {root} is read as {found})")


def _default_target(root: Path) -> Path:
    """`.tasks` in the project: beside a store that is a tool's own folder (`.taskmaster/`,
    `.beads/`, Backlog.md's `backlog/`, any dot-folder), else in the store's folder, which is
    then the project's (`--tasks-dir proj` on a `proj/tasks.json`) — wherever taskctl runs."""
    from taskctl.core.load.discovery import STORES

    store = root.resolve()
    if store.name in STORES or store.name.startswith("."):
        return store.parent / ".tasks"
    return store / ".tasks"


def convert(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target dialect (only `tasks`).")] = "tasks",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="DIR",
        help="The new .tasks directory (default: .tasks in the project: beside a tool's "
        "folder such as .taskmaster/, else in the store's folder).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the files; write nothing.")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Convert the store (any dialect taskctl reads) into a canonical `.tasks` tree.

    The source is not touched. Refuses (exit 2) a target that exists and is not empty, and
    ids no task file can carry; exit 1 when the source has errors (fix or see `validate`).
    """
    from taskctl.core.write import convert as core

    if to != "tasks":
        raise UsageError(f"cannot convert to {to!r}", "only `--to tasks` (the canonical "
                         "dialect) is supported")
    bl = state(ctx).backlog(warn=True)
    target = (output or _default_target(bl.root)).resolve()
    if target == bl.root.resolve():
        raise UsageError(f"{target} is the store being converted",
                         "pass --output DIR for the canonical copy")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not empty",
                         "pass --output DIR (a new or empty directory)")
    if not bl.tasks:
        raise UsageError(f"no tasks found in {bl.rel(bl.root)} (read as the {bl.dialect} "
                         "dialect): nothing to convert", "check the path, or force a dialect "
                         "with --format NAME")
    conv = core.plan(bl, target)
    new = None if dry_run else core.write(conv, bl)
    if as_json:
        emit_json({"from": bl.dialect, "to": "tasks", "target": str(target),
                   "tasks": len(conv.files), "files": sorted(conv.files), "written": not dry_run,
                   "problems": len(new.problems) if new else None})
        return
    verb = "would write" if dry_run else "wrote"
    typer.echo(f"{verb} {len(conv.files)} task(s) from the {bl.dialect} dialect to {target}")
    if new is not None and new.problems:
        typer.echo(f"the new tree has {len(new.errors)} error(s) and "
                   f"{len(new.problems) - len(new.errors)} warning(s): run `taskctl validate "
                   f"--tasks-dir {target}`")

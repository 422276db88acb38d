"""`taskctl validate`, `taskctl schema`, `taskctl sync`."""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli.common import JsonOpt, emit_json, state
from taskctl.errors import ProblemsFound, UsageError


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
    app.command()(sync)


def validate(
    ctx: typer.Context,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check task specs and the manifest; report every problem with file and line.

    Exit 0: no errors. 1: errors (or warnings with --strict). 2: tasks dir not found.
    """
    from taskctl.core.problems import Severity
    from taskctl.render import problems as rp

    bl = state(ctx).backlog(warn=False, bodies=False)
    probs = bl.problems
    failed = any(strict or p.severity is Severity.ERROR for p in probs)
    if as_json:
        from taskctl.core.problems import sort_key

        emit_json({"ok": not failed, "strict": strict, "tasks": len(bl.tasks),
                   "summary": {"errors": len(bl.errors),
                               "warnings": len(probs) - len(bl.errors)},
                   "problems": [p.to_dict() for p in sorted(probs, key=sort_key)]})
    else:
        from taskctl.render.console import stdout

        out = stdout()
        for line in rp.lines(probs, strict):
            out.print(rp.styled(line))
        verdict = "FAILED" if failed else "OK"
        out.print(f"{verdict}: {len(bl.tasks)} task(s), {rp.summary(probs, strict)}")
    if failed:
        raise ProblemsFound("validation failed", reported=True)


def schema(
    name: Annotated[str, typer.Argument(help="task or manifest")] = "task",
) -> None:
    """Print a JSON Schema (for editors: yaml-language-server, VS Code json.schemas)."""
    from taskctl.core.load.schema import SCHEMA_NAMES, schema_text

    if name not in SCHEMA_NAMES:
        raise UsageError(f"unknown schema {name!r}", f"choose one of: {', '.join(SCHEMA_NAMES)}")
    typer.echo(schema_text(name), nl=False)


def sync(
    ctx: typer.Context,
    write: Annotated[bool, typer.Option(
        "--write", help="Write the manifest (atomically).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Regenerate the manifest's index and derived data from the task files.

    Dry run by default: prints what would change. Exit 1 when the manifest is out of date
    (so `taskctl sync` works as a CI check), 0 when it is current or was written.
    """
    from taskctl.core.write import sync as core_sync

    bl = state(ctx).backlog(warn=False)
    blocking = core_sync.blocking_errors(bl)
    if blocking and write:
        first = blocking[0]
        raise ProblemsFound(f"{len(blocking)} error(s) in the task files (first: {first.location}: "
                            f"{first.message}); not writing the manifest",
                            "fix them first (`taskctl validate`); sync repairs only manifest-side "
                            "problems (orphan files, duplicate or stale entries, drift)")
    result = core_sync.plan(bl)
    if write and result.changed:
        core_sync.write(bl, result)
    if as_json:
        emit_json({"changed": result.changed, "written": write and result.changed,
                   "changes": result.changes, "path": bl.rel(result.path)})
    else:
        for c in result.changes:
            typer.echo(f"  {c}")
        if not result.changed:
            typer.echo(f"{bl.rel(result.path)} is up to date")
        elif write:
            typer.echo(f"wrote {bl.rel(result.path)} ({len(result.changes)} change(s))")
        else:
            typer.echo(f"{bl.rel(result.path)} is out of date ({len(result.changes)} change(s)); "
                       "rerun with --write")
    if result.changed and not write:
        raise ProblemsFound("the manifest is out of date", "rerun with --write", reported=True)

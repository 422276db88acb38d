"""`taskctl validate`, `taskctl schema`, `taskctl sync`."""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli import options
from taskctl.cli.common import JsonOpt, emit_json, opt, state
from taskctl.errors import ProblemsFound, UsageError


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
    app.command()(sync)


def validate(
    ctx: typer.Context,
    strict: Annotated[bool, opt(options.STRICT)] = options.STRICT.default,
    verbose: Annotated[bool, opt(options.VERBOSE)] = options.VERBOSE.default,
    as_json: JsonOpt = options.JSON.default,
) -> None:
    """Check task specs and the manifest; report every problem with file and line.

    Says which dialect the store was read as (docs/format.md, "Dialects"); files that look
    like tasks but were not read are warnings (W160), and a store with no task is one (W102).

    Exit 0: no errors. 1: errors (or warnings with --strict). 2: tasks dir not found.
    """
    from taskctl.cli import answers

    st = state(ctx)
    opts = {"strict": strict, "verbose": verbose, "json": as_json}
    # cached by content like the other read answers (cli/answers.py; printed by the renderer
    # the fast entry uses, so both print the same bytes)
    if answers.render_validate(answers.answer(st.root(), "validate", opts, st.dialect), opts):
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
    force: Annotated[bool, typer.Option(
        "--force", help="Write even with errors in the task files.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Regenerate the manifest's index and derived data from the task files, and
    metrics.json from the events in updates/.

    Dry run by default: prints what would change. Exit 1 when the manifest is out of date
    (so `taskctl sync` works as a CI check), 0 when it is current or was written. Refuses to
    write with errors in the task files (unless --force), and always refuses to drop the entry
    of an id that a file under the tree still carries. Canonical dialect only (exit 2 else).
    """
    from taskctl.core.write import sync as core_sync
    from taskctl.errors import NotWritable

    bl = state(ctx).backlog(warn=False, bodies=False)  # sync reads front matter only
    if bl.dialect != "tasks":
        raise NotWritable(f"sync regenerates a canonical manifest.json; {bl.rel(bl.root)} is "
                          f"read as the {bl.dialect} dialect, which keeps no such index",
                          "nothing to sync; `taskctl convert --to tasks` makes a canonical "
                          "tree")
    unreadable = core_sync.unreadable_manifest(bl)
    if unreadable is not None:
        raise NotWritable(f"{unreadable.location}: {unreadable.message}; sync would replace it "
                          "with a manifest built from the task files alone, losing the rest",
                          "fix it first (`taskctl validate` says where), or move it away to "
                          "build a new one from the task files")
    blocking = core_sync.blocking_errors(bl)
    if blocking and write and not force:
        first = blocking[0]
        raise ProblemsFound(f"{len(blocking)} error(s) in the task files (first: {first.location}: "
                            f"{first.message}); not writing the manifest",
                            "fix them first (`taskctl validate`), or pass --force; sync repairs "
                            "only manifest-side problems (orphan files, duplicate or stale "
                            "entries, drift)")
    result = core_sync.plan(bl)
    # the dry run says what the write would do, a refusal included
    held = core_sync.carriers(bl, core_sync.removed_ids(result, bl))
    refused = None
    if held:
        tid, paths = next(iter(held.items()))
        read_as = next((t.id for t in bl.tasks.values() if t.path == paths[0]), None)
        refused = ProblemsFound(
            f"not dropping the manifest entry of {tid}: {bl.rel(paths[0])} still carries that "
            f"id ({len(held)} entr{'y' if len(held) == 1 else 'ies'} held this way)",
            f"the file was read as task {read_as}: give it the id {tid} (ids are "
            "case-sensitive), or delete the file, then sync again" if read_as else
            "the file was not read as a task: `taskctl validate` says why; move it into tasks/ "
            "with front matter, or delete it, then sync again")
        if write:
            raise refused
    metrics = _metrics_change(bl, write)  # reported, never fails the dry run: it is a report
    if write and result.changed:
        core_sync.write(bl, result)
    if write and metrics:
        from taskctl.core.lifecycle.stats import write_metrics

        write_metrics(bl)
    if as_json:
        emit_json({"changed": result.changed, "written": write and result.changed,
                   "changes": result.changes, "path": bl.rel(result.path),
                   "metrics": metrics,
                   **({"write_refused": refused.message} if refused is not None else {})})
    else:
        if metrics:
            typer.echo(f"  {metrics}" + ("" if write else " (with --write)"))
        if result.changes:  # one write: 100,000 changes echoed one by one took ~0.9 s
            typer.echo("".join(f"  {c}\n" for c in result.changes), nl=False)
        if not result.changed:
            typer.echo(f"{bl.rel(result.path)} is up to date")
        elif write:
            typer.echo(f"wrote {bl.rel(result.path)} ({len(result.changes)} change(s))")
        elif refused is None:
            typer.echo(f"{bl.rel(result.path)} is out of date ({len(result.changes)} change(s)); "
                       "rerun with --write")
        else:
            typer.echo(f"{bl.rel(result.path)} is out of date ({len(result.changes)} change(s)), "
                       f"but --write would refuse: {refused.message}\n  hint: {refused.hint}")
    if result.changed and not write:
        raise ProblemsFound("the manifest is out of date", "rerun with --write", reported=True)


def _metrics_change(bl, write: bool) -> str | None:
    """`metrics.json: regenerated` when it is stale; a tree with events but no metrics.json
    gets one on --write (the dry run does not fail for a file nobody asked for yet)."""
    import json

    from taskctl.core.lifecycle.stats import METRICS, metrics

    path = bl.root / METRICS
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        has_events = (bl.root / "updates").is_dir() and any((bl.root / "updates").iterdir())
        return f"{METRICS}: created from the events" if has_events and write else None
    except (OSError, ValueError):
        return f"{METRICS}: regenerated (unreadable)"
    return None if old == metrics(bl) else f"{METRICS}: regenerated from the events"

"""`taskctl verify`, `taskctl check` (manual sign-off) and `taskctl gate` (CI)."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from taskctl.cli.common import emit_json, state
from taskctl.core.status import TaskOutcome
from taskctl.errors import Interrupted, LockBusy, ProblemsFound, UsageError

JOBS = typer.Option("--jobs", "-j", metavar="N|auto",
                    help="Tasks verified at once (independent ones); auto: one per CPU.")
JSON = typer.Option("--json", help="Machine-readable result on stdout (progress stays on stderr).")


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(check)
    app.command()(gate)


@contextmanager
def _signals_cancel():
    """Ctrl+C (SIGINT) and SIGTERM (CI cancelling a job) set the run's cancel event: runners stop
    their children and record INTERRUPTED, the run ends with exit 130. No exception is raised
    into the waiting thread (one raised inside the thread pool's locks could leave them held);
    a second signal, if the first is not honoured, interrupts the hard way."""
    cancel = threading.Event()

    def handler(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield cancel
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def _print(lines: list[str]) -> None:
    from taskctl.render.console import stdout

    for line in lines:
        stdout().print(line, highlight=False)


def _notes(notes: list[str]) -> None:
    from taskctl.render.console import stderr

    for note in notes:
        stderr().print(f"[yellow]taskctl: {note}[/yellow]", highlight=False)


def _warn(text: str) -> None:
    if text:
        typer.echo(text, err=True, nl=False)


def _progress(as_json: bool):
    from taskctl.render.console import stderr
    from taskctl.render.verify_progress import Progress

    return Progress(stderr())


def verify(
    ctx: typer.Context,
    tasks: Annotated[list[str] | None, typer.Argument(help="Task ids.", show_default=False)] = None,
    all_tasks: Annotated[bool, typer.Option("--all", help="Every task with acceptance items "
                                            "(not cancelled/deferred).")] = False,
    jobs: Annotated[str, JOBS] = "1",
    keep_going: Annotated[bool, typer.Option("--keep-going", "-k", help="Do not stop at the "
                                             "first failing item/task.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-run items even when a fresh "
                                        "pass is recorded.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would run; run and "
                                          "write nothing.")] = False,
    archive: Annotated[bool, typer.Option("--archive", help="Move the task files it completes "
                                          "to completed/ (also the tree setting "
                                          "manifest `taskctl.archive`).")] = False,
    as_json: Annotated[bool, JSON] = False,
) -> None:
    """Run tasks' acceptance items, record evidence, and mark the tasks that pass completed.

    Exit 0: all verified (or --dry-run). 1: a task failed, is blocked, needs a sign-off or
    cannot run here. 2: usage/unknown task. 3: a task is locked by another taskctl. 130: Ctrl+C.
    """
    from taskctl.core.verify import batch as core
    from taskctl.render import verify_report as vr

    bl = state(ctx).backlog(warn=False)
    ids = core.select(bl, list(tasks or []), all_tasks)
    from taskctl.core.verify.proving import parse_jobs

    opts = core.VerifyOptions(jobs=parse_jobs(jobs), keep_going=keep_going, force=force,
                              dry_run=dry_run)
    with _signals_cancel() as cancel, _progress(as_json) as progress:
        report = core.verify(bl, ids, opts, progress, cancel)
    _notes(report.notes)
    if not dry_run:
        _archive(bl.root, report, archive)
    if as_json:
        emit_json({"ok": report.ok, "run_id": report.run_id, "interrupted": report.interrupted,
                   "capabilities": report.capabilities,
                   "tasks": [vr.task_dict(t) for t in report.tasks], **vr.notes(report)})
    else:
        for res in report.tasks:
            _print(vr.task_lines(res, verbose_items=False))
    _warn(vr.warning_text(report.tasks))
    if report.interrupted:
        raise Interrupted("verification interrupted; nothing was marked completed by the "
                          "interrupted tasks", "run `taskctl verify` again", reported=as_json)
    if report.busy:
        raise LockBusy(f"locked by another taskctl: {', '.join(report.busy)}",
                       "wait for the other verification to finish", reported=as_json)
    if not report.ok:
        bad = [t.task for t in report.tasks if not t.ok]
        raise ProblemsFound(f"{len(bad)} task(s) not verified: {', '.join(bad)}",
                            reported=as_json)


def _archive(root: Path, report, asked: bool) -> None:
    """Archive the tasks this run completed, when asked to or the tree says so."""
    from taskctl.core.lifecycle import archive as arch

    done = [t.task for t in report.tasks if t.outcome == TaskOutcome.COMPLETED]
    if done and (asked or arch.enabled(root)):
        from taskctl.render.transitions import warning_lines

        try:
            moved = arch.archive(root, done, "taskctl verify")
        except UsageError as e:  # the tasks are completed all the same: say why, exit as is
            why = e.message + (f" ({e.hint})" if e.hint else "")
            _warn(warning_lines({"warnings": [f"not archived: {why}"]}))
            return
        for m in moved:
            typer.echo(f"archived {m['task']}: {m['to']}", err=True)
            _warn(warning_lines(m))


def check(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="Task id.")],
    item: Annotated[int, typer.Option("--item", help="Acceptance item number (1-based).")],
    by: Annotated[str, typer.Option("--by", help="Who signs off.")],
    note: Annotated[str | None, typer.Option("--note", help="Free text kept with it.")] = None,
    as_json: Annotated[bool, JSON] = False,
) -> None:
    """Sign off a manual acceptance item (one without `run`): who, when, git SHA."""
    from taskctl.core.verify import keys, runner, trust
    from taskctl.core.verify.batch import select, spec_errors
    from taskctl.core.verify.task import sign_off
    from taskctl.core.write import status as status_writer

    bl = state(ctx).backlog(warn=False)
    t = bl.tasks[select(bl, [task], False)[0]]
    if errs := spec_errors(bl, t.id):
        raise ProblemsFound(f"{t.id} has spec errors: {'; '.join(errs)}", "fix them first")
    it = next((i for i in t.acceptance if i.index == item), None)
    if it is None:
        raise UsageError(f"{t.id} has no acceptance item {item}",
                         f"it has {len(t.acceptance)} item(s)")
    if not it.manual:
        raise UsageError(f"{t.id} item {item} has a `run` command; it is proven by running it",
                         f"use `taskctl verify {t.id}`")
    if not by.strip():
        raise UsageError("--by must name who signs off")
    signer = keys.require_signer()
    policy, created = trust.ensure(bl.root)
    if created:
        _notes([f"created {bl.rel(policy.path)} (repo id {policy.repo_id}); commit it"])
    rec = sign_off(bl, t, item, by.strip(), note,
                   status_writer.new_run_id(runner.utc_now()), signer, policy)
    if as_json:
        emit_json({"ok": True, "record": rec})
    else:
        typer.echo(f"signed off {t.id} item {item} by {rec['signed_off_by']} at "
                   f"{rec['signed_off_at']} (git {(rec['git'].get('sha') or 'none')[:12]})")
        typer.echo(f"run `taskctl verify {t.id}` to complete the task")


def _junit_target(path: Path) -> Path:
    """Where `--junit PATH` is written: a symlink's target (the link stays), a new or regular
    file (its folders made); a folder, a device or a FIFO is refused (exit 2) — an atomic
    write would replace it with a file."""
    import os

    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        raise UsageError(f"--junit {path}: not a regular file",
                         "give a file name, e.g. --junit reports/gate.xml")
    return target


def gate(
    ctx: typer.Context,
    junit: Annotated[Path | None, typer.Option("--junit", metavar="PATH",
                                               help="Write JUnit XML (atomically).")] = None,
    check_only: Annotated[bool, typer.Option("--check", help="Run nothing: report stale "
                                             "evidence with the reason.")] = False,
    rerun: Annotated[bool, typer.Option("--rerun", help="Re-execute every item of every "
                                        "completed task.")] = False,
    jobs: Annotated[str, JOBS] = "1",
    shard: Annotated[str | None, typer.Option(
        "--shard", metavar="K/N", help="Gate only shard K of N (a CI matrix job), balanced by "
        "recorded durations; merge the evidence, then `gate --check`.")] = None,
    strict_caps: Annotated[bool, typer.Option("--strict-capabilities", help="Fail on items "
                                              "that cannot be re-verified here.")] = False,
    as_json: Annotated[bool, JSON] = False,
) -> None:
    """CI gate: every completed task must have fresh passing evidence for every item.

    Exit 0: all proven. 1: spec errors, or a completed task failed / is stale (--check).
    130: interrupted.
    """
    from taskctl.core.files import atomic
    from taskctl.core.verify import gate as core
    from taskctl.render import verify_report as vr

    if junit is not None and not str(junit).strip() or junit == Path(""):
        raise UsageError("--junit needs a file name", "e.g. --junit reports/gate.xml")
    junit = _junit_target(junit) if junit is not None else None  # refused before any run
    bl = state(ctx).backlog(warn=False)
    from taskctl.core.verify.proving import parse_jobs, parse_shard

    opts = core.GateOptions(check=check_only, rerun=rerun, jobs=parse_jobs(jobs),
                            strict_capabilities=strict_caps,
                            shard=parse_shard(shard) if shard else None)
    with _signals_cancel() as cancel, _progress(as_json) as progress:
        report = core.gate(bl, opts, progress, cancel)
    _notes(report.notes)
    if junit is not None:
        from taskctl.render.junit import render

        try:
            atomic.write_bytes(junit, render(report))
        except OSError as e:
            raise UsageError(f"--junit {junit}: cannot write it: {e.strerror or e}",
                             "give a file in a folder you can write") from None
    if as_json:
        emit_json({"ok": report.ok, "interrupted": report.interrupted,
                   "spec_errors": report.spec_errors,
                   "tasks": [vr.task_dict(t) for t in report.tasks], **vr.notes(report)})
    else:
        _print([f"[red]spec error[/red] {vr._esc(e)}" for e in report.spec_errors])
        for res in report.tasks:
            _print(vr.task_lines(res, verbose_items=False))
        good = sum(t.outcome in (TaskOutcome.OK, TaskOutcome.NOT_REVERIFIED) for t in report.tasks)
        where = f" (shard {shard})" if shard else ""
        _print([f"gate{where}: {good}/{len(report.tasks)} completed task(s) proven"
                + ("" if report.ok else " — FAILED")])
    _warn(vr.warning_text(report.tasks))
    if report.interrupted:
        raise Interrupted("gate interrupted", reported=as_json)
    if report.spec_errors:
        raise ProblemsFound(f"{len(report.spec_errors)} spec error(s); gate not run",
                            "see `taskctl validate`", reported=as_json)
    if not report.ok:
        raise ProblemsFound("gate failed: completed task(s) without fresh passing evidence",
                            reported=as_json)

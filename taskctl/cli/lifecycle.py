"""`taskctl new`, `set`, `dep add|rm`, the state changes (start, claim, release, block, unblock,
defer, cancel, reopen), `log` and `archive`: the one write path for the life of a task.

Each writes one event in `.tasks/updates/`, the task file and its manifest entry, atomically,
under the tree lock. Completion is proof-only: `taskctl verify` / `taskctl check`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli.common import emit_json, state
from taskctl.cli.identity import agent_name, agent_pid

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
Id = Annotated[str, typer.Argument(metavar="TASK_ID")]
AgentOpt = Annotated[str | None, typer.Option(
    "--agent", help="Who acts (default: $TASKCTL_AGENT, else user@host).")]
LeaseOpt = Annotated[str, typer.Option(
    "--lease", help="How long the claim holds: 2h, 30m, 1d; 0 = no expiry.")]
PidOpt = Annotated[int | None, typer.Option(
    "--pid", help="The agent's process id: when it is gone (same host) the claim can be taken "
    "over before the lease ends (default: $TASKCTL_AGENT_PID).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Act even though another agent holds "
                                        "a live claim (or dependencies are not done).")]

dep_app = typer.Typer(help="Add or remove dependencies (a cycle is refused).",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(new)
    app.command("set")(set_)
    app.add_typer(dep_app, name="dep")
    for name, fn in (("start", start), ("claim", claim), ("release", release),
                     ("block", block), ("unblock", unblock), ("defer", defer),
                     ("cancel", cancel), ("reopen", reopen)):
        app.command(name)(fn)
    app.command()(log)
    app.command()(archive)


def _done(payload: dict, as_json: bool, line: str) -> None:
    from taskctl.render.transitions import warning_lines

    if as_json:
        emit_json(payload)
    else:
        typer.echo(line)
    said = warning_lines(payload) + "".join(warning_lines(m) for m in payload.get("archived", ()))
    if said:
        typer.echo(said, err=True, nl=False)


def new(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="One line.")],
    task_id: Annotated[str | None, typer.Option("--id", help="Default: the next free id in "
                                                "the tree's style.")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="P0..P4")] = None,
    depends_on: Annotated[list[str] | None, typer.Option("--depends-on", metavar="ID")] = None,
    estimate: Annotated[str | None, typer.Option("--estimate", help="2h, 90m or 30k-tokens")]
    = None,
    phase: Annotated[str | None, typer.Option("--phase")] = None,
    milestone: Annotated[str | None, typer.Option("--milestone")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag")] = None,
    acceptance: Annotated[list[str] | None, typer.Option(
        "--acceptance", help="A criterion; the --run after it is its command (none: a "
        "manual item).")] = None,
    run: Annotated[list[str] | None, typer.Option("--run", help="Command proving the "
                                                  "--acceptance before it.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    agent: AgentOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a task: file from the full template, manifest entry, derived data refreshed.

    Refuses a duplicate id, an unknown dependency or a cycle (exit 2).
    """
    from taskctl.core.lifecycle.create import NewSpec
    from taskctl.core.lifecycle.create import new as core_new

    pairs = _pair_acceptance(ctx, acceptance or [], run or [])
    spec = NewSpec(title, task_id, priority, list(depends_on or []), estimate, phase, milestone,
                   list(tag or []), pairs, description)
    out = core_new(state(ctx).root(), spec, agent_name(agent))
    _done(out, as_json, f"created {out['id']} ({out['file']})")


def _pair_acceptance(ctx: typer.Context, crits: list[str], runs: list[str]):
    """Pair each --run with the --acceptance written before it, by their order on the
    command line (click keeps each option's values, not how they interleave)."""
    from taskctl.errors import UsageError

    argv = _raw_args(ctx)
    order = [a.split("=", 1)[0] for a in argv if a.split("=", 1)[0] in ("--acceptance",
                                                                         "--run")]
    if len(order) != len(crits) + len(runs):  # not recoverable: pair in order, runs first
        order = [x for c in range(len(crits)) for x in
                 (["--acceptance", "--run"] if c < len(runs) else ["--acceptance"])]
    pairs: list[tuple[str, str | None]] = []
    ci = ri = 0
    for opt in order:
        if opt == "--acceptance":
            pairs.append((crits[ci], None))
            ci += 1
        else:
            if not pairs or pairs[-1][1] is not None:
                raise UsageError("each --run must follow the --acceptance it proves",
                                 "e.g. --acceptance 'tests pass' --run 'pytest -q'")
            pairs[-1] = (pairs[-1][0], runs[ri])
            ri += 1
    return pairs


def _raw_args(ctx: typer.Context) -> list[str]:
    from taskctl.cli.common import RAW_ARGS

    return list(RAW_ARGS)


def set_(
    ctx: typer.Context,
    task_id: Id,
    pairs: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="title, priority, "
                                               "phase, milestone, tags (a,b), estimate (2h | "
                                               "30k-tokens), estimated_hours, estimated_tokens,"
                                               " actual_hours, actual_tokens; empty: remove")],
    agent: AgentOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set fields of a task (in place in its file; manifest entry kept in step)."""
    from taskctl.core.lifecycle.edit import set_fields
    from taskctl.render.transitions import set_line

    out = set_fields(state(ctx).root(), task_id, pairs, agent_name(agent))
    _done(out, as_json, set_line(out))


def _dep(ctx: typer.Context, task_id: str, deps: list[str], add: bool, agent, as_json) -> None:
    from taskctl.core.lifecycle.edit import deps as core_deps

    out = core_deps(state(ctx).root(), task_id, deps, add, agent_name(agent))
    _done(out, as_json, f"{out['task']} depends on: {', '.join(out['depends_on']) or 'nothing'}")


@dep_app.command("add")
def dep_add(ctx: typer.Context, task_id: Id,
            deps: Annotated[list[str], typer.Argument(metavar="DEP...")],
            agent: AgentOpt = None, as_json: JsonOpt = False) -> None:
    """TASK_ID now depends on DEP... (refused with the cycle printed if it makes one)."""
    _dep(ctx, task_id, deps, True, agent, as_json)


@dep_app.command("rm")
def dep_rm(ctx: typer.Context, task_id: Id,
           deps: Annotated[list[str], typer.Argument(metavar="DEP...")],
           agent: AgentOpt = None, as_json: JsonOpt = False) -> None:
    """TASK_ID no longer depends on the DEP ids."""
    _dep(ctx, task_id, deps, False, agent, as_json)


def _change(ctx, action: str, task_id: str, agent, reason=None, lease="2h", pid=None,
            force=False, as_json=False) -> None:
    from taskctl.core.files.claims import parse_duration
    from taskctl.core.lifecycle.transitions import Request, transition
    from taskctl.render.transitions import transition_line

    req = Request(action, task_id, agent_name(agent), reason, parse_duration(lease),
                  agent_pid(pid), force)
    out = transition(state(ctx).root(), req)
    _done(out, as_json, transition_line(out))


def start(ctx: typer.Context, task_id: Id, agent: AgentOpt = None, lease: LeaseOpt = "2h",
          pid: PidOpt = None, force: ForceOpt = False, as_json: JsonOpt = False) -> None:
    """Start work on a task: in_progress, held by you (a claim with a lease)."""
    _change(ctx, "start", task_id, agent, None, lease, pid, force, as_json)


def claim(ctx: typer.Context, task_id: Id,
          agent: Annotated[str | None, typer.Option(
              "--agent", help="Who claims it (default: $TASKCTL_AGENT; one of them is "
              "needed).")] = None,
          lease: LeaseOpt = "2h", pid: PidOpt = None, force: ForceOpt = False,
          as_json: JsonOpt = False) -> None:
    """Claim a task for an agent (renews your own claim; takes over an expired one).
    Exit 3: another agent holds a live claim."""
    import os

    if not agent and not os.environ.get("TASKCTL_AGENT"):
        from taskctl.errors import UsageError

        raise UsageError("claim needs an agent: --agent NAME or $TASKCTL_AGENT",
                         "say who holds the claim, e.g. --agent agent-3")
    _change(ctx, "claim", task_id, agent, None, lease, pid, force, as_json)


def release(ctx: typer.Context, task_id: Id, agent: AgentOpt = None, force: ForceOpt = False,
            as_json: JsonOpt = False) -> None:
    """Give a task back: pending again, claim dropped."""
    _change(ctx, "release", task_id, agent, force=force, as_json=as_json)


def block(ctx: typer.Context, task_id: Id,
          reason: Annotated[str, typer.Option("--reason", help="Why (kept in the event and "
                                              "the Progress Log).")],
          agent: AgentOpt = None, force: ForceOpt = False, as_json: JsonOpt = False) -> None:
    """Mark a task blocked (not actionable until `unblock`); its claim is dropped."""
    _change(ctx, "block", task_id, agent, reason, force=force, as_json=as_json)


def unblock(ctx: typer.Context, task_id: Id, agent: AgentOpt = None,
            reason: Annotated[str | None, typer.Option("--reason")] = None,
            as_json: JsonOpt = False) -> None:
    """A blocked task becomes pending again."""
    _change(ctx, "unblock", task_id, agent, reason, as_json=as_json)


def defer(ctx: typer.Context, task_id: Id, agent: AgentOpt = None,
          reason: Annotated[str | None, typer.Option("--reason")] = None,
          force: ForceOpt = False, as_json: JsonOpt = False) -> None:
    """Park a task (deferred: not scheduled until reopened)."""
    _change(ctx, "defer", task_id, agent, reason, force=force, as_json=as_json)


def cancel(ctx: typer.Context, task_id: Id,
           reason: Annotated[str, typer.Option("--reason", help="Why it will not be done.")],
           agent: AgentOpt = None, force: ForceOpt = False, as_json: JsonOpt = False) -> None:
    """Cancel a task (done without doing it; dependents may proceed)."""
    _change(ctx, "cancel", task_id, agent, reason, force=force, as_json=as_json)


def reopen(ctx: typer.Context, task_id: Id, agent: AgentOpt = None,
           reason: Annotated[str | None, typer.Option("--reason")] = None,
           as_json: JsonOpt = False) -> None:
    """Completed, cancelled, deferred or unverified work becomes pending again."""
    _change(ctx, "reopen", task_id, agent, reason, as_json=as_json)


def log(ctx: typer.Context, task_id: Id,
        message: Annotated[str, typer.Argument(help="One line.")],
        agent: AgentOpt = None, as_json: JsonOpt = False) -> None:
    """Append a dated line to the task's Progress Log (renews your claim's lease)."""
    from taskctl.core.lifecycle.transitions import log as core_log
    from taskctl.render.transitions import log_line

    out = core_log(state(ctx).root(), task_id, agent_name(agent), message)
    _done(out, as_json, log_line(out))


def archive(ctx: typer.Context,
            tasks: Annotated[list[str] | None, typer.Argument(metavar="[TASK_ID...]")] = None,
            agent: AgentOpt = None, as_json: JsonOpt = False) -> None:
    """Move completed task files to completed/ (all completed ones when no id is given)."""
    from taskctl.core.lifecycle.archive import archive as core_archive

    moved = core_archive(state(ctx).root(), list(tasks) if tasks else None, agent_name(agent))
    _done({"archived": moved}, as_json, "\n".join(
        f"{m['task']}: {m['from']} -> {m['to']}" for m in moved) or "nothing to archive")

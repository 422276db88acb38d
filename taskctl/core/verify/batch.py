"""`verify`: run the acceptance items of tasks, dependencies first, independent tasks in
parallel (a bounded pool over the dependency order), and complete the tasks that pass.

Dependency rule: a task whose dependency is not done (completed/cancelled) — before this call or
after verifying it in this call — is not run and not completed: "blocked by T020 (pending)".
Progress goes to an injected observer (`events.Observer`); nothing here prints.
"""

from __future__ import annotations

import getpass
import socket
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from taskctl.core.files.paths import check_state_dirs
from taskctl.core.load.ids import ID_HINT, is_valid_id
from taskctl.core.model import Backlog
from taskctl.core.status import DONE, TaskOutcome, TaskStatus
from taskctl.core.verify import capabilities, evidence, keys, proving, runner, trust
from taskctl.core.verify.events import Event, Observer
from taskctl.core.verify.task import Context, TaskResult, verify_task
from taskctl.core.write import status as status_writer
from taskctl.errors import LockBusy, UnknownTask, UsageError


@dataclass
class VerifyOptions:
    jobs: int = 1
    keep_going: bool = False
    force: bool = False
    dry_run: bool = False
    check_deps: bool = True  # gate re-verifies completed tasks without the dependency rule
    mark_complete: bool = True
    reopen_on_failure: bool = True  # gate only reports; verify reopens a completed task
    capabilities: frozenset[str] | None = None  # None: detect
    by: str | None = None
    grace: float = runner.GRACE_S
    signer: keys.Signer | None = None  # None: the configured key (required unless dry_run)
    policy: trust.Policy | None = None  # None: .tasks/trust.yaml, created when absent


@dataclass
class VerifyReport:
    run_id: str
    capabilities: list[str]
    tasks: list[TaskResult] = field(default_factory=list)
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)  # trust setup worth telling (stderr)

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(t.ok for t in self.tasks)

    @property
    def busy(self) -> list[str]:
        return [t.task for t in self.tasks if t.outcome == TaskOutcome.BUSY]


def default_by() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def select(bl: Backlog, ids: list[str], all_tasks: bool) -> list[str]:
    """The tasks to verify: named ones, or with --all every task with acceptance items that is
    not cancelled or deferred."""
    if all_tasks:
        return [t.id for t in bl.tasks.values()
                if t.acceptance and t.status not in (TaskStatus.CANCELLED, TaskStatus.DEFERRED)]
    if not ids:
        raise UsageError("name the tasks to verify, or pass --all")
    bad = [f"{i!r}" for i in ids if not is_valid_id(i)]
    if bad:
        raise UsageError(f"not a task id: {', '.join(bad)}", ID_HINT)
    unknown = [i for i in ids if i not in bl.tasks]
    if unknown:
        raise UnknownTask(f"unknown task id(s): {', '.join(unknown)}",
                          "see `taskctl validate` for the ids taskctl found")
    return list(dict.fromkeys(ids))


def dependency_order(bl: Backlog, ids: list[str]) -> list[str]:
    """Topological order of `ids` (dependencies first); ties keep the given order."""
    chosen = set(ids)
    edges = [(d, tid) for tid in ids for d in bl.tasks[tid].depends_on if d in chosen]
    if not edges:
        return list(ids)  # nothing to order: skip importing networkx (~0.2 s)
    import networkx as nx  # lazy: keeps `taskctl --help` fast

    g = nx.DiGraph()
    g.add_nodes_from(ids)
    g.add_edges_from(edges)
    pos = {t: i for i, t in enumerate(ids)}
    try:
        return list(nx.lexicographical_topological_sort(g, key=pos.__getitem__))
    except nx.NetworkXUnfeasible:
        raise UsageError("the selected tasks have a dependency cycle",
                         "see `taskctl validate`") from None


def spec_errors(bl: Backlog, tid: str) -> list[str]:
    return [f"{p.location}: {p.message}" for p in bl.errors if p.task == tid]


def blocked_by(bl: Backlog, tid: str, results: dict[str, TaskResult]) -> list[str]:
    out = []
    for d in bl.tasks[tid].depends_on:
        dep = bl.tasks.get(d)
        if dep is None:
            out.append(f"{d} (unknown)")
        elif dep.status not in DONE:
            why = results[d].outcome if d in results else dep.status
            out.append(f"{d} ({why})")
    return out


def verify(bl: Backlog, ids: list[str], opts: VerifyOptions, observer: Observer | None = None,
           cancel: threading.Event | None = None) -> VerifyReport:
    """Verify `ids` in dependency order with up to `opts.jobs` tasks at once."""
    caps = opts.capabilities if opts.capabilities is not None else capabilities.detect()
    run_id = status_writer.new_run_id(runner.utc_now())
    signer, policy, notes = _trust_setup(bl, opts)
    ctx = Context(bl, run_id, caps, opts.by or default_by(), force=opts.force,
                  keep_going=opts.keep_going, dry_run=opts.dry_run,
                  mark_complete=opts.mark_complete, grace=opts.grace,
                  cancel=cancel or threading.Event(), observer=observer,
                  policy=policy, signer=signer, reopen_on_failure=opts.reopen_on_failure)
    report = VerifyReport(run_id, sorted(caps), notes=notes)
    if not opts.dry_run:
        check_state_dirs(bl.root)  # a symlinked evidence/, logs/, .locks/…: stop before running
        evidence.prefetch_git_state(bl.repo_root)  # overlaps gitpython's import with the run
    # slowest first, dependencies still first; without the dependency rule (gate) no task
    # waits for another, so the pool never idles behind a dependency
    order = dependency_order(bl, proving.slowest_first(bl, ids)) if opts.check_deps else \
        proving.slowest_first(bl, ids)
    chosen = set(order) if opts.check_deps else set()
    deps = {t: [d for d in bl.tasks[t].depends_on if d in chosen] for t in order}
    results: dict[str, TaskResult] = {}
    pending, running = list(order), {}
    stop = False

    def one(tid: str) -> TaskResult:
        try:
            return verify_task(ctx, bl.tasks[tid])
        except LockBusy as e:
            return TaskResult(tid, TaskOutcome.BUSY, e.message, status_before=bl.tasks[tid].status)

    def settle(tid: str, res: TaskResult) -> None:
        nonlocal stop
        results[tid] = res
        ctx.emit(Event.TASK_END, tid, None)
        if not res.ok and not opts.keep_going and res.outcome != TaskOutcome.BLOCKED:
            stop = True

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        try:
            while pending or running:
                for tid in list(pending):
                    if stop or ctx.cancel.is_set():
                        pending.remove(tid)
                        why = (TaskOutcome.INTERRUPTED if ctx.cancel.is_set()
                               else TaskOutcome.SKIPPED)
                        settle(tid, TaskResult(tid, why, "not started", status_before=bl.tasks[
                            tid].status))
                        continue
                    if len(running) >= max(1, opts.jobs) or any(d not in results
                                                                for d in deps[tid]):
                        continue
                    pending.remove(tid)
                    pre = _precheck(bl, tid, results, opts)
                    if pre is not None:
                        settle(tid, pre)
                        continue
                    ctx.emit(Event.TASK_START, tid, None)
                    running[pool.submit(one, tid)] = tid
                if running:
                    done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in done:
                        settle(running.pop(fut), _result(fut))
        except KeyboardInterrupt:
            ctx.cancel.set()  # runners forward SIGINT to their groups and record INTERRUPTED
            report.interrupted = True
            for fut, tid in running.items():
                results[tid] = _result(fut)
            for tid in pending:
                results[tid] = TaskResult(tid, TaskOutcome.INTERRUPTED, "not started")
    if ctx.cancel.is_set():
        report.interrupted = True
    shown = dependency_order(bl, ids) if opts.check_deps else ids  # as before: not by speed
    report.tasks = [results[t] for t in shown if t in results]
    return report


def _trust_setup(bl: Backlog, opts: VerifyOptions
                 ) -> tuple[keys.Signer | None, trust.Policy, list[str]]:
    """The key that signs this run's records and the policy that judges stored ones.
    A run that writes needs a key and a repo_id (trust.yaml is created on first use)."""
    notes: list[str] = []
    if opts.dry_run:
        return opts.signer, opts.policy or trust.load(bl.root), notes
    signer = opts.signer or keys.require_signer()
    policy = opts.policy
    if policy is None:
        policy, created = trust.ensure(bl.root)
        if created:
            notes.append(f"created {bl.rel(policy.path)} (repo id {policy.repo_id}); commit it")
    if not signer.ephemeral and signer.keyid not in policy.keys:
        notes.append(f"this runner's key {signer.keyid[:12]} is not trusted in "
                     f"{bl.rel(policy.path)}: its records will not be reused nor accepted by "
                     "`taskctl gate` (run `taskctl keys trust`)")
    return signer, policy, notes


def _result(fut: Future) -> TaskResult:
    return fut.result()


def _precheck(bl: Backlog, tid: str, results: dict[str, TaskResult],
              opts: VerifyOptions) -> TaskResult | None:
    task = bl.tasks[tid]
    errs = spec_errors(bl, tid)
    if errs:
        return TaskResult(tid, TaskOutcome.INVALID, "spec errors, not verified: " + "; ".join(errs),
                          status_before=task.status, status_after=task.status)
    if not task.acceptance:
        return TaskResult(tid, TaskOutcome.NO_ACCEPTANCE,
                          "no acceptance items: nothing can prove it done",
                          status_before=task.status, status_after=task.status)
    if opts.check_deps and (blockers := blocked_by(bl, tid, results)):
        return TaskResult(tid, TaskOutcome.BLOCKED, "blocked by " + ", ".join(blockers),
                          status_before=task.status, status_after=task.status)
    return None

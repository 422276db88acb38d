"""`gate`: the CI check that every completed task is proven by fresh passing evidence.

Trusts no stored status flag: it recomputes the fingerprint of every acceptance item of every
`completed` task. A task fails the gate when an item has no fresh pass (under --check: reported
stale with the reasons; otherwise re-verified and failed if the re-run fails), when a manual
item has no current sign-off, or when it has no acceptance items at all (use the status
`completed_unverified` for work done without proof).

Items needing a capability this machine lacks keep their recorded pass and are reported
"not re-verified here" without failing (`strict_capabilities` makes that a failure); an item
that never passed anywhere fails.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from taskctl.core.model import Backlog
from taskctl.core.status import ItemOutcome, TaskOutcome, TaskStatus
from taskctl.core.verify import capabilities
from taskctl.core.verify.batch import VerifyOptions, verify
from taskctl.core.verify.events import Observer
from taskctl.core.verify.task import Context, TaskResult, assess
from taskctl.errors import UsageError


@dataclass
class GateOptions:
    check: bool = False  # report stale evidence, run nothing
    rerun: bool = False  # re-execute every runnable item regardless of cached evidence
    jobs: int = 1
    strict_capabilities: bool = False
    capabilities: frozenset[str] | None = None


@dataclass
class GateReport:
    tasks: list[TaskResult] = field(default_factory=list)
    spec_errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.spec_errors and not self.interrupted and all(
            t.outcome in (TaskOutcome.OK, TaskOutcome.NOT_REVERIFIED) for t in self.tasks)


def gate(bl: Backlog, opts: GateOptions, observer: Observer | None = None,
         cancel: threading.Event | None = None) -> GateReport:
    if opts.check and opts.rerun:
        raise UsageError("--check and --rerun exclude each other",
                         "--check runs nothing; --rerun runs everything")
    report = GateReport()
    if bl.errors:
        report.spec_errors = [f"{p.location}: {p.message}" for p in bl.errors]
        return report
    caps = opts.capabilities if opts.capabilities is not None else capabilities.detect()
    ctx = Context(bl, "gate-check", caps, "", force=opts.rerun, dry_run=True, input_cache={})
    results: dict[str, TaskResult] = {}
    to_run: list[str] = []
    completed = [t for t in bl.tasks.values() if t.status == TaskStatus.COMPLETED]
    for t in completed:
        if not t.acceptance:
            results[t.id] = TaskResult(t.id, TaskOutcome.UNPROVEN,
                                       "completed but has no acceptance items (mark it "
                                       "completed_unverified, or add items)")
            continue
        items = [assess(ctx, t, it)[0] for it in t.acceptance]
        if not opts.check and any(i.status == ItemOutcome.WOULD_RUN for i in items):
            to_run.append(t.id)
        results[t.id] = TaskResult(t.id, TaskOutcome.OK, items=items, status_before=t.status)
    if to_run:
        vrep = verify(bl, to_run, VerifyOptions(
            jobs=opts.jobs, keep_going=True, force=opts.rerun, check_deps=False,
            capabilities=caps, by="taskctl gate"), observer, cancel)
        report.interrupted = vrep.interrupted
        results.update({r.task: r for r in vrep.tasks})
    for t in completed:
        report.tasks.append(judge(results[t.id], opts.strict_capabilities))
    return report


def judge(res: TaskResult, strict: bool) -> TaskResult:
    """Turn item statuses into the gate's verdict for one task."""
    if res.outcome == TaskOutcome.UNPROVEN:
        return res
    failing, warn = [], []
    for it in res.items:
        if it.status == ItemOutcome.WOULD_RUN:
            it.status = ItemOutcome.STALE
        passed_before = (it.record or {}).get("status") == ItemOutcome.PASS
        if it.status == ItemOutcome.CANNOT_RUN and not strict and passed_before:
            it.status = ItemOutcome.NOT_REVERIFIED
        if it.status == ItemOutcome.NOT_REVERIFIED:
            warn.append(it)
        elif not it.ok:
            failing.append(it)
    if failing:
        first = failing[0]
        stale = all(i.status in (ItemOutcome.STALE, ItemOutcome.NEEDS_SIGNOFF) for i in failing)
        res.outcome = TaskOutcome.STALE if stale else TaskOutcome.FAILED
        why = "; ".join(first.reasons[:3]) or first.status
        res.message = f"item {first.index} {first.status}: {first.criterion} — {why}"
    elif warn:
        res.outcome = TaskOutcome.NOT_REVERIFIED
        res.message = f"item {warn[0].index} not re-verified here: " + "; ".join(
            warn[0].reasons[:1])
    else:
        res.outcome = TaskOutcome.OK
    return res

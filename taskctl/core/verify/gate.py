"""`gate`: the CI check that every completed task is proven by fresh passing evidence.

Trusts no stored status flag: it recomputes the fingerprint of every acceptance item of every
`completed` task. A task fails the gate when an item has no fresh pass (under --check: reported
stale with the reasons; otherwise re-verified and failed if the re-run fails), when a manual
item has no current sign-off, or when it has no acceptance items at all (use the status
`completed_unverified` for work done without proof).

Every stored record must be a signed attestation that counts under `.tasks/trust.yaml`
(core/verify/trust.py): unsigned, tampered, untrusted-signer or wrong-subject records are
no evidence, reported with the reason and the file. An item needing a capability this machine
lacks counts only through a fresh pass signed by a trusted key allowed that capability
(reported "not re-verified here"; `strict_capabilities` makes it a failure); otherwise it fails.

Items the gate runs itself are signed with the configured key; without one (CI without the
secret) a throwaway key signs them, their results count for this gate run only, and nothing
is written to `.tasks/evidence/` (a record nobody trusts must not replace a trusted one).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from taskctl.core.model import Backlog
from taskctl.core.status import ItemOutcome, TaskOutcome, TaskStatus
from taskctl.core.verify import capabilities, keys, trust
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
    signer: keys.Signer | None = None  # None: the configured key, else a throwaway one
    policy: trust.Policy | None = None  # None: .tasks/trust.yaml
    shard: tuple[int, int] | None = None  # (k, n): gate only shard k of n (proving.shard)


@dataclass
class GateReport:
    tasks: list[TaskResult] = field(default_factory=list)
    spec_errors: list[str] = field(default_factory=list)
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

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
    policy = opts.policy or trust.load(bl.root)
    if not policy.exists:
        report.notes.append(f"no {bl.rel(policy.path)}: no stored record counts; only what "
                            "this gate runs can prove a task")
    ctx = Context(bl, "gate-check", caps, "", force=opts.rerun, dry_run=True, input_cache={},
                  policy=policy)
    results: dict[str, TaskResult] = {}
    to_run: list[str] = []
    completed = [t for t in bl.tasks.values() if t.status == TaskStatus.COMPLETED]
    if opts.shard is not None:  # a CI matrix job: its share, balanced by recorded durations
        from taskctl.core.verify.proving import shard

        mine = set(shard(bl, [t.id for t in completed], *opts.shard))
        completed = [t for t in completed if t.id in mine]
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
        signer = _gate_signer(opts, policy, report)
        vrep = verify(bl, to_run, VerifyOptions(
            jobs=opts.jobs, keep_going=True, force=opts.rerun, check_deps=False,
            capabilities=caps, by="taskctl gate", signer=signer, policy=policy,
            reopen_on_failure=False),
            observer, cancel)
        report.notes += vrep.notes
        report.interrupted = vrep.interrupted
        results.update({r.task: r for r in vrep.tasks})
    for t in completed:
        report.tasks.append(judge(results[t.id], opts.strict_capabilities))
    return report


def _gate_signer(opts: GateOptions, policy: trust.Policy, report: GateReport) -> keys.Signer:
    signer = opts.signer or keys.load_signer()
    if signer is not None and policy.exists:
        return signer
    report.notes.append("no signing key here (or no trust policy): the items this gate runs "
                        "are signed with a throwaway key, count for this run only, and are "
                        "not written to the evidence folder")
    return keys.ephemeral()


def judge(res: TaskResult, strict: bool) -> TaskResult:
    """Turn item statuses into the gate's verdict for one task."""
    if res.outcome == TaskOutcome.UNPROVEN:
        return res
    failing, warn = [], []
    for it in res.items:
        if it.status == ItemOutcome.WOULD_RUN:
            it.status = ItemOutcome.STALE
        # only a fresh pass attested by a key allowed the missing capability stands in
        if it.status == ItemOutcome.CANNOT_RUN and not strict and it.attested:
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

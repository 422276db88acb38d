"""Verify ONE task: lock, marker, run or reuse each acceptance item, store evidence, then the
status change, then remove the marker (the write order of docs/verify.md)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.core.files import locks, paths
from taskctl.core.model import AcceptanceItem, Backlog, Task
from taskctl.core.status import FAILED, PASSING, ItemOutcome, TaskOutcome, TaskStatus
from taskctl.core.verify import capabilities, evidence, keys, proving, runner, trace, trust
from taskctl.core.verify import fingerprint as fpm
from taskctl.core.verify.events import Event, Observer
from taskctl.core.verify.secrets import Redactor, secret_values
from taskctl.core.write import status as status_writer


@dataclass
class ItemResult:
    index: int
    criterion: str
    status: str
    cached: bool = False
    reasons: list[str] = field(default_factory=list)  # why it ran / is stale / cannot run
    record: dict[str, Any] | None = None
    log: str | None = None
    why_run: list[str] = field(default_factory=list)  # for executed items: why not cached
    attested: bool = False  # a fresh pass signed by a trusted key allowed its `requires`

    @property
    def ok(self) -> bool:
        return self.status in PASSING


@dataclass
class TaskResult:
    task: str
    outcome: str  # completed|failed|interrupted|cannot_run|needs_signoff|blocked|invalid|
    #               no_acceptance|busy|skipped|dry_run
    message: str = ""
    items: list[ItemResult] = field(default_factory=list)
    evidence_id: str | None = None
    status_before: str | None = None
    status_after: str | None = None
    warnings: list[str] = field(default_factory=list)  # what a status change could not write

    @property
    def ok(self) -> bool:
        return self.outcome in (TaskOutcome.COMPLETED, TaskOutcome.DRY_RUN)


@dataclass
class Context:
    """What every task of one verify/gate call shares."""

    bl: Backlog
    run_id: str
    caps: frozenset[str]
    by: str
    force: bool = False
    keep_going: bool = False
    dry_run: bool = False
    mark_complete: bool = True
    reopen_on_failure: bool = True  # a completed task that fails again goes back to pending
    grace: float = runner.GRACE_S
    cancel: threading.Event = field(default_factory=threading.Event)
    observer: Observer | None = None
    input_cache: dict | None = None  # only for passes that run nothing (gate --check)
    policy: trust.Policy | None = None  # None: read .tasks/trust.yaml
    signer: keys.Signer | None = None  # None only when nothing is written (dry run, --check)

    def __post_init__(self) -> None:
        if self.policy is None:
            self.policy = trust.load(self.bl.root)

    def emit(self, kind: Event, task: str, item: ItemResult | AcceptanceItem | None = None) -> None:
        if self.observer is not None:
            self.observer(kind, task, item)


def outcome_of(items: list[ItemResult]) -> tuple[str, str]:
    st = {i.status for i in items}
    for status, outcome in ((ItemOutcome.INTERRUPTED, TaskOutcome.INTERRUPTED),
                            (ItemOutcome.FAIL, TaskOutcome.FAILED),
                            (ItemOutcome.TIMEOUT, TaskOutcome.FAILED),
                            (ItemOutcome.CANNOT_RUN, TaskOutcome.CANNOT_RUN),
                            (ItemOutcome.NEEDS_SIGNOFF, TaskOutcome.NEEDS_SIGNOFF),
                            (ItemOutcome.WOULD_RUN, TaskOutcome.DRY_RUN)):
        if status in st:
            bad = next(i for i in items if i.status == status)
            return outcome, f"item {bad.index} {status}: {bad.criterion}"
    if ItemOutcome.NOT_RUN in st:
        return TaskOutcome.FAILED, "items not run"
    return TaskOutcome.COMPLETED, ""


def assess(ctx: Context, task: Task, item: AcceptanceItem,
           stale_runs: frozenset[str] = frozenset()) -> tuple[ItemResult, fpm.Fingerprint]:
    """What can be said about an item without running it: cached pass, sign-off, or not."""
    record, rejected = evidence.load(ctx.bl.root, task.id, item.index, ctx.policy,
                                     item.requires)
    fp = fpm.compute(task.id, item, ctx.bl.repo_root, cache=ctx.input_cache,
                     traced=trace.recorded(record))  # the files its last run read
    fr = (evidence.freshness(record, fp, stale_runs) if rejected is None
          else evidence.Freshness(False, [rejected], None))
    res = ItemResult(item.index, item.criterion, ItemOutcome.WOULD_RUN, reasons=fr.reasons,
                     record=fr.record, attested=fr.fresh)
    if item.manual:
        res.status = ItemOutcome.SIGNED_OFF if fr.fresh else ItemOutcome.NEEDS_SIGNOFF
    elif fr.fresh and not ctx.force:
        res.status, res.cached = ItemOutcome.PASS, True
    elif missing := capabilities.missing(item.requires, ctx.caps):
        res.status = ItemOutcome.CANNOT_RUN
        res.reasons = [f"cannot run here: requires {', '.join(missing)}", *fr.reasons]
    return res, fp


def verify_task(ctx: Context, task: Task) -> TaskResult:
    """Run the task's items under its lock. Raises LockBusy if another process holds it."""
    result = TaskResult(task.id, TaskOutcome.SKIPPED, status_before=task.status)
    if ctx.dry_run:
        result.items = [assess(ctx, task, it)[0] for it in task.acceptance]
        result.outcome, result.message = outcome_of(result.items)
        result.status_after = task.status
        return result
    root = ctx.bl.root
    with locks.task_lock(root, task.id):
        leftover = locks.read_marker(root, task.id)  # we hold the lock: its writer is dead
        stale = frozenset({leftover.run_id}) if leftover else frozenset()
        marked, stop = False, False
        for item in task.acceptance:
            if stop or ctx.cancel.is_set():
                why = ItemOutcome.INTERRUPTED if ctx.cancel.is_set() else ItemOutcome.NOT_RUN
                res = ItemResult(item.index, item.criterion, why)
                result.items.append(res)
                continue
            res, fp = assess(ctx, task, item, stale)
            if res.status == ItemOutcome.WOULD_RUN:
                if not marked:
                    locks.write_marker(root, task.id, ctx.run_id)
                    marked = True
                ctx.emit(Event.ITEM_START, task.id, item)
                why, res = res.reasons, execute(ctx, task, item, fp)
                res.why_run = why
            result.items.append(res)
            ctx.emit(Event.ITEM_END, task.id, res)
            if res.status in FAILED and not ctx.keep_going:
                stop = True
        result.outcome, result.message = outcome_of(result.items)
        passed = [i.criterion for i in result.items if i.ok]
        failed = [i.criterion for i in result.items if i.status in FAILED]
        if result.outcome == TaskOutcome.COMPLETED and ctx.mark_complete:
            result.evidence_id = ctx.run_id
            result.warnings += status_writer.complete(
                ctx.bl, task, runner.utc_now(), ctx.by, ctx.run_id, passed,
                {str(i.index): (i.record or {}).get("run_id", "") for i in result.items})
        elif marked:
            status_writer.update_task_file(task, None, None, passed, failed, root)
            if (result.outcome == TaskOutcome.FAILED and task.status == TaskStatus.COMPLETED
                    and ctx.reopen_on_failure):
                result.warnings += status_writer.reopen(
                    ctx.bl, task, runner.utc_now(), ctx.by, f"verify failed: {result.message}")
        if marked or leftover:
            locks.remove_marker(root, task.id)
    result.status_after = task.status
    return result


def command_env(item_env: dict[str, str]) -> dict[str, str]:
    """The environment of an acceptance command: ours, the item's `env`, and taskctl's own
    interpreter directory first on PATH — so `python` in a spec means the environment taskctl
    is installed in (as tox and nox do), even when that venv is not activated. The signing key
    variable is removed."""
    env = {**os.environ, **item_env}
    env.pop(keys.SIGNING_KEY_ENV, None)  # the runner's key is for taskctl, not for the command
    bindir = os.path.dirname(sys.executable)
    path = env.get("PATH", "")
    if path.split(os.pathsep)[:1] != [bindir]:
        env["PATH"] = bindir + (os.pathsep + path if path else "")
    if os.path.exists(os.path.join(os.path.dirname(bindir), "pyvenv.cfg")):
        env.setdefault("VIRTUAL_ENV", os.path.dirname(bindir))
    return env


def signing_key_texts(environ: dict[str, str] | None = None) -> list[str]:
    """The runner's private key as a command could print it — `$TASKCTL_SIGNING_KEY`'s value
    (removed from the command's environment, but a child can read its parent's), the key
    file's text, each line of their PEM body, a base64 value decoded — for the redactor:
    the key never reaches a log or a record."""
    import base64
    import binascii

    env = os.environ if environ is None else environ
    texts = [env.get(keys.SIGNING_KEY_ENV, "")]
    try:
        from taskctl.core.files import regular

        texts.append(regular.read_bytes(keys.key_file(env), 1 << 16).decode("utf-8",
                                                                             "replace"))
    except OSError:
        pass
    for t in list(texts):
        try:
            texts.append(base64.b64decode(t.strip(), validate=True).decode("utf-8"))
        except (binascii.Error, ValueError):
            pass
    out = [t for t in texts if t.strip()]
    out += [line.strip() for t in out for line in t.splitlines()
            if len(line.strip()) >= 16 and not line.startswith("-----")]
    return out


def execute(ctx: Context, task: Task, item: AcceptanceItem, fp: fpm.Fingerprint) -> ItemResult:
    """Run one item and store its evidence record (before any status change)."""
    bl = ctx.bl
    env = command_env(item.env)
    redactor = Redactor(secret_values(env, item.secret_env) + signing_key_texts())
    log = evidence.log_path(bl.root, task.id, ctx.run_id, item.index)
    paths.git_ignored(paths.confined_dir(bl.root, evidence.LOG_DIR))  # run logs: this machine's
    cwd = (bl.repo_root / (item.cwd or ".")).resolve()
    timeout = item.timeout or fpm.DEFAULT_TIMEOUT
    tmp = tempfile.mkdtemp(prefix=f"taskctl-{task.id}-{item.index}-")
    scratch = tempfile.mkdtemp(prefix=f"taskctl-trace-{task.id}-{item.index}-")
    tr = trace.prepare(env, bl.repo_root, Path(scratch))  # precise evidence: what it read
    proving.shared_env(env, bl.root)  # one JAX compile cache for every item
    reasons: list[str] = []
    try:
        if not cwd.is_dir():
            raise FileNotFoundError(f"cwd {item.cwd!r} " + (
                "is not a folder" if cwd.exists() else "does not exist"))
        if not cwd.is_relative_to(bl.repo_root.resolve()):
            raise FileNotFoundError(f"cwd {item.cwd!r} is outside the repository")
        run = runner.run(trace.wrap(item.run.replace("{tmp}", tmp), tr), cwd, env, timeout,
                         log, redactor, ctx.cancel, grace=ctx.grace)
    except (OSError, ValueError) as e:  # ValueError: a NUL or `=` the OS cannot take
        run = runner.RunResult(ItemOutcome.FAIL, None, None, runner.utc_now(), 0.0,
                               redactor.redact_text(str(e)), "", 0, 0)
        reasons.append(redactor.redact_text(str(e)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    read = trace.collect(tr, bl.repo_root, cwd) if cwd.is_dir() else []
    shutil.rmtree(scratch, ignore_errors=True)
    status = run.status
    after = fpm.compute(task.id, item, bl.repo_root, traced=fp_traced(fp))
    if after.key != fp.key:
        changed = fpm.differences(fp.parts, after.parts)
        reasons.append("changed during the run: " + ", ".join(changed))
        if status == ItemOutcome.PASS:
            status = ItemOutcome.FAIL  # a change during the run is never a pass
    # the record's fingerprint: declared inputs as hashed before the run, plus what it read
    # (changed during the run, a FAIL above: keep the inputs it started from)
    final = fp if after.key != fp.key or tr.mode == "off" else fpm.compute(
        task.id, item, bl.repo_root, traced=read)
    record = evidence.base_record(task.id, item.index, item.criterion, ctx.run_id, final,
                                  bl.repo_root)
    record.update({
        "trace": tr.summary(),
        "kind": "run", "status": status, "command": item.run, "cwd": item.cwd or ".",
        "timeout_s": timeout, "exit_code": run.exit_code, "signal": run.signal,
        "started_at": run.started_at, "duration_s": run.duration_s,
        "output_tail": run.output_tail, "output_sha256": run.output_sha256,
        "output_bytes": run.output_bytes, "log": bl.rel(log), "reasons": reasons,
    })
    if run.output_truncated:
        record["output_truncated"] = True
    if after.key != fp.key:
        record["inputs_after"] = after.parts.get("inputs", {}).get("files", {})
    if not ctx.signer.ephemeral:  # a throwaway key's record would only replace a trusted one
        evidence.store(bl.root, record, ctx.signer, ctx.policy.repo_id)
    return ItemResult(item.index, item.criterion, status, reasons=reasons, record=record,
                      log=bl.rel(log))


def fp_traced(fp: fpm.Fingerprint) -> list[str]:
    """The traced files a fingerprint was computed with."""
    return sorted((fp.parts.get("inputs") or {}).get("traced") or {})


def sign_off(bl: Backlog, task: Task, index: int, by: str, note: str | None,
             run_id: str, signer: keys.Signer, policy: trust.Policy) -> dict[str, Any]:
    """Record a manual item's sign-off (under the task lock), signed by `signer`."""
    item = next(i for i in task.acceptance if i.index == index)
    with locks.task_lock(bl.root, task.id):
        fp = fpm.compute(task.id, item, bl.repo_root)
        record = evidence.base_record(task.id, index, item.criterion, run_id, fp, bl.repo_root)
        record.update({"kind": "manual", "status": ItemOutcome.SIGNED_OFF, "signed_off_by": by,
                       "signed_off_at": runner.utc_now(), "note": note})
        evidence.store(bl.root, record, signer, policy.repo_id)
    return record

"""Run one shell command: own process group, merged output streamed through the redactor to a
log file, timeout with SIGTERM → grace → SIGKILL, cancellation (Ctrl+C).

Containment (see procs.py and docs/verify.md "Hardening"):
- the clock rules, not the pipe: a command that exits while a background child keeps its
  output open (`setsid sleep infinity &`) ends when its shell ends; a timeout fires at the
  deadline whatever the pipe does, and the run returns by deadline + grace + DRAIN_S;
- no orphans: whatever the command left running — in its group, or escaped with `setsid` —
  is killed when the shell exits, and reaped;
- output beyond `max_output` bytes is not logged: the log gets a truncation marker and the
  tail; the evidence record still gets the tail, the byte count and the sha256 of all of it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from taskctl.core.status import ItemOutcome
from taskctl.core.verify import procs
from taskctl.core.verify.secrets import Redactor

GRACE_S = 5.0  # between SIGTERM and SIGKILL: long enough to flush, short enough for CI
DRAIN_S = 1.0  # after the kill: how long leftover output may still arrive
TAIL_BYTES = 4000  # output kept in the evidence record (the log file has all of it)
MAX_OUTPUT_BYTES = 50 << 20  # log cap; TASKCTL_MAX_OUTPUT_BYTES overrides
SCAN_S = 0.1  # how often the process tree is walked
SHELL = ("bash", "-c") if os.path.exists("/bin/bash") else ("sh", "-c")


@dataclass
class RunResult:
    status: str
    exit_code: int | None
    signal: str | None
    started_at: str
    duration_s: float
    output_tail: str
    output_sha256: str
    output_bytes: int
    pid: int
    output_truncated: bool = False


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def max_output_bytes() -> int:
    """The log cap: TASKCTL_MAX_OUTPUT_BYTES when set to a positive integer, else 50 MB."""
    raw = os.environ.get("TASKCTL_MAX_OUTPUT_BYTES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else MAX_OUTPUT_BYTES


def _killpg(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


class _Sink:
    """The log file, the running hash, the byte count and the tail, under the cap."""

    def __init__(self, log, cap: int):
        self.log, self.cap = log, cap
        self.digest, self.tail, self.total, self.logged = hashlib.sha256(), bytearray(), 0, 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.digest.update(data)
        self.total += len(data)
        self.tail.extend(data)
        del self.tail[:-TAIL_BYTES]
        room = self.cap - self.logged
        if room > 0:
            self.log.write(data[:room])
            self.logged += min(room, len(data))

    @property
    def truncated(self) -> bool:
        return self.total > self.logged

    def close(self) -> None:
        if self.truncated:
            self.log.write(
                f"\n[taskctl: output truncated at {self.cap:,} bytes; {self.total:,} bytes in "
                f"all (sha256 {self.digest.hexdigest()}); the last {len(self.tail):,} bytes "
                "follow]\n".encode() + bytes(self.tail))
        self.log.flush()
        os.fsync(self.log.fileno())


def signal_name(n: int) -> str:
    """`SIGTERM`, or for a signal Python's enum does not name (the real-time ones, 34-64 on
    Linux) `SIGRTMIN+5` / `SIG70`: the record names what ended the command, never a crash."""
    try:
        return signal.Signals(n).name
    except ValueError:
        lo, hi = getattr(signal, "SIGRTMIN", 0), getattr(signal, "SIGRTMAX", -1)
        return f"SIGRTMIN+{n - lo}" if lo <= n <= hi else f"SIG{n}"


def run(command: str, cwd: Path, env: Mapping[str, str], timeout: float, log_path: Path,
        redactor: Redactor, cancel: threading.Event | None = None,
        on_start: Callable[[int], None] | None = None, grace: float = GRACE_S,
        max_output: int | None = None) -> RunResult:
    """Run `command` with `bash -c`; the log gets the redacted merged stdout+stderr."""
    cancel = cancel or threading.Event()
    procs.become_subreaper()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started, t0 = utc_now(), time.monotonic()
    token = secrets.token_hex(8)
    proc = subprocess.Popen([*SHELL, command], cwd=cwd,
                            env={**env, procs.TOKEN_VAR: token}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    pgid = proc.pid  # start_new_session: the child leads its own session and group
    tracker = procs.Tracker(proc.pid, token)
    if on_start:
        on_start(proc.pid)
    status, kill_at, deadline = None, None, t0 + timeout
    stop_at: float | None = None  # when we stop waiting for output, whatever holds the pipe
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    next_scan, exited = 0.0, False

    def kill_all(sig: int) -> None:
        tracker.scan()
        _killpg(pgid, sig)
        tracker.signal(sig)

    # O_NOFOLLOW: a symlink planted at the log path is refused, never followed
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with open(log_fd, "wb") as log:
        sink = _Sink(log, max_output if max_output is not None else max_output_bytes())
        eof = False
        while not eof:
            now = time.monotonic()
            if now >= next_scan:
                tracker.scan()
                next_scan = now + SCAN_S
            if status is None and not exited and (now >= deadline or cancel.is_set()):
                status = ItemOutcome.TIMEOUT if now >= deadline else ItemOutcome.INTERRUPTED
                # SIGINT mirrors Ctrl+C for an interrupted run; SIGTERM for a timeout
                kill_all(signal.SIGTERM if status == ItemOutcome.TIMEOUT else signal.SIGINT)
                kill_at = now + grace
            if kill_at is not None and now >= kill_at:
                kill_all(signal.SIGKILL)
                kill_at, stop_at = None, now + DRAIN_S
            if not exited and proc.poll() is not None:
                exited = True
                kill_all(signal.SIGKILL)  # leftovers, in the group or escaped: no orphans
                kill_at, stop_at = None, min(stop_at or now + DRAIN_S, now + DRAIN_S)
            if stop_at is not None and now >= stop_at:
                break  # something we could not find holds the pipe: stop listening to it
            for _key, _ in sel.select(timeout=0.05):
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    eof = True
                    break
                sink.write(redactor.feed(chunk))
        sink.write(redactor.flush())
        sel.close()
        proc.stdout.close()
        try:
            rc = proc.wait(timeout=DRAIN_S)
        except subprocess.TimeoutExpired:  # unkillable (uninterruptible sleep): give up on it
            rc = -signal.SIGKILL
        kill_all(signal.SIGKILL)
        tracker.reap()
        sink.close()
    sig = signal_name(-rc) if rc < 0 else None
    if status is None:
        # a signalled command is never a pass
        status = ItemOutcome.PASS if rc == 0 else ItemOutcome.FAIL
    return RunResult(status, rc if rc >= 0 else None, sig, started,
                     round(time.monotonic() - t0, 3),
                     bytes(sink.tail).decode("utf-8", "replace"), sink.digest.hexdigest(),
                     sink.total, proc.pid, sink.truncated)

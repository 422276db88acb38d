"""Run one shell command: own process group, merged output streamed through the redactor to a
log file, timeout with SIGTERM → grace → SIGKILL of the whole group, cancellation (Ctrl+C).

No orphans: when the command's shell exits, whatever it left running in its group is killed.
"""

from __future__ import annotations

import hashlib
import os
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
from taskctl.core.verify.secrets import Redactor

GRACE_S = 5.0  # between SIGTERM and SIGKILL: long enough to flush, short enough for CI
TAIL_BYTES = 4000  # output kept in the evidence record (the log file has all of it)
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


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _killpg(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def run(command: str, cwd: Path, env: Mapping[str, str], timeout: float, log_path: Path,
        redactor: Redactor, cancel: threading.Event | None = None,
        on_start: Callable[[int], None] | None = None, grace: float = GRACE_S) -> RunResult:
    """Run `command` with `bash -c`; the log gets the redacted merged stdout+stderr."""
    cancel = cancel or threading.Event()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started, t0 = utc_now(), time.monotonic()
    proc = subprocess.Popen([*SHELL, command], cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    pgid = proc.pid  # start_new_session: the child leads its own session and group
    if on_start:
        on_start(proc.pid)
    digest, tail, total = hashlib.sha256(), bytearray(), 0
    status, kill_at, deadline = None, None, t0 + timeout
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)

    def write(data: bytes) -> None:
        nonlocal total
        if data:
            log.write(data)
            digest.update(data)
            total += len(data)
            tail.extend(data)
            del tail[:-TAIL_BYTES]

    with open(log_path, "wb") as log:
        eof = False
        while not eof:
            now = time.monotonic()
            if status is None and (now >= deadline or cancel.is_set()):
                status = ItemOutcome.TIMEOUT if now >= deadline else ItemOutcome.INTERRUPTED
                # SIGINT mirrors Ctrl+C for an interrupted run; SIGTERM for a timeout
                _killpg(pgid, signal.SIGTERM if status == ItemOutcome.TIMEOUT else signal.SIGINT)
                kill_at = now + grace
            if kill_at is not None and now >= kill_at:
                _killpg(pgid, signal.SIGKILL)
                kill_at = None
            if proc.poll() is not None:
                _killpg(pgid, signal.SIGKILL)  # leftovers of the group: no orphans
            for _key, _ in sel.select(timeout=0.05):
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    eof = True
                    break
                write(redactor.feed(chunk))
        write(redactor.flush())
        sel.close()
        proc.stdout.close()
        rc = proc.wait()
        log.flush()
        os.fsync(log.fileno())
    sig = None
    if rc < 0:
        sig = signal.Signals(-rc).name
    if status is None:
        # a signalled command is never a pass
        status = ItemOutcome.PASS if rc == 0 else ItemOutcome.FAIL
    return RunResult(status, rc if rc >= 0 else None, sig, started,
                     round(time.monotonic() - t0, 3),
                     bytes(tail).decode("utf-8", "replace"), digest.hexdigest(), total, proc.pid)

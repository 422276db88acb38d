"""Helpers for the attack tests: a repository boxed in a folder whose every other byte is
watched, real `python -m taskctl` subprocesses, and /proc scans for leftover processes."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

from tests.taskctl.core.verify.verify_support import TASKCTL, make_tree

__all__ = ["Box", "TASKCTL", "make_tree", "procs_with", "run"]


class Box:
    """tmp/box/repo: the repository under attack; tmp/box/outside: a folder next to it. Every
    file under tmp/ outside the repository is recorded, so a test can assert that nothing was
    written outside the repository."""

    def __init__(self, tmp: Path, tasks: dict[str, dict] | None = None, git: bool = True):
        self.tmp = tmp
        self.repo = tmp / "box" / "repo"
        self.repo.mkdir(parents=True)
        self.outside = tmp / "box" / "outside"
        self.outside.mkdir()
        (self.outside / "keep.txt").write_text("outside the repository\n")
        self.root = make_tree(self.repo, tasks or {}, git=git)
        self.before = self.outside_files()

    def outside_files(self) -> dict[str, float]:
        out = {}
        for p in self.tmp.rglob("*"):
            if self.repo in p.parents or p == self.repo:
                continue
            out[str(p.relative_to(self.tmp))] = p.lstat().st_mtime
        return out

    def assert_nothing_written_outside(self) -> None:
        assert self.outside_files() == self.before

    def manifest(self) -> dict:
        return json.loads((self.root / "manifest.json").read_text())

    def write_manifest(self, data: dict) -> None:
        (self.root / "manifest.json").write_text(json.dumps(data, indent=2))


def run(box: Box, *args: str, env: dict | None = None, timeout: float = 120,
        preexec_fn=None) -> subprocess.CompletedProcess:
    """`python -m taskctl --tasks-dir … ARGS` in the repository: a real process."""
    full = {**os.environ, "TASKCTL_CAPABILITIES": "", **(env or {})}
    p = subprocess.run([*TASKCTL, "--tasks-dir", str(box.root), *args], capture_output=True,
                       text=True, cwd=box.repo, env=full, timeout=timeout,
                       preexec_fn=preexec_fn)
    assert p.returncode >= 0, f"killed by signal {-p.returncode} (segfault?)\n{p.stderr}"
    assert p.returncode != 70, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    return p


def new_mark() -> tuple[str, str]:
    """(name, value) of an environment variable that marks every process of one test."""
    return "TASKCTL_ATTACK_MARK", uuid.uuid4().hex


def procs_with(mark: tuple[str, str]) -> list[int]:
    """Live (non-zombie) processes whose environment carries `mark`."""
    needle = f"{mark[0]}={mark[1]}".encode()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if needle not in Path("/proc", name, "environ").read_bytes():
                continue
            stat = Path("/proc", name, "stat").read_bytes()
        except OSError:
            continue
        if stat[stat.rfind(b")") + 2:].split()[0] != b"Z":
            out.append(int(name))
    return out


def wait_gone(mark: tuple[str, str], within: float = 2.0) -> list[int]:
    """Processes still alive with `mark` after `within` seconds (they get no more time)."""
    end = time.monotonic() + within
    while (left := procs_with(mark)) and time.monotonic() < end:
        time.sleep(0.05)
    return left


def kill_all(pids: list[int]) -> None:
    """Clean-up after a failed assertion: the test's own leftovers, by pid."""
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def record(box: Box, task: str = "T001", item: int = 1) -> dict:
    """The evidence record inside a stored (signed) envelope, signatures not checked."""
    import base64
    import json

    env = json.loads((box.root / "evidence" / task / f"item-{item:02d}.json").read_text())
    return json.loads(base64.b64decode(env["payload"]))["predicate"]

"""Find and kill every process an acceptance command started, even those that left its
process group or session (`setsid`, `nohup setsid … &`, double forks).

Three nets, on Linux (elsewhere only the process group is killed):
- taskctl makes itself a *child subreaper* (`prctl(PR_SET_CHILD_SUBREAPER)`): an orphaned
  descendant is re-parented to taskctl instead of to init, so it stays in taskctl's tree;
- a `Tracker` walks `/proc` while the command runs and remembers every descendant of the
  command's shell (pid + start time, so a recycled pid is never killed by mistake);
- every command gets a unique `TASKCTL_RUN_TOKEN` in its environment: a process re-parented to
  taskctl that carries the token belongs to that command (several commands may run at once
  under `--jobs`, so re-parenting alone cannot tell whose orphan it is).
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.files.procctl import become_subreaper as become_subreaper

TOKEN_VAR = "TASKCTL_RUN_TOKEN"
_PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, int, str, int] | None:
    """(ppid, pgid, state, start time) of `pid`, or None when it is gone."""
    try:
        data = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()  # the name may hold spaces and ')'
    try:
        return int(fields[1]), int(fields[2]), fields[0].decode(), int(fields[19])
    except (IndexError, ValueError):
        return None


def _table() -> dict[int, tuple[int, int, str, int]]:
    out = {}
    try:
        names = os.listdir(_PROC)
    except OSError:
        return out
    for name in names:
        if name.isdigit() and (st := _stat(int(name))) is not None:
            out[int(name)] = st
    return out


def _has_token(pid: int, needle: bytes) -> bool:
    try:
        return needle in (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False


class Tracker:
    """Remembers the descendants of one command; kills and reaps them on demand."""

    def __init__(self, root_pid: int, token: str):
        self.root = root_pid
        self.needle = f"{TOKEN_VAR}={token}\0".encode()
        self.known: dict[int, int] = {}  # pid -> start time
        self.enabled = _PROC.is_dir()

    def scan(self) -> None:
        """Add every live descendant (by parentage, process group or token) to `known`."""
        if not self.enabled:
            return
        table = _table()
        me = os.getpid()
        kids: dict[int, list[int]] = {}
        for pid, (ppid, _pg, _st, _t) in table.items():
            kids.setdefault(ppid, []).append(pid)
        seeds = {self.root} | {p for p, t in self.known.items() if table.get(p, (0,) * 4)[3] == t}
        seeds |= {p for p, (_pp, pgid, _s, _t) in table.items() if pgid == self.root}
        # orphans re-parented to us (we are their subreaper) that carry this command's token
        seeds |= {p for p in kids.get(me, ()) if p != self.root and _has_token(p, self.needle)}
        stack = list(seeds)
        while stack:
            pid = stack.pop()
            if pid in table and pid != me and pid not in self.known:
                self.known[pid] = table[pid][3]
                stack.extend(kids.get(pid, ()))
            elif pid in table and pid != me:
                stack.extend(k for k in kids.get(pid, ()) if k not in self.known)

    def alive(self) -> list[int]:
        """Known processes that still run (same start time: never a recycled pid)."""
        out = []
        for pid, start in self.known.items():
            st = _stat(pid)
            if st is not None and st[3] == start and st[2] != "Z":
                out.append(pid)
        return out

    def signal(self, sig: int, skip_root: bool = False) -> None:
        for pid in self.alive():
            if skip_root and pid == self.root:
                continue
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def reap(self) -> None:
        """Collect the exit status of known processes re-parented to us (no zombies left).
        The command's shell itself is reaped by its Popen, never here."""
        me = os.getpid()
        for pid, start in list(self.known.items()):
            if pid == self.root:
                continue
            st = _stat(pid)
            if st is None or st[3] != start or st[0] != me:
                continue
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass

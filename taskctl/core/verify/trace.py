"""Precise evidence: which files inside the repository an acceptance command actually read.

Two tracers, both optional, both additive:
- **Python processes**: `tracehook/sitecustomize.py`, put first on the command's PYTHONPATH,
  installs an audit hook (`open` and `import` events) in every Python process of the command
  and appends each repo file it reads to a file named by TASKCTL_TRACE_FILE.
- **Any process**: `strace -f` of the open/openat/execve calls, when strace is installed and
  ptrace is allowed here; otherwise this tracer is skipped (recorded as such), never an error.

The traced files are added to the item's fingerprint beside its declared `inputs` (which stay
authoritative: traced files are added, never subtracted), so editing one trainer module makes
stale only the items that read it. TASKCTL_TRACE=off|python|auto (default python; auto adds
strace where available) chooses. strace is opt-in: `strace -f` stays alive while any traced
descendant lives, so a command that leaves a background child behind would then end only at
its timeout (the runner ends a run when its shell exits; under strace the shell is strace's).
Files under .git, .tasks, .venv, __pycache__ and git-ignored files
(run outputs, caches) are not inputs and are dropped.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HOOK_DIR = Path(__file__).with_name("tracehook")
MODES = ("off", "python", "auto")
SKIP_DIRS = frozenset({".git", ".tasks", "__pycache__", ".venv"})
STRACE_CALLS = "open,openat,openat2,creat,execve"
_LINE = re.compile(r'^\d+\s+(open|openat|openat2|execve)\((?:AT_FDCWD, |\d+<[^>]*>, )?"((?:[^"\\]|'
                   r'\\.)*)"(.*)$')
_FAILED = re.compile(r"= -1 E[A-Z]+")


@dataclass
class Trace:
    """The files of one run: where the tracers write, then what they found."""

    mode: str
    python_out: Path | None = None
    strace_out: Path | None = None
    files: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """What the evidence record keeps about the tracing (the files go in the
        fingerprint)."""
        return {"python": self.python_out is not None, "strace": self.strace_out is not None,
                "files": len(self.files)}


def mode(environ: dict[str, str] | None = None) -> str:
    value = (environ if environ is not None else os.environ).get("TASKCTL_TRACE", "python")
    return value if value in MODES else "python"


@functools.cache
def strace_usable() -> bool:
    """strace is installed and may trace here (containers often forbid ptrace)."""
    exe = shutil.which("strace")
    if not exe:
        return False
    try:
        return subprocess.run([exe, "-f", "-qq", "--seccomp-bpf", "-e", "trace=openat",
                               "-o", os.devnull, "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def prepare(env: dict[str, str], repo_root: Path, scratch: Path) -> Trace:
    """Set up the tracers for one run: edits `env` in place; returns where they will write."""
    trace = Trace(mode(env))
    if trace.mode == "off":
        return trace
    trace.python_out = scratch / "python-reads.txt"
    env["TASKCTL_TRACE_FILE"] = str(trace.python_out)
    env["TASKCTL_TRACE_ROOT"] = str(repo_root)
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(HOOK_DIR) + (os.pathsep + old if old else "")
    if trace.mode == "auto" and strace_usable():
        trace.strace_out = scratch / "strace.txt"
    return trace


def wrap(command: str, trace: Trace) -> str:
    """The command to hand to the shell: unchanged, or run under strace (same exit status)."""
    if trace.strace_out is None:
        return command
    from taskctl.core.verify.runner import SHELL  # the shell the command would have had

    return (f"exec strace -f -qq --seccomp-bpf -e trace={STRACE_CALLS} "
            f"-o {shlex.quote(str(trace.strace_out))} -- {SHELL[0]} -c {shlex.quote(command)}")


def strace_reads(text: str) -> list[str]:
    """Paths opened for reading (or executed) in strace output; failed calls dropped, and so
    are the opens of `git` processes: `git status` (a provenance record's dirty flag) re-reads
    whichever tracked files its index calls racy, which would make the item depend on the
    whole tree by accident of timing. A command whose verdict depends on file contents only
    through git (`git diff --exit-code`) should declare them in `inputs`."""
    out, git_pids = [], set()
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m or _FAILED.search(m.group(3)):
            continue
        call, path, rest = m.groups()
        pid = line.split(None, 1)[0]
        if call == "execve":
            name = path.rsplit("/", 1)[-1]
            (git_pids.add if name == "git" or name.startswith("git-") else git_pids.discard)(pid)
        if pid in git_pids or (call != "execve" and "O_WRONLY" in rest):
            continue
        out.append(path.encode().decode("unicode_escape", "replace"))
    return out


def collect(trace: Trace, repo_root: Path, cwd: Path) -> list[str]:
    """Sorted repo-relative files the run read: existing, tracked-or-unignored, not internal."""
    raw: list[str] = []
    for out, parse in ((trace.python_out, str.splitlines), (trace.strace_out, strace_reads)):
        if out is not None:
            try:
                raw += parse(out.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                pass
    root = repo_root.resolve()
    found: set[str] = set()
    hook = (HOOK_DIR / "sitecustomize.py").resolve()
    for p in raw:
        full = Path(os.path.normpath(cwd / p))  # absolute paths ignore cwd
        try:
            full = full.resolve()
            rel = full.relative_to(root)
        except (OSError, ValueError):
            continue
        if rel.parts and not set(rel.parts[:-1]) & SKIP_DIRS and full.is_file() \
                and full != hook:  # the tracer itself, when verifying taskctl's own repo
            found.add(rel.as_posix())
    trace.files = sorted(found - _ignored(root, found))
    return trace.files


def _ignored(root: Path, paths: set[str]) -> set[str]:
    """The git-ignored ones among `paths` (nothing outside a git repository)."""
    if not paths:
        return set()
    try:
        res = subprocess.run(["git", "-C", str(root), "check-ignore", "--stdin", "-z"],
                             input="\0".join(sorted(paths)) + "\0", capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return set()
    if res.returncode not in (0, 1):
        return set()
    return {p for p in res.stdout.split("\0") if p}


def recorded(record: dict | None) -> list[str]:
    """The traced files of a stored evidence record (fingerprint parts), [] when none."""
    inputs = (((record or {}).get("fingerprint") or {}).get("parts") or {}).get("inputs") or {}
    traced = inputs.get("traced")
    if not isinstance(traced, dict):
        return []
    # a record is committed data, maybe forged: only plain relative paths are ever hashed (a
    # dropped one changes the recomputed key, so such a record is stale, never trusted)
    return sorted(p for p in traced if isinstance(p, str) and p and not p.startswith("/")
                  and ".." not in Path(p).parts and "\0" not in p)

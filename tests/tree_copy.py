"""Copy an example tree into a tmp dir: tracked content only, writable.

Examples live in ../shared (read-only, not a git checkout) or in this repo. A git checkout is
copied by `git ls-files`; anything else without the state and caches that tools leave behind
(taskctl's .tasks/.cache, .locks and logs, Python and pytest caches), so a test never starts
from a stale cache somebody's run left in the example.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

UNTRACKED = (".cache", ".locks", "logs", "__pycache__", ".pytest_cache", ".hypothesis",
             ".ruff_cache", "runs")


def copy_tracked(src: Path, dst: Path) -> Path:
    """Copy `src` to `dst` (which must not exist); return `dst`."""
    listed = subprocess.run(["git", "-C", str(src), "ls-files", "-z", "--", "."],
                            capture_output=True, text=True)
    inside_git = listed.returncode == 0 and subprocess.run(
        ["git", "-C", str(src), "rev-parse", "--show-prefix"], capture_output=True).returncode == 0
    if inside_git and listed.stdout:
        dst.mkdir(parents=True)
        for rel in filter(None, listed.stdout.split("\0")):
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dst / rel)
    else:
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*UNTRACKED))
    for p in [dst, *dst.rglob("*")]:  # shared/ is read-only; the copies must be writable
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst

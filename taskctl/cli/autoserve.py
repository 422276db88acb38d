"""The store's resident process (`taskctl serve`) started on demand, as task runners start
their daemons (Nx, Gradle, Bazel): a read of a large store on a person's or an agent's machine
starts one in the background, so that the reads after the next edit are answered from memory.

When (`after_read`, called by the console script's read answer, `cli/quick.py`):

- `TASKCTL_SERVE` is unset or `auto`, and `CI` is not set (a CI job asks a few questions of a
  fresh clone and ends: a server would only cost it memory); `TASKCTL_SERVE=0` never starts
  one, `TASKCTL_SERVE=1` starts one for a store of any size;
- the store is large: `MIN_FILES` files or more in the walk the read made anyway (its cache
  key's, `cache.files_seen`);
- no server already says it serves the store (its marker), the platform has what the server
  needs (Linux: inotify, abstract sockets), and no other process tried to start one in the
  last `BACKOFF` seconds (`.cache/serve.tried`, created exclusively: sixteen agents reading
  at once start one server, and a store the server refuses — a symbolic link in it, no
  writable `.cache/` — is not retried on every read).

The server is `taskctl serve run --idle IDLE_MINUTES` in a new session, its output appended
to `.cache/serve.log`, every descriptor of the reader closed (a caller reading the command's
output through a pipe gets its end of file when the command exits, not when the server
does). It stops on its own after `IDLE_MINUTES` without a question, when the store goes away,
or when a client with other taskctl code asks (docs/planning.md "A resident process").
"""

from __future__ import annotations

import os
import sys
import time

MIN_FILES = 2000  # a store this large loads in ~0.2 s or more after an edit
IDLE_MINUTES = 60  # as `serve start`'s default
BACKOFF = 300.0  # seconds between two tries for one store
TRIED = "serve.tried"
ENV = "TASKCTL_SERVE"


def mode(env=os.environ) -> str:
    """"off", "auto" (large stores, not in CI) or "on" (any store)."""
    value = env.get(ENV, "").strip().lower()
    if value in ("0", "off", "false", "no", "never"):
        return "off"
    if value in ("1", "on", "true", "yes", "always"):
        return "on"
    ci = env.get("CI", "").strip().lower()
    return "off" if ci not in ("", "0", "false", "no") else "auto"


def after_read(root) -> bool:
    """Start the server of `root` when it is wanted (see the module docstring); whether one
    was started. Called inside the read answer's held walk (`treewalk.held()`)."""
    how = mode()
    if how == "off":
        return False
    from taskctl.core.plan.cache import enabled, marked

    if not enabled() or (how == "auto" and not large(root)) or marked(root):
        return False  # no cache (the server keys them), a small store, one serves it
    from taskctl.core.resident import channel

    if not channel.supported() or not _claim(root):
        return False
    return spawn(root, IDLE_MINUTES) is not None


def large(root) -> bool:
    """Did the read's walk of the store (its cache key's) cover `MIN_FILES` files or more?"""
    from taskctl.core.plan.cache import files_seen

    return files_seen(root) >= MIN_FILES


def _claim(root) -> bool:
    """This process's turn to start the server: `.cache/serve.tried` created exclusively
    (an older one than `BACKOFF` replaced). False when another process tried lately, or the
    file cannot be made inside the store."""
    from taskctl.core.files.paths import confined
    from taskctl.core.files.sealed import CACHE_DIR
    from taskctl.errors import UnsafePath

    try:
        path = confined(root, CACHE_DIR, TRIED)
    except UnsafePath:
        return False
    try:
        if time.time() - os.lstat(path).st_mtime < BACKOFF:
            return False
        os.unlink(path)  # a try long ago: this one may go ahead
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600)
    except OSError:  # another reader's, just made; or no writable .cache/
        return False
    os.close(fd)
    return True


def spawn(root, idle: float):
    """`taskctl serve run --idle <idle>` for `root` in the background (a new session, output
    appended to `.cache/serve.log`, no descriptor of this process inherited): its
    `subprocess.Popen`, or None when it could not be started."""
    import subprocess

    out = log(root)
    cmd = [sys.executable, "-m", "taskctl", "--tasks-dir", str(root), "serve", "run",
           "--idle", f"{idle:g}"]
    try:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True, close_fds=True)
    except OSError:
        return None
    finally:
        if out >= 0:
            os.close(out)


def log(root) -> int:
    """A descriptor of `.cache/serve.log` opened for appending, or `subprocess.DEVNULL`:
    never through a link out of the tree (`files/paths.py`), never a link itself."""
    import subprocess

    from taskctl.core.files.paths import confined
    from taskctl.core.files.sealed import CACHE_DIR
    from taskctl.errors import UnsafePath

    try:
        path = confined(root, CACHE_DIR, "serve.log")
        path.parent.mkdir(exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
                       | os.O_CLOEXEC, 0o600)
    except (UnsafePath, OSError):
        return subprocess.DEVNULL

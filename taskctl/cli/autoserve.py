"""The store's resident process (`taskctl serve`) started on demand, as task runners start
their daemons (Nx, Gradle, Bazel): a read of a large store on a person's or an agent's machine
starts one in the background, so that the reads after the next edit are answered from memory.

When (`after_read`, called by the console script's read answer, `cli/quick.py`, once it found
no server of this user answering for the store):

- `TASKCTL_SERVE` is unset or `auto`, and `CI` is not set (a CI job asks a few questions of a
  fresh clone and ends: a server would only cost it memory); `TASKCTL_SERVE=0` never starts
  one, `TASKCTL_SERVE=1` starts one for a store of any size;
- the store is large: `MIN_FILES` files or more in the walk the read made anyway (its cache
  key's, `cache.files_seen`), and, unless asked for with `TASKCTL_SERVE=1`, on a local
  filesystem (`local`: the server learns of changes from inotify, which does not see those
  made from another machine on NFS, SMB, 9p or FUSE mounts);
- the platform has what the server needs (Linux: inotify, abstract sockets), and no other
  process tried to start one in the last `BACKOFF` seconds (`.cache/serve.tried`, taken under
  an exclusive lock: sixteen agents reading at once start one server, and a store the server
  refuses — a symbolic link in it, no writable `.cache/` — is not retried on every read).
  `serve stop` counts as a try: the next read waits the same time before it starts one.

The server is `python -P -m taskctl serve run --idle IDLE_MINUTES` in a new session in `/`
(`-P`: nothing of the reader's working directory is importable, so a `taskctl/` folder in a
cloned repository is never run), its output appended to `.cache/serve.log`, every descriptor
of the reader closed (a caller reading the command's output through a pipe gets its end of
file when the command exits, not when the server does). It stops on its own after
`IDLE_MINUTES` without a question, when the store goes away, or when a client with other
taskctl code asks (docs/planning.md "A resident process").
"""

from __future__ import annotations

import os
import sys
import time

from taskctl.core.plan.cache import LARGE as MIN_FILES  # ~0.2 s or more to load after an edit

IDLE_MINUTES = 60  # as `serve start`'s default
BACKOFF = 300.0  # seconds between two tries for one store
TRIED = "serve.tried"
ENV = "TASKCTL_SERVE"
# filesystems whose changes may come from another machine, unseen by inotify
REMOTE = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs",
                    "lustre", "gpfs", "beegfs", "ocfs2", "gfs2", "davfs", "ncpfs", "coda",
                    "vboxsf", "prl_fs", "drvfs", "virtiofs"})


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
    was started. Called after the answer was given (inside the read answer's held walk,
    `treewalk.held()`, or right after a call that took the store's fingerprint: the MCP
    server): best effort, it never raises."""
    try:
        return _after_read(root)
    except Exception:  # noqa: BLE001 - the answer is out; a server is only an optimisation
        return False


def _after_read(root) -> bool:
    how = mode()
    if how == "off":
        return False
    from taskctl.core.plan.cache import enabled

    if not enabled() or (how == "auto" and not (large(root) and local(root))):
        return False  # no cache (the server keys them), a small or a shared store
    from taskctl.core.resident import channel

    if not channel.supported() or not claim(root):
        return False
    return spawn(root, IDLE_MINUTES) is not None


def large(root) -> bool:
    """Did the read's walk of the store (its cache key's) cover `MIN_FILES` files or more?"""
    from taskctl.core.plan.cache import files_seen

    return files_seen(root) >= MIN_FILES


def local(root, mounts: str = "/proc/self/mounts") -> bool:
    """Is `root` on a filesystem whose every change inotify sees (not a network or FUSE
    mount)? False when the mount table cannot be read."""
    real = os.path.realpath(root)
    best, kind = "", None
    try:
        with open(mounts, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                point = parts[1].replace("\\040", " ")
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, parts[2]
    except OSError:
        return False
    return kind is not None and kind not in REMOTE and not kind.startswith("fuse")


def claim(root, hold: bool = False) -> bool:
    """This process's turn to start the server: under an exclusive lock on
    `.cache/serve.tried`, no try recorded in the last `BACKOFF` seconds; the try is recorded
    (its time). False when another process holds the lock or tried lately, or the file cannot
    be had inside the store. `hold`: record a try whatever the last one (`serve stop`)."""
    import fcntl

    from taskctl.core.files.paths import confined
    from taskctl.core.files.sealed import CACHE_DIR
    from taskctl.errors import UnsafePath

    try:
        path = confined(root, CACHE_DIR, TRIED)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except (UnsafePath, OSError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        st = os.fstat(fd)  # size 0: made just now, no try before
        if not hold and st.st_size and time.time() - st.st_mtime < BACKOFF:
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())  # and the time of the try: its mtime
        return True
    except OSError:  # locked by another reader: its try
        return False
    finally:
        os.close(fd)  # the lock goes with it


def spawn(root, idle: float):
    """`taskctl serve run --idle <idle>` for `root` in the background (a new session in `/`,
    `-P`, output appended to `.cache/serve.log`, no descriptor of this process inherited):
    its `subprocess.Popen`, or None when it could not be started."""
    import subprocess

    out = log(root)
    cmd = [sys.executable, "-P", "-m", "taskctl", "--tasks-dir", os.path.abspath(root),
           "serve", "run", "--idle", f"{idle:g}"]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                cwd="/", start_new_session=True, close_fds=True)
    except OSError:
        return None
    finally:
        if out >= 0:
            os.close(out)
    _started.append(proc)
    return proc


_started: list = []  # the servers this process started (`reap`)


def reap() -> None:
    """Collect the exit of the servers this process started that have ended (a long-lived
    caller, the MCP server: else each stays a zombie until its next subprocess)."""
    _started[:] = [p for p in _started if p.poll() is None]


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

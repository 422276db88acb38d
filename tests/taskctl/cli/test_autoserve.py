"""The resident process started on demand (`cli/autoserve.py`), with real processes: a read of
a large store starts one server in the background (not in CI, not when told not to, not for a
small store unless told to), sixteen readers at once start one, a store the server refuses is
not tried again on every read, and the reader neither waits for the server nor lends it its
descriptors."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from taskctl.cli import autoserve
from taskctl.core.resident import channel

linux = pytest.mark.skipif(not channel.supported(), reason="serve needs Linux")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKCTL_") and k != "CI"}
    return {**env, "NO_COLOR": "1", "COLUMNS": "100", "TASKCTL_LOAD_JOBS": "1", **extra}


def tc(root, *args, pass_fds=(), **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taskctl", *args, "--tasks-dir", str(root)],
                          capture_output=True, text=True, env=_env(**env), timeout=120,
                          pass_fds=pass_fds)


def serving(root) -> dict | None:
    return channel.request(str(root), {"op": "status"}, timeout=5.0)


def wait_serving(root, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = serving(root)
        if st is not None:
            return st
        time.sleep(0.05)
    raise AssertionError(f"no server for {root}: {_log(root)!r}")


def _log(root) -> str:
    try:
        return (root / ".cache" / "serve.log").read_text()
    except FileNotFoundError:
        return ""


def _tried(root) -> bool:
    return (root / ".cache" / autoserve.TRIED).exists()


def _errors(root) -> int:
    return _log(root).count("taskctl: error:")


def _servers(root) -> list[int]:
    """The pids of every `serve run` of `root` (one still in its first load too, which
    `serve stop` cannot reach yet)."""
    out = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"serve" in argv and b"run" in argv and str(root).encode() in argv:
            out.append(int(d))
    return out


@pytest.fixture
def store(copy_example):
    """agent-mvp's store, with `files` more files in a notes/ folder (large: MIN_FILES)."""
    made = []

    def make(files: int = 0):
        root = copy_example("agent-mvp")
        notes = root / "notes"
        notes.mkdir()
        for i in range(files):
            (notes / f"n{i:05d}.txt").write_text("x")
        made.append(root)
        return root

    yield make
    for root in made:
        stop_servers(root)


def stop_servers(root) -> None:
    """Stop every server of `root` (`serve stop`, then any still in its first load)."""
    tc(root, "serve", "stop")
    for pid in _servers(root):  # one that never finished its first load
        os.kill(pid, signal.SIGTERM)
    assert serving(root) is None


@pytest.mark.parametrize(("env", "want"), [
    ({}, "auto"), ({"TASKCTL_SERVE": "auto"}, "auto"), ({"TASKCTL_SERVE": "0"}, "off"),
    ({"TASKCTL_SERVE": "off"}, "off"), ({"TASKCTL_SERVE": "1"}, "on"),
    ({"CI": "true"}, "off"), ({"CI": "1"}, "off"), ({"CI": "false"}, "auto"), ({"CI": ""}, "auto"),
    ({"CI": "true", "TASKCTL_SERVE": "1"}, "on"), ({"CI": "true", "TASKCTL_SERVE": "auto"}, "off"),
])
def test_mode(env, want):
    assert autoserve.mode(env) == want


@linux
def test_a_large_store_gets_a_server_that_answers_after_an_edit(store):
    root = store(autoserve.MIN_FILES)
    first = tc(root, "next", "--json")
    assert first.returncode == 0, first.stderr
    st = wait_serving(root)
    assert _tried(root)
    alone = tc(root, "next", "--json", TASKCTL_NO_CACHE="1")
    assert first.stdout == alone.stdout
    f = sorted(p for p in (root / "tasks").iterdir() if p.suffix in (".md", ".yaml"))[2]
    f.write_text(f.read_text().replace("title: ", "title: Edited ", 1))
    again = tc(root, "next", "--json")
    assert again.returncode == 0 and again.stdout == tc(
        root, "next", "--json", TASKCTL_NO_CACHE="1").stdout
    after = serving(root)
    assert after["pid"] == st["pid"] and after["answered"] > st["answered"]  # it answered
    assert _log(root).count("taskctl serve: serving") == 1


@linux
def test_a_small_store_gets_none_unless_asked(store):
    root = store(0)
    assert tc(root, "next", "--json").returncode == 0
    assert not _tried(root) and serving(root) is None
    assert tc(root, "status", TASKCTL_SERVE="1").returncode == 0  # any size when asked
    wait_serving(root)


@linux
@pytest.mark.parametrize("env", [{"CI": "true"}, {"TASKCTL_SERVE": "0"},
                                 {"TASKCTL_NO_CACHE": "1"}])
def test_none_in_ci_when_off_or_without_caches(store, env):
    root = store(autoserve.MIN_FILES)
    for argv in (["next", "--json"], ["list"], ["validate"]):
        r = tc(root, *argv, **env)
        assert r.returncode == 0, r.stderr
    assert not _tried(root) and serving(root) is None


@linux
def test_told_to_in_ci(store):
    root = store(0)
    assert tc(root, "list", "--json", CI="true", TASKCTL_SERVE="1").returncode == 0
    wait_serving(root)


@linux
@pytest.mark.parametrize("before", ["no try", "a try long ago"])
def test_sixteen_readers_at_once_start_one_server(store, before):
    root = store(autoserve.MIN_FILES)
    if before != "no try":  # each reader finds the last try too old: one of them goes on
        (root / ".cache").mkdir(exist_ok=True)
        tried = root / ".cache" / autoserve.TRIED
        tried.write_text("1")
        old = time.time() - autoserve.BACKOFF - 5
        os.utime(tried, (old, old))
    procs = [subprocess.Popen([sys.executable, "-m", "taskctl", "next", "--json", "--tasks-dir",
                               str(root)], env=_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(16)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 16
    wait_serving(root)
    time.sleep(1.0)  # a second server, had one been started, has said so by now
    log = _log(root)
    assert log.count("taskctl serve: serving") == 1 and "error" not in log, log


@linux
def test_a_refused_store_is_tried_again_only_after_the_backoff(store):
    root = store(autoserve.MIN_FILES)
    (root / "notes" / "link.txt").symlink_to(root / "notes" / "n00000.txt")  # refused
    assert tc(root, "next", "--json").returncode == 0
    deadline = time.monotonic() + 60
    while not _errors(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _errors(root) == 1 and "symbolic link" in _log(root), _log(root)
    for _ in range(3):  # within the backoff: no new try
        assert tc(root, "next", "--json").returncode == 0
    time.sleep(1.0)
    assert _errors(root) == 1 and _log(root).count("serve run") <= 1
    tried = root / ".cache" / autoserve.TRIED
    old = time.time() - autoserve.BACKOFF - 5
    os.utime(tried, (old, old))
    assert tc(root, "next", "--json").returncode == 0
    deadline = time.monotonic() + 60
    while _log(root).count("taskctl: error:") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _log(root).count("taskctl: error:") == 2
    assert serving(root) is None


@linux
def test_the_reader_lends_the_server_no_descriptor(store):
    """A caller that waits for the end of a pipe it gave the command (its stdout, or any other
    descriptor) gets it when the command exits, although the server it started runs on."""
    root = store(autoserve.MIN_FILES)
    r, w = os.pipe()
    os.set_inheritable(w, True)
    try:
        got = tc(root, "next", "--json", pass_fds=(w,))  # returns: its stdout pipe closed
        assert got.returncode == 0
        os.close(w)
        w = -1
        wait_serving(root)
        ready, _, _ = select.select([r], [], [], 10.0)
        assert ready and os.read(r, 1) == b""  # end of file: no process holds the write end
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


@linux
def test_the_server_never_runs_code_from_the_readers_folder(store, tmp_path):
    """A cloned repository may hold a `taskctl/` folder: a read made there (the console
    script: its folder, not the working one, is on its path) starts the installed taskctl as
    the server, never that folder's code."""
    root = store(0)
    here = tmp_path / "clone"
    (here / "taskctl").mkdir(parents=True)
    mark = tmp_path / "ran"
    (here / "taskctl" / "__init__.py").write_text(f"open({str(mark)!r}, 'w').write('ran')\n")
    (here / "taskctl" / "__main__.py").write_text("")
    script = Path(sys.executable).with_name("taskctl")
    argv = [str(script)] if script.exists() else [
        sys.executable, "-P", "-c", "from taskctl.cli.quick import main; main()"]
    r = subprocess.run([*argv, "status", "--tasks-dir", str(root)], cwd=str(here),
                       capture_output=True, text=True, env=_env(TASKCTL_SERVE="1"),
                       timeout=120)
    assert r.returncode == 0, r.stderr
    wait_serving(root)
    assert not mark.exists()


@linux
def test_a_stale_marker_does_not_keep_the_server_off(store):
    """A marker left by a server that was killed (its process gone) does not stop a read
    from starting one."""
    root = store(autoserve.MIN_FILES)
    (root / ".cache").mkdir(exist_ok=True)
    (root / ".cache" / channel.MARKER).write_text("999999999")
    assert tc(root, "next", "--json").returncode == 0
    wait_serving(root)


@linux
def test_serve_stop_keeps_reads_from_starting_another_at_once(store):
    root = store(autoserve.MIN_FILES)
    assert tc(root, "next", "--json").returncode == 0
    wait_serving(root)
    old = time.time() - autoserve.BACKOFF - 5  # its start long ago: only the stop holds off
    os.utime(root / ".cache" / autoserve.TRIED, (old, old))
    assert tc(root, "serve", "stop").returncode == 0
    assert tc(root, "next", "--json").returncode == 0
    time.sleep(1.0)
    assert serving(root) is None and _log(root).count("taskctl serve: serving") == 1


def test_only_a_local_filesystem_counts(tmp_path):
    """The server learns of changes from inotify, which does not see those made from another
    machine: network and FUSE mounts never get one on their own."""
    mounts = tmp_path / "mounts"
    mounts.write_text("\n".join([
        "/dev/sda1 / ext4 rw 0 0",
        "server:/export /mnt/nfs nfs4 rw 0 0",
        "sshfs#me@host: /mnt/ssh fuse.sshfs rw 0 0",
        "//host/share /mnt/my\\040share cifs rw 0 0",
        "tmpfs /mnt/nfs/scratch tmpfs rw 0 0",
        "garbage",
    ]) + "\n")
    assert autoserve.local("/home/me/repo/.tasks", str(mounts))
    assert not autoserve.local("/mnt/nfs/repo/.tasks", str(mounts))
    assert not autoserve.local("/mnt/ssh/repo/.tasks", str(mounts))
    assert not autoserve.local("/mnt/my share/.tasks", str(mounts))
    assert autoserve.local("/mnt/nfs/scratch/repo", str(mounts))  # the longest mount wins
    assert not autoserve.local("/tmp/x", str(tmp_path / "missing"))  # unknown: never


@linux
def test_reap_collects_the_servers_this_process_started(monkeypatch):
    """A long-lived caller (the MCP server) collects the exit of a server it started: no
    zombie is left once `reap` ran; one still running is kept."""
    monkeypatch.setattr(autoserve, "_started", [])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    autoserve._started.extend([ended, running])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a zombie: ended, its exit not collected
        with open(f"/proc/{ended.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.05)
    autoserve.reap()
    try:
        assert autoserve._started == [running] and not os.path.exists(f"/proc/{ended.pid}")
    finally:
        running.kill()
        running.wait()

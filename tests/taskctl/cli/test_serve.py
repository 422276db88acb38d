"""`taskctl serve` (`cli/serve.py`, `cli/resident.py`), with real processes: while a server
watches a store, every read command prints what it prints without one — right after edits,
writes, added files — and the server answers only its user and its own code, and goes away
when it should."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from taskctl.core.resident import channel

pytestmark = pytest.mark.skipif(not channel.supported(), reason="serve needs Linux")

READS = (["next", "--json"], ["list", "--json"], ["status", "--json"], ["validate", "--json"],
         ["ready", "--json"], ["critical-path", "--json"], ["list", "--json", "--tag", "ml"],
         ["show", "T022"], ["show", "T034", "--json"], ["show", "T999"])


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKCTL_")}
    return {**env, "NO_COLOR": "1", "COLUMNS": "100", "TASKCTL_LOAD_JOBS": "1",
            "TASKCTL_SERVE": "0", **extra}  # servers started by the tests only


def tc(root, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taskctl", *args, "--tasks-dir", str(root)],
                          capture_output=True, text=True, env=_env(**env), timeout=120)


def status(root) -> dict:
    return json.loads(tc(root, "serve", "status", "--json").stdout)


@pytest.fixture
def served(copy_example):
    roots = []

    def start(name: str = "agent-mvp"):
        root = copy_example(name)
        r = tc(root, "serve", "start")
        assert r.returncode == 0 and r.stdout.startswith("started"), r.stderr
        roots.append(root)
        return root

    yield start
    for root in roots:
        tc(root, "serve", "stop")
        assert channel.request(str(root), {"op": "status"}) is None


def same_as_alone(root, argvs=READS) -> None:
    """Each read prints, with the server, what it prints with no server and no cache."""
    for argv in argvs:
        with_server = tc(root, *argv)
        alone = tc(root, *argv, TASKCTL_NO_CACHE="1")
        assert (with_server.returncode, with_server.stdout, with_server.stderr) == (
            alone.returncode, alone.stdout, alone.stderr), argv


def _task_files(root) -> list:
    return sorted(p for p in (root / "tasks").rglob("*") if p.suffix in (".md", ".yaml"))


def test_reads_through_the_server_equal_reads_alone(served):
    root = served()
    same_as_alone(root)
    before = status(root)["answered"]
    f = _task_files(root)[3]
    f.write_text(f.read_text().replace("title: ", "title: Edited ", 1))  # asked at once
    same_as_alone(root, READS[:2])
    assert status(root)["answered"] > before  # the server gave those answers
    w = tc(root, "set", "T033", "priority=P0")  # a writer: the task file and manifest
    assert w.returncode == 0, w.stderr
    same_as_alone(root, READS[:3])
    (root / "tasks" / "T900-new.md").write_text(
        "---\nid: T900\ntitle: Brand new\nstatus: pending\npriority: P0\n---\n")
    same_as_alone(root, READS[:2])
    assert "T900" in tc(root, "list", "--json").stdout
    (root / "tasks" / "T900-new.md").unlink()
    same_as_alone(root, READS[:2])
    t022 = next((root / "tasks").glob("T022*"))  # a body edit, then `show` at once
    t022.write_text(t022.read_text() + "\n## Notes\n\nwritten while served\n")
    before = status(root)["answered"]
    same_as_alone(root, [["show", "T022"]])
    assert status(root)["answered"] == before + 1  # the server answered it
    assert "written while served" in tc(root, "show", "T022").stdout


def test_edits_in_quick_succession_are_never_answered_stale(served):
    """Each edit is followed at once by a question: the answer always holds the edit."""
    root = served()
    rng = random.Random(3)
    files = _task_files(root)
    for i in range(6):
        f = rng.choice(files)
        text = f.read_text()
        f.write_text(re.sub(r"(?m)^title: (.*)$", rf"title: Round {i} \1", text, count=1))
        same_as_alone(root, [READS[rng.randrange(2)]])


def test_one_server_per_store_and_it_stops(served):
    root = served()
    first = status(root)
    assert first["running"] and first["tasks"] and first["root"] == str(root)
    marker = root / ".cache" / channel.MARKER
    assert channel.marked(str(root))  # where clients look before they load a socket module
    again = tc(root, "serve", "start")
    assert again.returncode == 0 and again.stdout.startswith("already serving")
    assert f"pid {first['pid']}" in again.stdout
    run = tc(root, "serve", "run")
    assert run.returncode == 3 and "served already" in run.stderr  # BUSY, one line
    stop = tc(root, "serve", "stop")
    assert stop.stdout.startswith("stopped") and not status(root)["running"]
    assert tc(root, "serve", "stop").stdout.startswith("not serving")
    assert not marker.exists()
    assert gone(first["pid"])


def gone(pid: int) -> bool:
    """No such process, or only its exit status left (whoever adopted it has not reaped it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_client_running_other_code_stops_it(served):
    root = served()
    assert channel.request(str(root), {"op": "token", "stamp": "another taskctl"}) is None
    deadline = time.monotonic() + 10
    while channel.request(str(root), {"op": "status"}) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    same_as_alone(root, READS[:1])  # reads go on without it


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_user_gets_nothing(served):
    root = served()
    address = channel.address(str(root))
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: user nobody asks for the server's status
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(address)
            s.sendall(b'{"op": "status"}\n')
            os.write(wfd, b"reply:" + s.recv(1000))
        except (ConnectionResetError, BrokenPipeError):  # closed before (or while) it spoke
            os.write(wfd, b"reply:")
        except BaseException as e:  # noqa: BLE001
            os.write(wfd, repr(e).encode())
        os._exit(0)
    os.close(wfd)
    os.waitpid(pid, 0)
    with os.fdopen(rfd, "rb") as f:
        got = f.read()
    assert got == b"reply:", got  # closed without a word
    assert status(root)["running"]


def _run_server(root, *args) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-m", "taskctl", "--tasks-dir", str(root), "serve",
                          "run", *args], stderr=subprocess.PIPE, text=True, env=_env())
    deadline = time.monotonic() + 60
    while channel.request(str(root), {"op": "status"}) is None:
        assert p.poll() is None and time.monotonic() < deadline, p.stderr.read()
        time.sleep(0.05)
    return p


@pytest.mark.parametrize("what", ["idle", "store moved", "symbolic link", "terminated"])
def test_it_goes_away_when_it_should(copy_example, tmp_path, what):
    root = copy_example("agent-mvp")
    p = _run_server(root, "--idle", "0.01" if what == "idle" else "5")
    try:
        if what == "store moved":
            root.rename(tmp_path / "elsewhere")
        elif what == "symbolic link":
            os.symlink(tmp_path / "nowhere.md", root / "tasks" / "T950-link.md")
        elif what == "terminated":
            p.terminate()
        assert p.wait(timeout=30) == 0
        err = p.stderr.read()
        assert {"idle": "idle for", "store moved": "went away",
                "symbolic link": "symbolic link", "terminated": "terminated"}[what] in err
    finally:
        p.kill()
    if what == "symbolic link":
        same_as_alone(root, READS[:2])  # without it, as before


def test_a_store_it_cannot_watch_is_refused_in_one_line(copy_example, tmp_path):
    root = copy_example("agent-mvp")
    os.symlink(tmp_path / "nowhere.md", root / "tasks" / "T950-link.md")
    for argv in (["serve", "start"], ["serve", "run"]):
        r = tc(root, *argv)
        assert r.returncode == 2, r.stderr
        assert "symbolic link" in r.stderr and "Traceback" not in r.stderr
    assert not status(root)["running"]


def test_a_silent_client_does_not_hold_it_up(served):
    root = served()
    s = socket.socket(socket.AF_UNIX)
    s.connect(channel.address(str(root)))  # connects and says nothing
    try:
        t = time.monotonic()
        assert tc(root, "next", "--json").returncode == 0
        assert time.monotonic() - t < 30
    finally:
        s.close()


def test_a_cache_folder_leading_out_of_the_tree_gets_nothing(copy_example, tmp_path):
    """`.cache` linked elsewhere: no log and no marker written there; no server (clients
    could not find it), said in one line."""
    root = copy_example("agent-mvp")
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(root / ".cache", ignore_errors=True)
    os.symlink(outside, root / ".cache")
    r = tc(root, "serve", "start")
    assert r.returncode == 2 and "symlink" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2  # the error and its hint
    assert list(outside.iterdir()) == []
    assert not status(root)["running"]


def test_a_served_answer_is_not_stored_again_by_its_reader(served):
    """The server keeps its answers; the reader only draws them (storing a copy of a
    10,000-task plan cost it ≈ 20 ms). Its drawn output is kept as usual."""
    root = served()
    for argv in (["next", "--json"], ["list", "--json"], ["status"]):
        r = tc(root, *argv)
        assert r.returncode == 0, r.stderr
    assert status(root)["answered"] >= 3
    cache = root / ".cache"
    assert not list(cache.glob("*.answer")), sorted(p.name for p in cache.iterdir())
    assert list(cache.glob("out-*"))  # what was drawn is kept for the next identical call


def test_next_served_in_part_draws_what_it_draws_alone(served):
    """`next` asks its server for the part it draws (`answers.trimmed`): every limit and
    --explain, as a table and as JSON, prints what it prints alone."""
    root = served()
    views = [["next"], ["next", "-n", "1"], ["next", "-n", "0"], ["next", "--explain"],
             ["next", "--json", "-n", "2"], ["next", "--json", "--explain"],
             ["next", "--json", "-n", "0", "--explain"], ["next", "-n", "3", "--explain"]]
    same_as_alone(root, views)
    f = _task_files(root)[5]
    f.write_text(f.read_text().replace("title: ", "title: Again ", 1))
    same_as_alone(root, views)
    assert not list((root / ".cache").glob("next-*.answer"))  # a part is never stored


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_background_server_stops_when_its_store_is_deleted(copy_example, how):
    """Started in the background, its log is open in the store's `.cache/`, which keeps the
    deleted folders alive (no IN_DELETE_SELF until it closes): it looks at the path instead.
    A store deleted and made again at the same path is another folder: it stops too."""
    root = copy_example("agent-mvp")
    assert tc(root, "serve", "start").returncode == 0
    pid = status(root)["pid"]
    copy = root.parent / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".cache"))
    shutil.rmtree(root)
    if how == "replaced":
        copy.rename(root)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break  # exited; its parent (the test's `serve start`) is gone
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"server {pid} still runs after its store was {how}")

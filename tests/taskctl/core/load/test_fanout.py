"""A cold load of a large tree fans out to a forked helper (`core/load/fanout.py`): the
backlog (tasks, problems, their order) and the cache it writes are a serial load's, whatever
the helper does — parses its share, fails, dies or sends garbage."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from taskctl.core.load import fanout, filecache, loader, parsefile, specs

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_tree import generate  # noqa: E402


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    """Whatever this machine has: the helper needs two usable cores (one-core runners too)."""
    monkeypatch.setattr(fanout, "usable_cores", lambda: 2)
    monkeypatch.delenv("TASKCTL_LOAD_JOBS", raising=False)


@pytest.fixture
def sent(monkeypatch):
    """How many files' values each helper sent back (one number per helper)."""
    counts: list[int] = []
    finish = fanout.Helper.finish

    def spy(self, *a):
        out = finish(self, *a)
        counts.append(self.sent)
        return out

    monkeypatch.setattr(fanout.Helper, "finish", spy)
    return counts


def serial(root: Path, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setenv("TASKCTL_LOAD_JOBS", "1")
        return loader.load(root, **kw)


def same(a, b) -> None:
    assert list(a.tasks) == list(b.tasks)
    assert a.tasks == b.tasks
    assert a.problems == b.problems
    assert a.sources.keys() == b.sources.keys()
    for tid, src in a.sources.items():  # where each task's problems would point
        other = b.sources[tid]
        assert (src.file, src.manifest_file) == (other.file, other.manifest_file)
        for key in ((), ("id",), ("title",), ("depends_on",)):
            assert src.where(key) == other.where(key)
    assert a.milestones == b.milestones


@pytest.mark.parametrize("example", ["agent-mvp", "broken"])
def test_a_fanned_out_load_is_a_serial_load(example, copy_example, monkeypatch, sent,
                                             no_racy_window):
    root = copy_example(example)
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    want = serial(root, monkeypatch, use_cache=False)
    slow_manifest(monkeypatch)  # the helper takes every chunk meanwhile: no race at the end
    kinds, normalise = [], specs.from_mapping

    def counted(data, kind, *a, **kw):  # counts this process's work only, not the helper's
        kinds.append(kind)
        return normalise(data, kind, *a, **kw)

    monkeypatch.setattr(specs, "from_mapping", counted)
    serial(root, monkeypatch, use_cache=False)
    alone, kinds[:] = kinds.count("task"), []
    same(loader.load(root, use_cache=False), want)  # no cache at all (TASKCTL_NO_CACHE=1)
    assert len(sent) == 1 and sent[0] > 0
    assert kinds.count("task") == alone - sent[0]  # the helper's share is not parsed again
    same(loader.load(root, use_cache=True), want)  # cold: fans out, fills the cache
    assert len(sent) == 2 and sent[1] == sent[0]
    written = filecache.FileCache(root).entries
    assert written
    hit = serial(root, monkeypatch, use_cache=True)  # every file from the cache it wrote
    same(hit, want)
    assert len(sent) == 2  # nothing left to parse: no helper
    shutil.rmtree(root / ".cache")
    serial(root, monkeypatch, use_cache=True)
    assert filecache.FileCache(root).entries == written  # what a serial load caches


def slow_manifest(monkeypatch, seconds: float = 0.4) -> None:
    """The loader reads the manifest first, slowly (the helper meanwhile takes chunks)."""
    read = loader._Loader.read_manifest

    def slow(self):
        time.sleep(seconds)
        return read(self)

    monkeypatch.setattr(loader._Loader, "read_manifest", slow)


def slow_parse(monkeypatch, where: str, seconds: float = 0.02) -> None:
    """Each file's parse slowed in the helper, the loader or both (`where`)."""
    parse, parent = parsefile.parse_file, os.getpid()

    def slow(*a, **kw):
        fresh = (a[3] if len(a) > 3 else kw.get("cached")) is None  # not rebuilt from a value
        if fresh and (where == "both" or (os.getpid() == parent) == (where == "loader")):
            time.sleep(seconds)
        return parse(*a, **kw)

    monkeypatch.setattr(parsefile, "parse_file", slow)
    monkeypatch.setattr(loader, "parse_file", slow)


def parsed_here(monkeypatch) -> list[str]:
    """The task files this process normalised (the helper's work is not counted)."""
    here, normalise = [], specs.from_mapping

    def counted(data, kind, *a, **kw):
        if kind == "task":
            here.append(data.get("id"))
        return normalise(data, kind, *a, **kw)

    monkeypatch.setattr(specs, "from_mapping", counted)
    return here


@pytest.mark.parametrize("slower", ["both", "helper", "loader"])
def test_the_loader_and_its_helper_meet_where_their_speeds_take_them(
        slower, tmp_path, monkeypatch, sent):
    """Chunks taken from both ends (`fanout.Split`): each side parses a part that follows
    its speed, the two parts cover every file, at most one chunk is parsed twice, and the
    backlog is a serial load's."""
    generate(tmp_path, 200)
    root = tmp_path / ".tasks"
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    want = serial(root, monkeypatch, use_cache=False)
    slow_parse(monkeypatch, slower)
    here = parsed_here(monkeypatch)
    same(loader.load(root, use_cache=False), want)
    size = fanout.Split(200).size
    assert len(sent) == 1 and len(here) + sent[0] >= 200
    assert len(here) + sent[0] <= 200 + size  # a chunk taken by both, at most
    if slower == "both":
        assert 50 <= len(here) <= 150 and 50 <= sent[0] <= 150
    elif slower == "helper":  # the loader takes most of it instead of waiting
        assert len(here) > 150
    else:
        assert sent[0] > 150


class StaleSplit(fanout.Split):
    """A Split whose reads of a count may see any value it held before (a write not yet
    seen by the other core), as random picks from its history."""

    def __init__(self, n: int, rng):
        super().__init__(n)
        self.history, self.rng = ([0], [0]), rng

    def _taken(self, side: int) -> int:
        return self.rng.choice(self.history[side])

    def _chunk(self, side: int, taken: int, c: int) -> range:
        self.history[side].append(taken)
        return super()._chunk(side, taken, c)


def test_counts_read_late_never_leave_a_chunk_untaken():
    """However late a side sees the other's count, every chunk is taken by one side or
    both; a chunk is taken twice only when a count was read late."""
    import random

    rng = random.Random(7)
    for _ in range(400):
        n = rng.randint(1, 300)
        s = StaleSplit(n, rng)
        sides, taken = (s.front(), s.back()), [set(), set()]
        live = [0, 1]
        while live:
            side = rng.choice(live)
            chunk = next(sides[side], None)
            if chunk is None:
                live.remove(side)
            else:
                taken[side].update(chunk)
        assert taken[0] | taken[1] == set(range(n)), n
        s.mem.close()


def test_the_sides_take_every_chunk_once():
    """Split's counts, in every order of the two sides' steps (each reads the other's count,
    then writes its own): every chunk taken, none by both."""
    import itertools

    for n in (1, 5, 64, 130):
        for pattern in itertools.product((0, 1), repeat=min(n, 10) + 2):
            s = fanout.Split(n)
            front, back = s.front(), s.back()
            taken: list[set] = [set(), set()]
            steps = list(pattern) + [0] * s.chunks + [1] * s.chunks
            for side in steps:
                chunk = next((front, back)[side], None)
                if chunk is not None:
                    taken[side].update(chunk)
            assert taken[0] | taken[1] == set(range(n)), (n, pattern)
            assert not taken[0] & taken[1], (n, pattern)  # steps do not overlap here
            s.mem.close()


@pytest.mark.parametrize("jobs", ["1", ""])
def test_the_files_problems_come_before_the_manifests(jobs, copy_example, monkeypatch):
    """The helper's files are collected after the manifest is read; their problems are still
    listed first, as a serial load lists them."""
    root = copy_example("broken")
    data = json.loads((root / "manifest.json").read_text())
    (root / "manifest.json").write_text(json.dumps({**data, "project": 5}, indent=2))
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", jobs)
    rules = [p.rule for p in loader.load(root, use_cache=False).problems]
    assert rules.count("yaml-syntax") == 3 and "manifest-schema" in rules
    assert max(i for i, r in enumerate(rules) if r == "yaml-syntax") < rules.index(
        "manifest-schema")


@pytest.mark.parametrize("fault", ["raises", "killed", "garbage", "cut", "half"])
def test_a_failing_helper_changes_nothing(fault, copy_example, monkeypatch, sent):
    root = copy_example("agent-mvp")
    want = serial(root, monkeypatch, use_cache=False)

    def broken(paths, root_, fd, split):  # runs in the forked helper
        if fault == "raises":
            raise RuntimeError("helper fails")
        if fault == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "garbage":  # bytes that are no length-prefixed marshal data
            split.wrote(os.write(fd, b"\x05\x00\x00\x00\x00\x00\x00\x00not marshal data"))
            return
        if fault == "cut":  # a length promising more than was written
            split.wrote(os.write(fd, b"\xff\x00\x00\x00\x00\x00\x00\x00short"))
            return
        out = fanout.parse_share(paths, root_, split.back())  # "half": answers for some only
        fanout.send(dict(list(out.items())[: len(out) // 2]), fd, split)

    monkeypatch.setattr(fanout, "_serve", broken)
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    slow_manifest(monkeypatch)  # the helper takes every chunk before the loader would
    same(loader.load(root, use_cache=False), want)
    assert len(sent) == 1
    assert sent[0] > 0 if fault == "half" else sent[0] == 0


@pytest.mark.parametrize("pidfd", [True, False])
def test_a_stopped_helper_is_not_waited_for(pidfd, copy_example, monkeypatch, sent):
    """The helper takes a chunk and is stopped (SIGSTOP) before it sends it: the loader waits
    `LAST_CHUNK_S` for it, kills it and parses that chunk itself — with a pidfd to wait on,
    and by polling the child where there is none."""
    no_children_yet()
    root = copy_example("agent-mvp")
    want = serial(root, monkeypatch, use_cache=False)

    def stops(paths, root_, fd, split):  # runs in the forked helper
        next(iter(split.back()))  # a chunk taken, never sent
        os.kill(os.getpid(), signal.SIGSTOP)

    monkeypatch.setattr(fanout, "_serve", stops)
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    monkeypatch.setattr(fanout, "LAST_CHUNK_S", 0.5)
    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open")
    slow_manifest(monkeypatch)  # the helper takes its chunk before the loader would
    here = parsed_here(monkeypatch)
    started = time.monotonic()
    got = loader.load(root, use_cache=False)
    assert 0.5 <= time.monotonic() - started < 20
    same(got, want)
    assert sent == [0] and len(here) == len(want.tasks)  # every file parsed here
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # killed and reaped


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("call", ["fork", "memfd_create"])
def test_no_helper_to_be_had_changes_nothing(call, copy_example, monkeypatch, sent):
    """A process limit (fork: EAGAIN) or no file descriptors left (memfd_create: EMFILE):
    the loader parses everything itself, and leaks nothing."""
    root = copy_example("agent-mvp")
    want = serial(root, monkeypatch, use_cache=False)
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    before = _fds()

    def refused(*_a):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, call, refused)
    got = loader.load(root, use_cache=False)
    monkeypatch.undo()
    same(got, want)
    assert sent == [] and _fds() == before


def no_children_yet(timeout: float = 15) -> None:
    """Reap what earlier tests left to this process: once it became a subreaper (the verify
    runner's tests), orphans of the commands those tests ran (a command's snapshot writer,
    `core/load/snapshot.py`) end up as its children. Then "no child left" means this test's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)  # one still running: it ends within moments
    pytest.fail("a child of an earlier test is still running")


def test_a_load_that_fails_stops_its_helper(copy_example, monkeypatch):
    """The loader fails after the fork (here: reading the manifest): the helper is killed
    and reaped at once, not left at work holding the command's locks."""
    no_children_yet()
    root = copy_example("agent-mvp")
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    monkeypatch.setattr(fanout, "_serve", lambda *a: time.sleep(120))  # still at work
    before = _fds()

    def fails(self):
        raise RuntimeError("manifest unreadable")

    monkeypatch.setattr(loader._Loader, "read_manifest", fails)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="manifest unreadable"):
        loader.load(root, use_cache=False)
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # nothing left to reap: killed and reaped
    assert _fds() == before


def test_fanning_out_needs_many_files_one_thread_and_is_off_with_jobs_1(monkeypatch):
    monkeypatch.delenv("TASKCTL_LOAD_JOBS", raising=False)
    monkeypatch.setattr(fanout, "usable_cores", lambda: 2)
    assert fanout.worth(fanout.MIN_FILES) and not fanout.worth(fanout.MIN_FILES - 1)
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    assert not fanout.worth(10**6)
    monkeypatch.delenv("TASKCTL_LOAD_JOBS")
    monkeypatch.setattr(fanout, "usable_cores", lambda: 1)
    assert not fanout.worth(10**6)
    monkeypatch.setattr(fanout, "usable_cores", lambda: 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not fanout.worth(10**6)  # a fork while another thread runs is not safe
    finally:
        stop.set()
        other.join()
    assert fanout.worth(10**6)


CLI = """
import sys
from taskctl.core.load import fanout
fanout.usable_cores = lambda: 2  # as on a two-core machine, whatever this one has
started, start = [], fanout.Helper.start
fanout.Helper.start = lambda *a: started.append(1) or start(*a)
sys.argv = ["taskctl", *sys.argv[1:]]
import atexit
atexit.register(lambda: print(f"HELPERS={len(started)}", file=sys.stderr))  # main() ends here
from taskctl.cli.quick import main
main()
"""


def test_the_cli_on_a_large_cold_tree_prints_what_a_serial_run_prints(tmp_path):
    root = generate(tmp_path / "big", fanout.MIN_FILES + 500)
    (root / "tasks" / "T0007-task-7.yaml").write_text("id: [unclosed\n")  # parsed by the loader
    outs = {}
    for jobs in ("1", ""):
        env = {**os.environ, "TASKCTL_NO_CACHE": "1", "TASKCTL_LOAD_JOBS": jobs,
               "COLUMNS": "100"}
        for args in (["validate"], ["next", "--json"], ["list"]):
            proc = subprocess.run([sys.executable, "-c", CLI, *args], cwd=root.parent,
                                  env=env, capture_output=True, text=True, timeout=120)
            err, _, helpers = proc.stderr.rpartition("HELPERS=")
            # (a failing validate loads twice: the fast entry, then the full CLI to report it)
            assert (int(helpers) > 0) == (jobs != "1"), (args, proc.stderr[-2000:])
            outs.setdefault(tuple(args), []).append((proc.returncode, proc.stdout, err))
    for args, (one, fanned) in outs.items():
        assert one == fanned, args
    assert "T0007" in outs[("validate",)][0][1] + outs[("validate",)][0][2]


def test_the_helper_leaves_no_child_behind(copy_example, monkeypatch):
    no_children_yet()
    root = copy_example("agent-mvp")
    monkeypatch.setattr(fanout, "MIN_FILES", 2)
    loader.load(root, use_cache=False)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child of this process left to reap


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reaped here if this process is its subreaper
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_helper_dies_with_an_interrupted_command(copy_example):
    """The command is killed while its helper still parses: the helper goes too."""
    root = copy_example("agent-mvp")
    code = textwrap.dedent("""
        import os, signal, sys, time
        from taskctl.core.load import fanout, loader
        fanout.MIN_FILES = 2
        fanout.usable_cores = lambda: 2
        fanout._serve = lambda paths, root, fd, split: time.sleep(120)  # still at work

        def finish(self):
            print(self.pid, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        fanout.Helper.finish = finish
        loader.load(sys.argv[1], use_cache=False)
    """)
    proc = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TASKCTL_LOAD_JOBS": ""})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    helper = int(proc.stdout)
    deadline = time.monotonic() + 10
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper)


def test_a_cgroup_cpu_quota_caps_the_usable_cores():
    assert fanout.quota_cores("max 100000\n") is None
    assert fanout.quota_cores("100000 100000\n") == 1  # a container limited to one CPU
    assert fanout.quota_cores("50000 100000") == 1
    assert fanout.quota_cores("150000 100000") == 2
    assert fanout.quota_cores("") is None and fanout.quota_cores("x y") is None


def test_cancel_after_finish_touches_nothing(copy_example, monkeypatch):
    """An interrupt after `finish` (while the last values are rebuilt) leads the loader to
    `cancel`: the helper's pid is reaped and its descriptor number may be another file's
    by then — neither is killed nor closed again."""
    root = copy_example("agent-mvp")
    paths = sorted((root / "tasks").iterdir())
    helper = fanout.Helper.start(paths, root)
    helper.finish()
    fd = os.open(os.devnull, os.O_RDONLY)  # most likely the memory file's old number
    killed: list = []
    monkeypatch.setattr(os, "kill", lambda *a: killed.append(a))
    try:
        helper.cancel()
        os.fstat(fd)  # still open
    finally:
        os.close(fd)
    assert killed == [] and helper.received() == {}

"""Attack: parser bombs and absurd numbers in task files and JSON state files.

Before: 100,000 nested `[` segfaulted every command (libyaml's composer recursing on the C
stack); 25 chained anchors (under the alias limit) made `show` grow without bound; NaN,
Infinity, `.inf`, a 5,000-digit number, deeply nested evidence or marker JSON ended in exit 70;
killing a 1,500-file load orphaned the loader's worker processes.
After (taskctl/core/load/limits.py, core/files/jsonread.py): located errors with the standard
exit codes, bounded memory, and a loader that forks no workers at all.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import time

import pytest

from tests.taskctl.adversarial.support import TASKCTL, Box, run

ITEM = [{"criterion": "c", "run": "echo ok"}]
ALL_COMMANDS = [["validate"], ["list"], ["show", "T001"], ["next"], ["status"],
                ["gate", "--check"], ["verify", "T001"], ["sync"], ["critical-path"]]
COMMANDS = [["show", "T001"], ["gate", "--check"], ["verify", "T001"]]
MEMORY_CAP = 2 << 30


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _task_file(box: Box) -> os.PathLike:
    return box.root / "tasks" / "T001-task.yaml"


def _inject(box: Box, line: str) -> None:
    f = _task_file(box)
    f.write_text(f.read_text().replace("priority: P1\n", f"priority: P1\n{line}\n", 1))


def _every_command(box: Box, timeout: float = 60,
                   commands: list[list[str]] = COMMANDS) -> list[subprocess.CompletedProcess]:
    out = []
    for args in commands:
        p = run(box, *args, timeout=timeout, preexec_fn=_cap_memory)  # no signal, no 70
        assert p.returncode in (0, 1, 2), (args, p.returncode, p.stderr)
        out.append(p)
    return out


def _problems(box: Box) -> list[dict]:
    return json.loads(run(box, "validate", "--json").stdout)["problems"]


def test_100k_nested_brackets_do_not_segfault(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    _inject(box, "bomb: " + "[" * 100_000 + "]" * 100_000)
    _every_command(box, commands=ALL_COMMANDS)
    p = [x for x in _problems(box) if x["rule"] == "yaml-syntax"]
    assert p and "nested more than" in p[0]["message"] and p[0]["line"] == 6


def test_deep_block_nesting_does_not_segfault(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    _inject(box, "deep:\n" + "".join(" " * i + "- \n" for i in range(1, 20_000, 1))[:-1]
            .replace("- \n", "-\n"))
    _every_command(box)


def test_chained_anchors_under_the_alias_limit_stay_bounded(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    chain = "a0: &a0 [lol, lol]\n" + "".join(
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 25))
    f = _task_file(box)
    f.write_text(f.read_text().replace("priority: P1\n", "priority: P1\nbomb:\n" + "".join(
        "  " + ln + "\n" for ln in chain.splitlines()), 1))
    t0 = time.monotonic()
    _every_command(box, timeout=30, commands=ALL_COMMANDS)  # under a 2 GiB address-space cap
    assert time.monotonic() - t0 < 120
    p = [x for x in _problems(box) if "expands to more than" in x["message"]]
    assert p and p[0]["file"].endswith("T001-task.yaml")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN", "9" * 5000, "9" * 40])
def test_absurd_numbers_in_a_task_file_are_located_errors(tmp_path, value):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    _inject(box, f"estimated_hours: {value}")
    _every_command(box)
    p = [x for x in _problems(box) if x["rule"] == "yaml-syntax"]
    assert p and p[0]["line"] == 6, p


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000])
def test_absurd_numbers_in_the_manifest_are_located_errors(tmp_path, value):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    text = (box.root / "manifest.json").read_text()
    text = text.replace('"priority": "P1",', f'"priority": "P1", "estimated_hours": {value},', 1)
    (box.root / "manifest.json").write_text(text)
    _every_command(box)
    p = [x for x in _problems(box) if x["rule"] == "json-syntax"]
    assert p and p[0]["line"] and p[0]["file"].endswith("manifest.json"), p


@pytest.mark.parametrize("doc", ["[" * 100_000 + "]" * 100_000,
                                 '{"a":' * 50_000 + "1" + "}" * 50_000,
                                 '{"status": "PASS", "item": 1, "task": "T001", "x": NaN}',
                                 '{"task": "T001", "item": ' + "1" * 5000 + "}",
                                 # found by the fuzzer: a list where a string belongs
                                 '{"task": "T001", "item": 1, "status": "PASS", "run_id": []}'])
def test_hostile_evidence_and_marker_json_count_as_no_evidence(tmp_path, doc):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    run(box, "verify", "T001")
    ev = box.root / "evidence" / "T001" / "item-01.json"
    ev.write_text(doc)
    (box.root / ".locks" / "task.T001.inprogress.json").write_text(doc)
    (box.root / "updates" / "evil.json").write_text(doc)
    for args in (["gate", "--check"], ["show", "T001"], ["verify", "T001"]):
        p = run(box, *args, preexec_fn=_cap_memory)
        assert p.returncode in (0, 1, 2), (args, p.stderr)
    envelope = json.loads(ev.read_text())  # verify re-ran it (no evidence) and signed the pass
    record = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
    assert record["status"] == "PASS"
    box.assert_nothing_written_outside()


@pytest.mark.parametrize("pid", [10**20, -1, 0, "1", 1.5])
def test_forged_marker_pid_is_no_marker(tmp_path, pid):
    import socket

    box = Box(tmp_path, {"T001": {"items": ITEM}})
    (box.root / ".locks").mkdir(exist_ok=True)  # `keys trust` may have made it (its lock)
    (box.root / ".locks" / "task.T001.inprogress.json").write_text(json.dumps(
        {"pid": pid, "host": socket.gethostname(), "run_id": "r"}))
    for args in (["verify", "T001"], ["gate", "--check"], ["show", "T001"]):
        p = run(box, *args)
        assert p.returncode in (0, 1), (args, p.stderr)


def test_a_large_load_forks_no_workers(tmp_path):
    """The loader used to fork a parse pool on 1,500+ files (workers a killed load could
    orphan); it now parses in one process (faster on 2 shared cores): no child is ever seen."""
    box = Box(tmp_path, {}, git=False)
    tasks = box.root / "tasks"
    body = "---\nid: {0}\ntitle: Task {0}\nstatus: pending\npriority: P2\n---\n\n" + (
        "## Description\n\n" + "Some text. " * 200 + "\n")
    entries = []
    for i in range(1600):
        tid = f"T{i:04d}"
        (tasks / f"{tid}-x.md").write_text(body.format(tid))
        entries.append({"id": tid, "file": f"tasks/{tid}-x.md"})
    box.write_manifest({"tasks": entries})
    env = {**os.environ, "TASKCTL_NO_CACHE": "1"}
    proc = subprocess.Popen([*TASKCTL, "--tasks-dir", str(box.root), "validate"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        seen.update(_children(proc.pid))
        time.sleep(0.01)
    proc.kill()
    assert proc.wait() in (0, 1)
    assert seen == set(), f"the load started child processes: {sorted(seen)}"


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat", "rb").read()
            except OSError:
                continue
            if int(stat[stat.rfind(b")") + 2:].split()[1]) == pid:
                out.append(int(name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat", "rb").read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:].split()[0] != b"Z"


def test_a_committed_cache_file_is_not_trusted(tmp_path):
    """A hostile repository ships `.tasks/.cache/task-files-NN.marshal`: a poisoned entry would
    replace a task file's parse (and skip every parser limit); bad marshal data may crash."""
    import marshal

    from taskctl.core.load import filecache

    box = Box(tmp_path, {"T001": {"items": ITEM}})
    path = str(_task_file(box))
    key = filecache.file_key(path)
    poisoned = {path: (key, ({"id": "T001", "title": "POISONED", "status": "completed"}, []))}
    cache = box.root / ".cache"
    cache.mkdir()
    shard = cache / filecache.shard_name(filecache.shard_of(path))
    shard.write_bytes(marshal.dumps((filecache.FileCache._header(), poisoned)))
    p = run(box, "show", "T001", "--json")
    assert p.returncode == 0 and "POISONED" not in p.stdout, p.stdout
    shard.write_bytes(b"\xff" * 64 + b"garbage")
    assert run(box, "list").returncode == 0


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_committed_cache_links_to_endless_or_blocking_files_are_ignored(tmp_path, target):
    """A hostile repository commits `.tasks/.cache/*` as links to `/dev/zero` (an endless
    read: all memory) or to a FIFO (a read that never returns). Every cache file is read
    only when it is a regular file: the answers are computed as if there were no cache."""
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    assert run(box, "list", "--json").returncode == 0  # the real cache files, to replace
    assert run(box, "next").returncode == 0
    cache = box.root / ".cache"
    if target == "fifo":
        target = str(tmp_path / "fifo")
        os.mkfifo(target)
    names = [p.name for p in cache.iterdir() if p.name != ".gitignore"]
    assert any(n.endswith(".marshal") for n in names) and any(n.endswith(".answer") for n in names)
    for name in names:
        (cache / name).unlink()
        (cache / name).symlink_to(target)
    (box.root / "manifest.json").touch()
    for cmd in (["list", "--json"], ["next", "--json"], ["next"], ["validate"]):
        p = run(box, *cmd, timeout=30)
        assert p.returncode == 0 and ("T001" in p.stdout or "OK: 1 task" in p.stdout), cmd

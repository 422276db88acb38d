"""`taskctl verify` and `taskctl check` end to end: real subprocesses in tmp git repos."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from taskctl.core.files import locks
from tests.taskctl.core.verify.verify_support import (
    TASKCTL,
    front_matter,
    make_tree,
    manifest_status,
    taskctl,
)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie waiting for a reaper runs nothing


def record(root: Path, tid: str, n: int = 1) -> dict:
    """The record inside the stored signed envelope (checked against the trust policy)."""
    from taskctl.core.verify import evidence, trust

    rec, rejected = evidence.load(root, tid, n, trust.load(root))
    assert rejected is None and rec is not None, rejected
    return rec


def test_pass_completes_with_evidence_and_cache_then_input_edit_reruns(tmp_path):
    (tmp_path / "x").write_text("v1")
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "X exists", "run": "test -f x && echo ok-$MODE", "inputs": ["x"],
         "env": {"MODE": "m"}}], "boxes": ["X exists.", "Unrelated"]}})
    p = taskctl(tmp_path, "verify", "T001", check=0)
    assert "COMPLETED" in p.stdout
    fm = front_matter(root, "T001")
    assert fm["status"] == "completed" and fm["completed_at"]
    assert manifest_status(root) == {"T001": "completed"}
    rec = record(root, "T001")
    assert rec["status"] == "PASS" and rec["exit_code"] == 0 and "ok-m" in rec["output_tail"]
    assert rec["git"]["sha"] and rec["fingerprint"]["parts"]["inputs"]["files"].keys() == {"x"}
    assert "1. [x] X exists." in (root / "tasks" / "T001-task.yaml").read_text()
    assert "2. [ ] Unrelated" in (root / "tasks" / "T001-task.yaml").read_text()
    events = list((root / "updates").glob("*-T001-*.json"))
    ev = json.loads(events[0].read_text())
    assert len(events) == 1 and ev["from"] == "pending" and ev["to"] == "completed"
    assert ev["evidence_id"] == rec["run_id"]
    p = taskctl(tmp_path, "verify", "T001", "--json", check=0)
    item = json.loads(p.stdout)["tasks"][0]["items"][0]
    assert item["status"] == "PASS" and item["cached"] and record(root, "T001") == rec
    (tmp_path / "x").write_text("v2")
    p = taskctl(tmp_path, "verify", "T001", "--json", check=0)
    item = json.loads(p.stdout)["tasks"][0]["items"][0]
    assert not item["cached"] and item["why_run"] == ["input changed: x"]
    assert len(list((root / "updates").glob("*.json"))) == 1  # already completed: no event
    p = taskctl(tmp_path, "verify", "T001", "--force", "--json", check=0)
    assert not json.loads(p.stdout)["tasks"][0]["items"][0]["cached"]


def test_failure_not_completed_shows_tail_and_blocks_dependents(tmp_path):
    root = make_tree(tmp_path, {
        "T001": {"items": [{"criterion": "it works", "run": "echo line1; echo boom >&2; exit 4"},
                           {"criterion": "never reached", "run": "true"}]},
        "T002": {"items": [{"criterion": "t", "run": "true"}], "deps": ["T001"]}})
    p = taskctl(tmp_path, "verify", "T002", "T001", "--keep-going", check=1)
    assert "item 1 FAIL: it works" in p.stdout and "| boom" in p.stdout and "(exit 4)" in p.stdout
    assert "blocked by T001 (failed)" in p.stdout
    assert front_matter(root, "T001")["status"] == "pending"
    assert manifest_status(root) == {"T001": "pending", "T002": "pending"}
    assert record(root, "T001")["status"] == "FAIL" and record(root, "T001", 2)["status"] == "PASS"
    p = taskctl(tmp_path, "verify", "T002", check=1)
    assert "blocked by T001 (pending)" in p.stdout
    p = taskctl(tmp_path, "verify", "T001", "--json", check=1)
    items = json.loads(p.stdout)["tasks"][0]["items"]
    assert [i["status"] for i in items] == ["FAIL", "NOT_RUN"]  # stops without --keep-going


def test_timeout_kills_the_whole_group(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "slow", "run": "sleep 30 & echo $! > child.pid; wait", "timeout": 1}]}})
    t0 = time.monotonic()
    p = taskctl(tmp_path, "verify", "T001", check=1)
    assert time.monotonic() - t0 < 15
    assert "TIMEOUT" in p.stdout
    rec = record(root, "T001")
    assert rec["status"] == "TIMEOUT" and front_matter(root, "T001")["status"] == "pending"
    assert not alive(int((tmp_path / "child.pid").read_text()))


def test_background_leftovers_are_killed_after_a_pass(tmp_path):
    make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "ok", "run": "(trap '' TERM; sleep 30) & echo $! > bg.pid; true"}]}})
    taskctl(tmp_path, "verify", "T001", check=0)
    pid = int((tmp_path / "bg.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("started_ignoring_sigint", [False, True])
def test_ctrl_c_records_interrupted_and_exits_130(tmp_path, started_ignoring_sigint):
    # started_ignoring_sigint: a job runner (or `nohup cmd &`) that starts taskctl with SIGINT
    # ignored; Python then installs no KeyboardInterrupt handler, but a cancel must still work
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "long", "run": "sleep 30 & echo $! > child.pid; wait"}]}})
    env = {**os.environ, "TASKCTL_CAPABILITIES": ""}
    proc = subprocess.Popen([*TASKCTL, "--tasks-dir", str(root), "verify", "T001"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ignore_sigint if started_ignoring_sigint else None)
    deadline = time.monotonic() + 20
    while not (tmp_path / "child.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, (out, err)
    assert record(root, "T001")["status"] == "INTERRUPTED"
    assert front_matter(root, "T001")["status"] == "pending"
    assert not alive(int((tmp_path / "child.pid").read_text()))


def test_secrets_never_reach_any_file(tmp_path):
    secret, declared = "sv-3f9a8b7c6d5e4f", "plainlookingvalue42"
    shaped = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
    make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "echo secrets", "run": "echo $MY_TOKEN; echo $DB_CRED; echo $PLAIN",
         "secret_env": ["DB_CRED"]}]}})
    env = {"MY_TOKEN": secret, "DB_CRED": declared, "PLAIN": shaped}
    p = taskctl(tmp_path, "verify", "T001", env=env, check=0)
    taskctl(tmp_path, "gate", "--check", "--junit", "j.xml", env=env, check=0)
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for s in (secret, declared, shaped):
                assert s.encode() not in data, (f, s)
    assert secret not in p.stdout + p.stderr
    log = next((tmp_path / ".tasks" / "logs").rglob("*.log")).read_text()
    assert log.count("[REDACTED]") == 3


def test_manual_item_blocks_until_signed_off(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "builds", "run": "true"}, {"criterion": "Docs reviewed"}],
        "boxes": ["builds", "Docs reviewed"]}})
    p = taskctl(tmp_path, "verify", "T001", check=1)
    assert "NEEDS_SIGNOFF" in p.stdout and front_matter(root, "T001")["status"] == "pending"
    taskctl(tmp_path, "check", "T001", "--item", "1", "--by", "alice", check=2)
    p = taskctl(tmp_path, "check", "T001", "--item", "2", "--by", "alice", "--note", "ok",
                check=0)
    rec = record(root, "T001", 2)
    assert rec["signed_off_by"] == "alice" and rec["git"]["sha"] and rec["note"] == "ok"
    p = taskctl(tmp_path, "verify", "T001", check=0)
    assert front_matter(root, "T001")["status"] == "completed"
    text = (root / "tasks" / "T001-task.yaml").read_text()
    assert "1. [x] builds" in text and "2. [x] Docs reviewed" in text


def test_spec_errors_cannot_run_busy_and_dry_run(tmp_path):
    root = make_tree(tmp_path, {
        "T001": {"items": [{"criterion": "bad", "run": "true", "timeout": -1}]},
        "T002": {"items": [{"criterion": "needs gpu", "run": "true", "requires": ["gpu"]}]},
        "T003": {"items": [{"criterion": "fine", "run": "touch ran"}]}})
    p = taskctl(tmp_path, "verify", "T001", check=1)
    assert "spec errors" in p.stdout
    p = taskctl(tmp_path, "verify", "T002", check=1)
    assert "cannot run here: requires gpu" in p.stdout
    assert not (root / "evidence" / "T002").exists()
    taskctl(tmp_path, "verify", "T002", env={"TASKCTL_CAPABILITIES": "gpu"}, check=0)
    with locks.task_lock(root, "T003"):
        p = taskctl(tmp_path, "verify", "T003", check=3)
    assert "another taskctl" in p.stderr
    p = taskctl(tmp_path, "verify", "T003", "--dry-run", "--json", check=0)
    assert json.loads(p.stdout)["tasks"][0]["items"][0]["status"] == "WOULD_RUN"
    assert not (tmp_path / "ran").exists() and not (root / "evidence" / "T003").exists()
    taskctl(tmp_path, "verify", "T404", check=2)
    taskctl(tmp_path, "verify", check=2)


def test_the_signing_key_never_reaches_a_log_or_a_record(tmp_path):
    """A command that prints the runner's key — from its parent's environment (removed from
    its own) or from the key file — finds it redacted in the log, the record and the output;
    also from a key passed base64-encoded."""
    import base64

    from taskctl.core.verify import keys

    key_text = keys.key_file().read_text()
    body = [ln for ln in key_text.splitlines() if not ln.startswith("-----")]
    make_tree(tmp_path, {"T001": {"items": [{"criterion": "leaks", "run": (
        'tr "\\0" "\\n" < /proc/$PPID/environ | grep -A3 SIGNING; '
        f'cat "{keys.key_file()}"; sed -n 2p "{keys.key_file()}"')}]}})
    for value in (key_text, base64.b64encode(key_text.encode()).decode()):
        p = taskctl(tmp_path, "verify", "T001", "--force",
                    env={keys.SIGNING_KEY_ENV: value}, check=0)
        for f in (tmp_path / ".tasks").rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                assert not any(line.encode() in data for line in body), f
                assert value.encode() not in data, f
        assert not any(line in p.stdout + p.stderr for line in body)
    log = sorted((tmp_path / ".tasks" / "logs").rglob("*.log"))[-1].read_text()
    assert "[REDACTED]" in log and "SIGNING" in log  # it did print them: redacted


def test_a_command_ended_by_a_real_time_signal_fails_in_order(tmp_path):
    make_tree(tmp_path, {"T001": {"items": [{"criterion": "rt",
                                             "run": "kill -s RTMIN+5 $$"}]}})
    p = taskctl(tmp_path, "verify", "T001", "--json", check=1)
    item = json.loads(p.stdout)["tasks"][0]["items"][0]
    assert item["status"] == "FAIL" and item["signal"] == "SIGRTMIN+5"
    assert not list((tmp_path / ".tasks" / ".locks").glob("*.inprogress.json"))


def test_an_environment_the_os_cannot_take_fails_the_item(tmp_path):
    make_tree(tmp_path, {"T001": {"items": [{"criterion": "bad env", "run": "true",
                                             "env": {"A=B": "1"}}]}})
    p = taskctl(tmp_path, "verify", "T001", "--json", check=1)
    item = json.loads(p.stdout)["tasks"][0]["items"][0]
    assert item["status"] == "FAIL" and "Traceback" not in p.stderr


def test_keys_trusted_side_by_side_are_all_kept(tmp_path):
    """`keys trust` run twelve times at once: every key is in trust.yaml (a read-modify-write
    without a lock kept about half), with one repo_id."""
    from taskctl.core.verify import keys, trust

    root = make_tree(tmp_path, {"T001": {"items": []}}, trusted=False)
    pubs = [keys.public_text(keys.ephemeral().public) for _ in range(12)]
    procs = [subprocess.Popen([*TASKCTL, "--tasks-dir", str(root), "keys", "trust", p,
                               "--name", f"k{i}"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=tmp_path)
             for i, p in enumerate(pubs)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 12
    policy = trust.load(root)
    assert {k.public_key for k in policy.keys.values()} == set(pubs)


def test_json_answers_say_what_stderr_says_of_an_untrusted_key(tmp_path):
    """A first verify in a tree without trust.yaml creates it with no keys: the run passes,
    yet its records will not count. `--json` carries the notes stderr prints (an agent reads
    stdout only); with the key trusted there are none, and no `notes` key."""
    make_tree(tmp_path, {"T001": {"items": [{"criterion": "ok", "run": "true"}]},
                         "T002": {"items": [{"criterion": "ok", "run": "true"}]}}, trusted=False)
    gate = json.loads(taskctl(tmp_path, "gate", "--check", "--json", check=0).stdout)
    assert gate["notes"] == ["no .tasks/trust.yaml: no stored record counts; only what this "
                             "gate runs can prove a task"]
    p = taskctl(tmp_path, "verify", "T001", "--json", check=0)
    doc = json.loads(p.stdout)
    assert doc["ok"] and doc["tasks"][0]["outcome"] == "completed"
    created, untrusted = doc["notes"]
    assert created.startswith("created .tasks/trust.yaml (repo id ")
    assert "is not trusted in .tasks/trust.yaml" in untrusted and "keys trust" in untrusted
    assert all(f"taskctl: {n}" in p.stderr for n in doc["notes"])
    gate = json.loads(taskctl(tmp_path, "gate", "--check", "--json", check=1).stdout)
    assert gate["tasks"][0]["outcome"] != "ok" and "notes" not in gate  # a policy, no key
    taskctl(tmp_path, "keys", "trust", "--name", "me", check=0)
    doc = json.loads(taskctl(tmp_path, "verify", "T002", "--json", check=0).stdout)
    assert doc["ok"] and "notes" not in doc


def test_locks_and_run_logs_are_never_committed(tmp_path):
    """A repository with no ignore rules of its own: `git status` after a verify lists the
    evidence and events (to commit), never `.locks/` or `logs/` (this machine's)."""
    root = make_tree(tmp_path, {"T001": {"items": [{"criterion": "ok", "run": "true"}]}})
    (tmp_path / ".gitignore").unlink()
    taskctl(tmp_path, "verify", "T001", check=0)
    assert (root / "logs" / ".gitignore").read_text() == "*\n"
    assert (root / ".locks" / ".gitignore").read_text() == "*\n"
    out = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain", "-uall"],
                         capture_output=True, text=True, check=True).stdout
    assert ".tasks/evidence/T001/item-01.json" in out
    assert "logs/" not in out and ".locks/" not in out, out

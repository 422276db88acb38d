"""Forged evidence, tried as an attacker would, in real git repos in tmp dirs (issue 13).

Each test writes or alters records the way someone without the runner's key could, and asserts
the safe outcome: `verify` re-runs instead of trusting the record, `gate` fails naming the
reason and the record's path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from taskctl.core.load.loader import load
from taskctl.core.verify import attest, evidence, fingerprint, keys, trust
from taskctl.core.verify.attest import Rejected
from tests.taskctl.core.verify.verify_support import make_tree, taskctl, trust_test_key

REL = ".tasks/evidence/T001/item-01.json"


def _complete(root: Path, tid: str = "T001") -> None:
    """What an attacker also does: flip the status to completed in the task file and manifest."""
    f = next((root / "tasks").glob(f"{tid}-*"))
    f.write_text(f.read_text().replace("status: pending", "status: completed"))
    data = json.loads((root / "manifest.json").read_text())
    for e in data["tasks"]:
        if e["id"] == tid:
            e["status"] = "completed"
    (root / "manifest.json").write_text(json.dumps(data))


def _forged_record(root: Path, tid: str = "T001", index: int = 1) -> dict:
    """A PASS record whose fingerprint is recomputed with taskctl's own functions: nothing ran."""
    bl = load(root)
    item = bl.tasks[tid].acceptance[index - 1]
    fp = fingerprint.compute(tid, item, bl.repo_root)
    rec = evidence.base_record(tid, index, item.criterion, "20260101T000000Z-forged", fp,
                               bl.repo_root)
    rec.update({"kind": "run", "status": "PASS", "command": item.run, "cwd": ".",
                "timeout_s": 600.0, "exit_code": 0, "signal": None,
                "started_at": "2026-01-01T00:00:00Z", "duration_s": 0.1, "output_tail": "ok\n",
                "output_sha256": "0" * 64, "output_bytes": 3, "log": None, "reasons": []})
    return rec


def _write(root: Path, rec: dict, n: int = 1) -> Path:
    path = evidence.item_path(root, rec["task"], n)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, indent=2))
    return path


def _always_fails(tmp_path: Path) -> Path:
    return make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "the tests pass", "run": "echo nope; exit 1"}]}})


def test_hand_written_pass_is_not_reused_and_gate_names_unsigned(tmp_path):
    root = _always_fails(tmp_path)
    _write(root, _forged_record(root))
    _complete(root)
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "unsigned" in p.stdout and REL in p.stdout
    p = taskctl(tmp_path, "verify", "T001", "--json")
    item = json.loads(p.stdout)["tasks"][0]["items"][0]
    assert p.returncode == 1 and not item["cached"] and item["status"] == "FAIL"
    assert any("unsigned" in r for r in item["why_run"])


def test_pass_signed_by_an_untrusted_key_is_rejected(tmp_path):
    root = _always_fails(tmp_path)
    attacker = keys.ephemeral()  # a real ed25519 key, just not one trust.yaml names
    path = evidence.item_path(root, "T001", 1)
    path.parent.mkdir(parents=True)
    path.write_bytes(attest.seal(_forged_record(root), trust.load(root).repo_id, attacker))
    _complete(root)
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "untrusted signer" in p.stdout and REL in p.stdout
    p = taskctl(tmp_path, "verify", "T001", "--json", check=1)
    assert not json.loads(p.stdout)["tasks"][0]["items"][0]["cached"]


def test_one_line_pass_on_a_network_item_fails_gate_rerun(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "pushes to the hub", "run": "exit 1", "requires": ["network"]}]}})
    path = evidence.item_path(root, "T001", 1)
    path.parent.mkdir(parents=True)
    path.write_text('{"status":"PASS","task":"T001","item":1}')
    _complete(root)
    for mode in ("--rerun", "--check"):
        p = taskctl(tmp_path, "gate", mode, env={"TASKCTL_CAPABILITIES": ""}, check=1)
        assert "FAILED" in p.stdout or "STALE" in p.stdout
        assert "evidence rejected (unsigned)" in p.stdout and REL in p.stdout
        assert "not re-verified" not in p.stdout


def test_evidence_copied_from_another_repository_is_rejected(tmp_path):
    spec = {"T001": {"items": [{"criterion": "true works", "run": "true"}]}}
    a, b = tmp_path / "a", tmp_path / "b"
    make_tree(a, spec)
    root_b = make_tree(b, spec)  # same spec, same trusted key, its own repo_id
    taskctl(a, "verify", "T001", check=0)
    shutil.copytree(a / ".tasks" / "evidence", root_b / "evidence")
    _complete(root_b)
    p = taskctl(b, "gate", "--check", check=1)
    assert "wrong subject" in p.stdout and "another repository" in p.stdout and REL in p.stdout
    p = taskctl(b, "verify", "T001", "--json", check=0)
    assert not json.loads(p.stdout)["tasks"][0]["items"][0]["cached"]  # run again, here
    taskctl(b, "gate", "--check", check=0)


def test_record_moved_to_another_item_is_wrong_subject(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "one", "run": "true"}, {"criterion": "two", "run": "exit 1"}]}})
    taskctl(tmp_path, "verify", "T001", "--keep-going", check=1)
    item1 = evidence.item_path(root, "T001", 1)
    shutil.copy(item1, evidence.item_path(root, "T001", 2))
    _complete(root)
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "wrong subject" in p.stdout and ".tasks/evidence/T001/item-02.json" in p.stdout


def test_any_flipped_byte_is_rejected(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "x", "run": "echo hi", "inputs": ["*.txt"]}]}})
    (tmp_path / "a.txt").write_text("a")
    taskctl(tmp_path, "verify", "T001", check=0)
    path = evidence.item_path(root, "T001", 1)
    good = path.read_bytes()
    policy = trust.load(root)
    assert policy.check(good, "T001", 1)["status"] == "PASS"
    for i in range(len(good)):  # every byte of the file, in-process
        bad = bytearray(good)
        bad[i] ^= 0x01
        with pytest.raises(Rejected):
            policy.check(bytes(bad), "T001", 1)
    env = json.loads(good)
    spots = {"payload": good.index(env["payload"][40:60].encode()),
             "signature": good.index(env["signatures"][0]["sig"][10:20].encode()),
             "keyid": good.index(env["signatures"][0]["keyid"].encode()), "last": len(good) - 2}
    for where, i in spots.items():  # and through the CLI, a few of them
        bad = bytearray(good)
        bad[i] ^= 0x01
        path.write_bytes(bytes(bad))
        p = taskctl(tmp_path, "gate", "--check")
        assert p.returncode == 1 and "evidence rejected" in p.stdout and REL in p.stdout, where
    path.write_bytes(good)
    taskctl(tmp_path, "gate", "--check", check=0)


def test_trusted_key_without_the_capability_cannot_attest_it(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "trains on gpu", "run": "true", "requires": ["gpu"]}]}}, trusted=False)
    trust_test_key(root, caps=())  # trusted, but not for gpu
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_CAPABILITIES": "gpu"}, check=0)
    p = taskctl(tmp_path, "gate", "--rerun", check=1)
    assert "signer not allowed gpu" in p.stdout and REL in p.stdout
    taskctl(tmp_path, "gate", "--check", check=1)
    taskctl(tmp_path, "keys", "trust", "--capabilities", "gpu", check=0)
    p = taskctl(tmp_path, "gate", "--rerun", check=0)  # now it may: counted, not re-run
    assert "not re-verified here" in p.stdout


def test_gate_rerun_without_a_key_uses_a_throwaway_one_and_writes_nothing(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [{"criterion": "x", "run": "echo hi"}]}})
    taskctl(tmp_path, "verify", "T001", check=0)
    before = evidence.item_path(root, "T001", 1).read_bytes()
    nokey = {"TASKCTL_CONFIG_DIR": str(tmp_path / "empty-config")}
    taskctl(tmp_path, "verify", "T001", "--force", env=nokey, check=2)  # verify needs a key
    p = taskctl(tmp_path, "gate", "--rerun", env=nokey, check=0)
    assert "throwaway key" in p.stderr
    assert evidence.item_path(root, "T001", 1).read_bytes() == before
    assert not (tmp_path / "empty-config").exists()


def test_key_from_environment_secret_is_used_and_never_written(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [
        {"criterion": "x", "run": 'test -z "${TASKCTL_SIGNING_KEY:-}" && env | sort'}]}},
        trusted=False)
    ci = keys.ephemeral()
    from cryptography.hazmat.primitives import serialization

    seed = ci.key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    import base64

    secret = base64.b64encode(seed).decode()
    trust.trust(root, keys.public_text(ci.public), "ci", ["gpu"])
    env = {"TASKCTL_SIGNING_KEY": secret, "TASKCTL_CONFIG_DIR": str(tmp_path / "none")}
    p = taskctl(tmp_path, "verify", "T001", env=env, check=0)
    p2 = taskctl(tmp_path, "gate", "--rerun", env=env, check=0)
    assert "throwaway" not in p2.stderr
    rec = trust.load(root).check(evidence.item_path(root, "T001", 1).read_bytes(), "T001", 1)
    assert rec["status"] == "PASS"
    leaks = [f for f in root.rglob("*") if f.is_file() and secret.encode() in f.read_bytes()]
    assert not leaks and secret not in p.stdout + p.stderr + p2.stdout + p2.stderr


def test_keys_init_is_private_and_a_readable_key_is_refused(tmp_path):
    cfg = tmp_path / "cfg"
    env = {"TASKCTL_CONFIG_DIR": str(cfg)}
    make_tree(tmp_path, {"T001": {"items": [{"criterion": "x", "run": "true"}]}})
    p = taskctl(tmp_path, "keys", "init", "--json", env=env, check=0)
    doc = json.loads(p.stdout)
    key = cfg / "keys" / "signing.key"
    assert doc["created"] and (key.stat().st_mode & 0o777) == 0o600
    assert (key.parent.stat().st_mode & 0o777) == 0o700
    assert not json.loads(taskctl(tmp_path, "keys", "init", "--json", env=env).stdout)["created"]
    taskctl(tmp_path, "keys", "trust", "--name", "me", env=env, check=0)
    shown = json.loads(taskctl(tmp_path, "keys", "show", "--json", env=env, check=0).stdout)
    assert shown["key"]["keyid"] in [k["keyid"] for k in shown["policy"]["keys"]]
    assert "PRIVATE" not in json.dumps(shown)
    os.chmod(key, 0o644)
    p = taskctl(tmp_path, "verify", "T001", env=env, check=2)
    assert "readable by others" in p.stderr and "Traceback" not in p.stderr


def test_identity_survives_shallow_clones_and_trees_without_git(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {"T001": {"items": [{"criterion": "x", "run": "true"}]}})
    taskctl(src, "verify", "T001", check=0)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", "-C", str(src), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(src), "commit", "-qm", "evidence"], check=True, env=env)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{src}", str(shallow)],
                   check=True)
    taskctl(shallow, "gate", "--check", check=0)  # repo_id lives in trust.yaml, not in history
    plain = tmp_path / "plain"
    shutil.copytree(src, plain, ignore=shutil.ignore_patterns(".git"))
    taskctl(plain, "gate", "--check", check=0)


def test_deleting_the_trust_policy_proves_nothing(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [{"criterion": "x", "run": "true"}]}})
    taskctl(tmp_path, "verify", "T001", check=0)
    (root / "trust.yaml").unlink()
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "no trust policy" in p.stdout
    (root / "trust.yaml").write_text("repo_id: [oops\n")
    p = taskctl(tmp_path, "gate", "--check", check=2)
    assert "trust.yaml" in p.stderr and "Traceback" not in p.stderr


def test_a_planted_huge_record_is_refused_unread(tmp_path):
    root = make_tree(tmp_path, {"T001": {"items": [{"criterion": "x", "run": "true"}]}})
    taskctl(tmp_path, "verify", "T001", check=0)
    with open(evidence.item_path(root, "T001", 1), "r+b") as f:
        f.truncate(evidence.MAX_RECORD_BYTES + 1)  # sparse: cheap to make, costly to read
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "larger than" in p.stdout and REL in p.stdout

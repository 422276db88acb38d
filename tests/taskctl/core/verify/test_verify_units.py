"""Pure pieces of verify: redaction, fingerprints, status/checkbox edits, capabilities."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.model import AcceptanceItem
from taskctl.core.verify import capabilities, evidence, fingerprint
from taskctl.core.verify.secrets import Redactor, is_secret_name, secret_values
from taskctl.core.write import status as status_writer


def test_secret_names_and_values():
    assert is_secret_name("HF_TOKEN") and is_secret_name("AWS_SECRET_ACCESS_KEY")
    assert is_secret_name("DB_PASSWORD") and is_secret_name("OPENAI_API_KEY")
    assert is_secret_name("PLAIN", ["PLAIN"]) and not is_secret_name("HOME")
    env = {"MY_TOKEN": "abcdefgh", "HOME": "/root", "X_KEY": "no"}
    assert secret_values(env) == ["abcdefgh"]


def test_redactor_streams_across_chunks_and_token_shapes():
    r = Redactor(["s3cr3tvalue"])
    out = r.feed(b"one s3cr") + r.feed(b"3tvalue two\nghp_") + r.feed(
        b"abcdefghijklmnopqrstuvwxyz123 end\n") + r.flush()
    assert b"s3cr3tvalue" not in out and b"ghp_abc" not in out
    assert out.count(b"[REDACTED]") == 2
    assert Redactor().redact(b"key AKIAABCDEFGHIJKLMNOP hf_" + b"a" * 30) == (
        b"key [REDACTED] [REDACTED]")


def test_fingerprint_covers_command_inputs_env_not_git(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("1")
    item = AcceptanceItem(1, "c", run="true", inputs=["src/**/*.py"], env={"MODE": "x"},
                          secret_env=["API_SECRET"])
    fp = fingerprint.compute("T1", item, tmp_path, environ={"API_SECRET": "zzz"})
    assert fp.parts["inputs"]["files"].keys() == {"src/a.py"}
    assert fp.parts["env"] == {"API_SECRET": {"secret": True, "set": True}, "MODE": "x"}
    assert "zzz" not in str(fp.parts) and "git" not in fp.parts
    (tmp_path / "src" / "a.py").write_text("2")
    fp2 = fingerprint.compute("T1", item, tmp_path, environ={"API_SECRET": "zzz"})
    assert fp2.key != fp.key
    assert fingerprint.differences(fp.parts, fp2.parts) == ["input changed: src/a.py"]
    item.run = "false"
    fp3 = fingerprint.compute("T1", item, tmp_path, environ={"API_SECRET": "zzz"})
    assert "command changed" in fingerprint.differences(fp2.parts, fp3.parts)


def test_freshness_only_passes_reuse():
    fp = fingerprint.Fingerprint("k", {"command": "x"})
    rec = {"status": "FAIL", "fingerprint": {"key": "k"}, "run_id": "r"}
    assert not evidence.freshness(rec, fp).fresh
    rec["status"] = "PASS"
    assert evidence.freshness(rec, fp).fresh
    assert not evidence.freshness(rec, fp, frozenset({"r"})).fresh
    assert evidence.freshness(None, fp).reasons == ["no evidence"]


def test_edit_status_keeps_everything_else():
    text = "---\nid: T1\ntitle: x  # keep\nstatus: in-progress\nacceptance: []\n---\n\nbody\n"
    out = status_writer.edit_status(text, "front-matter", "completed", "2026-01-01T00:00:00Z")
    assert out == ("---\nid: T1\ntitle: x  # keep\nstatus: completed\n"
                   'completed_at: "2026-01-01T00:00:00Z"\nacceptance: []\n---\n\nbody\n')
    plain = "id: T1\ntitle: y\n"
    assert status_writer.edit_status(plain, "yaml", "completed", None) == (
        "id: T1\nstatus: completed\ntitle: y\n")


def test_checkbox_rule_matches_normalised_criterion():
    text = ("---\nid: T1\n---\n## Acceptance Criteria\n\n1. [ ] **Loss** goes down.\n"
            "2. [x] Other thing\n- [ ] `cmd` works\n\n## Notes\n- [ ] loss goes down\n")
    out = status_writer.edit_checkboxes(text, ["loss goes down", "cmd works"], ["Other thing"])
    assert "1. [x] **Loss** goes down." in out and "2. [ ] Other thing" in out
    assert "- [x] `cmd` works" in out and out.endswith("- [ ] loss goes down\n")


def test_capabilities_override(monkeypatch):
    monkeypatch.setenv("TASKCTL_CAPABILITIES", "gpu, network")
    assert capabilities.detect() == {"gpu", "network"}
    monkeypatch.setenv("TASKCTL_CAPABILITIES", "none")
    assert capabilities.detect() == frozenset()
    assert capabilities.missing(["gpu", "docker"], frozenset({"gpu"})) == ["docker"]
    monkeypatch.delenv("TASKCTL_CAPABILITIES")
    assert "network" not in capabilities.detect()  # never auto-detected

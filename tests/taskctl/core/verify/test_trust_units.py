"""Signed evidence in-process: DSSE PAE, envelope round trip, trust.yaml parsing, key sources."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization

from taskctl.core.verify import attest, keys, trust
from taskctl.core.verify.attest import Rejected
from taskctl.errors import SigningKeyError, TrustPolicyError

REC = {"task": "T001", "item": 1, "status": "PASS",
       "fingerprint": {"key": "ab" * 32, "parts": {"inputs": {"files": {"a.py": "cd" * 32}}}}}


def test_pae_is_the_dsse_v1_encoding():
    # the example of the DSSE protocol document
    assert attest.pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    assert attest.pae("t", b"") == b"DSSEv1 1 t 0 "
    assert attest.pae("é", b"x") == b"DSSEv1 2 \xc3\xa9 1 x"  # byte lengths, not characters


def _policy(tmp_path, signer, caps=()):
    pol, _ = trust.trust(tmp_path, keys.public_text(signer.public), "t", list(caps))
    return pol


def test_envelope_round_trip_and_statement_layout(tmp_path):
    s = keys.ephemeral()
    pol = _policy(tmp_path, s)
    data = attest.seal(REC, pol.repo_id, s)
    env = json.loads(data)
    assert env["payloadType"] == "application/vnd.in-toto+json"
    assert env["signatures"][0]["keyid"] == s.keyid
    st = json.loads(base64.b64decode(env["payload"]))
    assert st["_type"] == "https://in-toto.io/Statement/v1" and st["predicate"] == REC
    assert [x["name"] for x in st["subject"]] == [
        "item:T001/item-01", f"repo:{pol.repo_id}", "input:a.py"]
    assert st["subject"][0]["digest"] == {"sha256": "ab" * 32}
    # the signature is over PAE(payloadType, payload), as DSSE says
    assert keys.verify_sig(s.public, base64.b64decode(env["signatures"][0]["sig"]),
                           attest.pae(attest.PAYLOAD_TYPE, base64.b64decode(env["payload"])))
    assert pol.check(data, "T001", 1) == REC
    with pytest.raises(Rejected, match="wrong subject"):
        pol.check(data, "T001", 2)
    # re-indented but the same JSON: not the form taskctl writes
    with pytest.raises(Rejected, match="tampered"):
        pol.check(json.dumps(env).encode(), "T001", 1)


def test_capabilities_are_checked_per_key(tmp_path):
    s = keys.ephemeral()
    data = attest.seal(REC, _policy(tmp_path, s, ["gpu"]).repo_id, s)
    pol = trust.load(tmp_path)
    assert pol.check(data, "T001", 1, ["gpu"]) == REC
    with pytest.raises(Rejected, match="signer not allowed network"):
        pol.check(data, "T001", 1, ["gpu", "network"])


@pytest.mark.parametrize("text,msg", [
    ("[1, 2]", "expected a mapping"),
    ("repo_id: abc\nkeys: []\n", "repo_id must be"),
    ("repo_id: " + "a" * 32 + "\nkeys: [{public_key: nope}]\n", "not a base64 ed25519"),
    ("repo_id: " + "a" * 32 + "\nkeys: {}\n", "keys must be a list"),
    ("repo_id: [\n", "trust.yaml:"),
    ('repo_id: "' + "a" * 32 + '\\n"\nkeys: []\n', "repo_id must be"),  # a newline after
])
def test_malformed_trust_policy_is_a_located_error(tmp_path, text, msg):
    (tmp_path / "trust.yaml").write_text(text)
    with pytest.raises(TrustPolicyError, match=msg):
        trust.load(tmp_path)


def test_trust_policy_keyid_and_capabilities_are_validated(tmp_path):
    s = keys.ephemeral()
    pol = _policy(tmp_path, s, ["gpu"])
    text = (tmp_path / "trust.yaml").read_text()
    (tmp_path / "trust.yaml").write_text(text.replace(s.keyid, "0" * 64))
    with pytest.raises(TrustPolicyError, match="keyid does not match"):
        trust.load(tmp_path)
    (tmp_path / "trust.yaml").write_text(text.replace("[gpu]", "[quantum]"))
    with pytest.raises(TrustPolicyError, match="capabilities"):
        trust.load(tmp_path)
    with pytest.raises(TrustPolicyError, match="unknown capability"):
        trust.trust(tmp_path, keys.public_text(s.public), None, ["quantum"])
    (tmp_path / "trust.yaml").write_text(text)
    trust.trust(tmp_path, keys.public_text(s.public), None, None)  # keeps name and caps
    assert trust.load(tmp_path).keys[s.keyid].capabilities == ("gpu",)
    assert trust.untrust(tmp_path, s.keyid[:8]).keyid == s.keyid
    assert trust.load(tmp_path).repo_id == pol.repo_id and not trust.load(tmp_path).keys


def test_signing_key_sources(tmp_path):
    s = keys.ephemeral()
    pem = s.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    seed = s.key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
    for secret in (pem.decode(), base64.b64encode(pem).decode(), base64.b64encode(seed).decode()):
        got = keys.load_signer({keys.SIGNING_KEY_ENV: secret})
        assert got.keyid == s.keyid and got.source == "$TASKCTL_SIGNING_KEY"
    with pytest.raises(SigningKeyError) as e:
        keys.load_signer({keys.SIGNING_KEY_ENV: "c2VjcmV0LXZhbHVl"})
    assert "c2VjcmV0" not in str(e.value) + (e.value.hint or "")  # never echoes the secret
    env = {keys.CONFIG_DIR_ENV: str(tmp_path / "cfg")}
    assert keys.load_signer(env) is None
    with pytest.raises(SigningKeyError, match="no signing key"):
        keys.require_signer(env)
    made, created = keys.init(env)
    assert created and keys.load_signer(env).keyid == made.keyid
    again, created = keys.init(env)
    assert not created and again.keyid == made.keyid
    assert keys.config_dir({"XDG_CONFIG_HOME": "/x"}).as_posix() == "/x/taskctl"
    assert keys.config_dir({"XDG_CONFIG_HOME": "/x", keys.CONFIG_DIR_ENV: "/c"}).as_posix() == "/c"



@pytest.mark.parametrize("plant", ["fifo", "zero", "dir"])
def test_a_trust_policy_that_is_no_regular_file_is_refused_at_once(tmp_path, plant):
    """A FIFO (a read would wait forever), /dev/zero (an endless read) or a folder where
    trust.yaml should be: a one-line refusal with a hint, without reading."""
    import os

    path = tmp_path / "trust.yaml"
    if plant == "fifo":
        os.mkfifo(path)
    elif plant == "zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    with pytest.raises(TrustPolicyError) as e:
        trust.load(tmp_path)
    assert "not a regular file" in e.value.message or "cannot read" in e.value.message
    assert e.value.hint


def test_an_evidence_file_that_is_a_fifo_is_unreadable_not_a_hang(tmp_path):
    import os

    from taskctl.core.verify import evidence

    path = tmp_path / "item-01.json"
    os.mkfifo(path)
    with pytest.raises(OSError):
        evidence.read_bytes(path)

"""Evidence records as signed attestations: an in-toto Statement v1 in a DSSE envelope.

    envelope  = {"payloadType": "application/vnd.in-toto+json", "payload": b64(statement),
                 "signatures": [{"keyid": sha256(raw public key), "sig": b64(ed25519(PAE))}]}
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [...],
                 "predicateType": PREDICATE_TYPE, "predicate": <the evidence record>}
    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
                      (LEN: the byte length in ASCII decimal, DSSE v1.0)

Subjects: the item (`item:<TASK>/item-NN`, digest = its fingerprint key, which covers the spec,
command, env, versions and input hashes), the repository (`repo:<repo_id>`, so a record copied
from another repository is rejected) and every input file (`input:<path>`, its sha256).

The file is written in one canonical form; any other byte sequence is "tampered", so a flipped
byte is caught even where JSON would parse it to the same value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from taskctl.core.verify.keys import Signer

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://taskctl.dev/attestation/evidence/v1"


class Rejected(Exception):
    """A record that does not count. `reason` is one short phrase: unsigned, tampered,
    untrusted signer, wrong subject, unreadable, ..."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is actually signed."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def item_name(task_id: str, index: int) -> str:
    return f"item:{task_id}/item-{index:02d}"


def subjects(repo_id: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The in-toto subjects of a record: item + fingerprint, repository, input files."""
    fp = record.get("fingerprint") or {}
    out = [{"name": item_name(record["task"], record["item"]),
            "digest": {"sha256": fp.get("key", "")}},
           {"name": f"repo:{repo_id}", "digest": {"sha256": repo_digest(repo_id)}}]
    files = ((fp.get("parts") or {}).get("inputs") or {}).get("files") or {}
    out += [{"name": f"input:{p}", "digest": {"sha256": h}}
            for p, h in sorted(files.items()) if isinstance(h, str) and len(h) == 64]
    return out


def repo_digest(repo_id: str) -> str:
    return hashlib.sha256(f"taskctl-repo:{repo_id}".encode()).hexdigest()


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_KEYID = re.compile(r"[0-9a-f]{64}")


def canonical_bytes(doc: Any) -> bytes | None:
    """The one byte form of an envelope with one signature (None: not such an envelope).
    Formatted directly rather than by json.dumps: it is checked for every record on every
    gate, and base64/hex values need no escaping."""
    if not isinstance(doc, dict) or doc.keys() != {"payload", "payloadType", "signatures"}:
        return None
    sigs = doc["signatures"]
    if not (isinstance(sigs, list) and len(sigs) == 1 and isinstance(sigs[0], dict)
            and sigs[0].keys() == {"keyid", "sig"}):
        return None
    payload, keyid, sig = doc["payload"], sigs[0]["keyid"], sigs[0]["sig"]
    if not (doc["payloadType"] == PAYLOAD_TYPE and isinstance(payload, str)
            and isinstance(keyid, str) and isinstance(sig, str) and _B64.fullmatch(payload)
            and _B64.fullmatch(sig) and _KEYID.fullmatch(keyid)):
        return None
    return (f'{{\n "payload": "{payload}",\n "payloadType": "{PAYLOAD_TYPE}",\n'
            f' "signatures": [\n  {{\n   "keyid": "{keyid}",\n   "sig": "{sig}"\n  }}\n ]\n}}\n'
            ).encode()


def seal(record: dict[str, Any], repo_id: str, signer: Signer) -> bytes:
    """The file content for `record`: a signed envelope in canonical form."""
    statement = {"_type": STATEMENT_TYPE, "subject": subjects(repo_id, record),
                 "predicateType": PREDICATE_TYPE, "predicate": record}
    body = json.dumps(statement, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()
    sig = signer.sign(pae(PAYLOAD_TYPE, body))
    out = canonical_bytes({"payloadType": PAYLOAD_TYPE,
                           "payload": base64.b64encode(body).decode(),
                           "signatures": [{"keyid": signer.keyid,
                                           "sig": base64.b64encode(sig).decode()}]})
    assert out is not None  # our own envelope always has the canonical shape
    return out


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise Rejected("tampered", "a base64 field is not a string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("tampered", "invalid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:  # one byte form: no stray padding bits
        raise Rejected("tampered", "non-canonical base64")
    return raw


_CANONICAL = re.compile(
    rb'{\n "payload": "([A-Za-z0-9+/]*={0,2})",\n "payloadType": "'
    + re.escape(PAYLOAD_TYPE.encode())
    + rb'",\n "signatures": \[\n  {\n   "keyid": "([0-9a-f]{64})",\n'
    rb'   "sig": "([A-Za-z0-9+/]*={0,2})"\n  }\n \]\n}\n')


def open_envelope(data: bytes) -> tuple[dict[str, Any], bytes, list[tuple[str, bytes]]]:
    """Parse a stored file WITHOUT checking signatures: (statement, signed bytes,
    [(keyid, sig)]). Raises Rejected for anything that is not a well-formed envelope."""
    m = _CANONICAL.fullmatch(data)  # the fast path: exactly what seal() writes
    if m is not None:
        body = _b64(m.group(1).decode())
        return _statement(body), pae(PAYLOAD_TYPE, body), [(m.group(2).decode(),
                                                            _b64(m.group(3).decode()))]
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise Rejected("unreadable", "not JSON") from None
    if not isinstance(doc, dict):
        raise Rejected("unsigned", "not a DSSE envelope")
    if "payload" not in doc and "signatures" not in doc:
        raise Rejected("unsigned", "a bare record, not a DSSE envelope")
    sigs = doc.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise Rejected("unsigned", "the envelope has no signature")
    # an envelope, but not byte for byte the one form seal() writes (one signature, sorted
    # keys, fixed layout): something edited it, even if JSON would read it the same
    raise Rejected("tampered", "the file is not in the form taskctl writes")


def _statement(body: bytes) -> dict[str, Any]:
    try:
        statement = json.loads(body)
    except (ValueError, RecursionError):
        raise Rejected("tampered", "the payload is not JSON") from None
    if (not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE
            or statement.get("predicateType") != PREDICATE_TYPE
            or not isinstance(statement.get("predicate"), dict)
            or not isinstance(statement.get("subject"), list)):
        raise Rejected("wrong subject", "not a taskctl evidence statement")
    return statement


def check_subject(statement: dict[str, Any], task_id: str, index: int,
                  repo_id: str | None) -> None:
    """The statement must be about THIS item of THIS repository, and say so consistently.
    (The input subjects restate what the fingerprint key already covers; they are for other
    in-toto tools and not re-derived here.)"""
    rec = statement["predicate"]
    if rec.get("task") != task_id or rec.get("item") != index:
        raise Rejected("wrong subject", f"it is a record of {rec.get('task')} item "
                       f"{rec.get('item')}")
    names = {s.get("name"): s.get("digest") for s in statement["subject"] if isinstance(s, dict)}
    key = (rec.get("fingerprint") or {}).get("key")
    if names.get(item_name(task_id, index)) != {"sha256": key} or not key:
        raise Rejected("wrong subject", "its item subject does not match the record")
    repos = [n for n in names if isinstance(n, str) and n.startswith("repo:")]
    if repo_id is None or repos != [f"repo:{repo_id}"] or \
            names[repos[0]] != {"sha256": repo_digest(repo_id)}:
        theirs = repos[0][5:] if repos else "none"
        raise Rejected("wrong subject", f"recorded in another repository (repo id {theirs})")

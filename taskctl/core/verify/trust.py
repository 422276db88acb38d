"""The trust policy, `.tasks/trust.yaml` (committed): which keys' evidence counts, and what
each may attest.

    schema_version: 1
    repo_id: 6f1c...            # random, made once; every record's subject names it
    keys:
      - keyid: 3a9e...          # sha256 of the raw public key
        public_key: Base64==    # ed25519, 32 raw bytes
        name: ci                # who holds it (free text)
        capabilities: [gpu]     # what its runner may attest that this machine cannot re-run

A record counts only when its envelope is well formed, a signature by a key named here
verifies, its subject is this item of this repository, and — for an item that `requires`
capabilities — the key is allowed every one of them. Anyone who can edit this file can add a
key: protect it like code (review, CODEOWNERS).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from taskctl.core.files import atomic, locks
from taskctl.core.load import safeyaml
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.verify import attest, capabilities, keys
from taskctl.core.verify.attest import Rejected
from taskctl.errors import TrustPolicyError

TRUST_FILE = "trust.yaml"
SCHEMA_VERSION = 1
MAX_BYTES = 1 << 20
_REPO_ID = re.compile(r"^[0-9a-f]{32}$")
_HEADER = ("# taskctl trust policy: the keys whose signed evidence counts here (docs/verify.md).\n"
           "# Review changes to this file like code: a key added here can prove any task.\n")


@dataclass(frozen=True)
class TrustedKey:
    keyid: str
    public_key: str
    name: str = ""
    capabilities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"keyid": self.keyid, "public_key": self.public_key, "name": self.name,
                "capabilities": list(self.capabilities)}


@dataclass
class Policy:
    path: Path
    repo_id: str | None = None
    keys: dict[str, TrustedKey] = field(default_factory=dict)
    exists: bool = False
    _public: dict[str, Any] = field(default_factory=dict, repr=False)

    def check(self, data: bytes, task_id: str, index: int,
              requires: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
        """The record inside `data` if it counts here; raises Rejected saying why not."""
        statement, signed, sigs = attest.open_envelope(data)
        if not self.exists:
            raise Rejected("no trust policy", f"{self.path.name} is missing")
        key = None
        for keyid, sig in sigs:
            if keyid in self.keys:
                if not keys.verify_sig(self._key(keyid), sig, signed):
                    raise Rejected("tampered", "the signature does not verify")
                key = self.keys[keyid]
                break
        if key is None:
            raise Rejected("untrusted signer", "key " + ", ".join(k[:12] for k, _ in sigs)
                           + f" is not in {self.path.name}")
        attest.check_subject(statement, task_id, index, self.repo_id)
        if missing := capabilities.missing(list(requires), frozenset(key.capabilities)):
            raise Rejected(f"signer not allowed {', '.join(missing)}",
                           f"key {key.name or key.keyid[:12]} may attest "
                           f"{', '.join(key.capabilities) or 'no capability'}")
        return statement["predicate"]

    def _key(self, keyid: str):
        if keyid not in self._public:
            self._public[keyid] = keys.public_from_text(self.keys[keyid].public_key)
        return self._public[keyid]

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "repo_id": self.repo_id,
                "keys": [k.to_dict() for k in self.keys.values()]}


def path_of(root: Path) -> Path:
    return root / TRUST_FILE


def load(root: Path) -> Policy:
    """The policy of the tasks dir `root` (an empty, non-existent one when the file is absent).
    Raises TrustPolicyError when the file exists but is malformed."""
    from taskctl.core.files import regular

    path = path_of(root)
    fix = "fix or remove it; `taskctl keys trust` writes this file (docs/verify.md)"
    try:  # a regular file only, within its limit: a FIFO or /dev/zero there never blocks
        text = regular.read_bytes(path, MAX_BYTES).decode("utf-8")
    except FileNotFoundError:
        return Policy(path)
    except regular.NotRegular as e:
        raise TrustPolicyError(f"{path}: {e.strerror}; not a trust policy", fix) from None
    except (OSError, UnicodeDecodeError) as e:
        raise TrustPolicyError(f"{path}: cannot read the trust policy: {e}", fix) from None
    try:
        data = safeyaml.load(text)  # the loader's limits (aliases, nesting) apply here too
    except FileIssue as e:
        raise TrustPolicyError(f"{path}:{e.line or 1}: {e.message}", fix) from None
    return _parse(path, data)


def _parse(path: Path, data: Any) -> Policy:
    def bad(msg: str) -> TrustPolicyError:
        return TrustPolicyError(f"{path}: {msg}", "see docs/verify.md (trust policy); "
                                "`taskctl keys trust` writes this file")

    if not isinstance(data, dict):
        raise bad("expected a mapping with repo_id and keys")
    repo_id = data.get("repo_id")
    if not isinstance(repo_id, str) or not _REPO_ID.fullmatch(repo_id):
        raise bad("repo_id must be 32 lowercase hex digits")
    entries = data.get("keys")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise bad("keys must be a list")
    out: dict[str, TrustedKey] = {}
    for n, e in enumerate(entries, 1):
        if not isinstance(e, dict) or not isinstance(e.get("public_key"), str):
            raise bad(f"key {n}: needs public_key")
        try:
            pub = keys.public_from_text(e["public_key"])
        except Exception:  # noqa: BLE001 - reported as a policy error with its position
            raise bad(f"key {n}: public_key is not a base64 ed25519 key") from None
        keyid = keys.keyid_of(keys.raw_public(pub))
        if e.get("keyid") not in (None, keyid):
            raise bad(f"key {n}: keyid does not match public_key (expected {keyid})")
        caps = e.get("capabilities")
        caps = [] if caps is None else caps
        if not isinstance(caps, list) or any(c not in capabilities.KNOWN for c in caps):
            raise bad(f"key {n}: capabilities must be a list of {', '.join(capabilities.KNOWN)}")
        out[keyid] = TrustedKey(keyid, e["public_key"], str(e.get("name") or ""), tuple(caps))
    return Policy(path, repo_id, out, True)


def save(policy: Policy) -> None:
    text = yaml.safe_dump(policy.to_dict(), sort_keys=False, default_flow_style=None)
    try:
        atomic.write_text(policy.path, _HEADER + text)
    except OSError as e:
        raise TrustPolicyError(f"{policy.path}: cannot write the trust policy: {e.strerror}",
                               "is the tasks directory writable?") from None
    policy.exists = True


def ensure(root: Path) -> tuple[Policy, bool]:
    """The policy, created (with a fresh repo_id and no keys) when absent. (policy, created).
    Under the policy lock: verifies started side by side in a new tree make one repo_id."""
    with locks.policy_lock(root):
        return _ensure(root)


def _ensure(root: Path) -> tuple[Policy, bool]:
    policy = load(root)
    if policy.exists:
        return policy, False
    policy.repo_id = secrets.token_hex(16)
    save(policy)
    return policy, True


def trust(root: Path, public_key: str, name: str | None,
          caps: list[str] | None) -> tuple[Policy, TrustedKey]:
    """Add a key, or update its name/capabilities (None: keep what is recorded)."""
    unknown = [c for c in caps or [] if c not in capabilities.KNOWN]
    if unknown:
        raise TrustPolicyError(f"unknown capability: {', '.join(unknown)}",
                               f"known: {', '.join(capabilities.KNOWN)}")
    pub = keys.public_from_text(public_key)
    with locks.policy_lock(root):  # read, change, write as one step (no update lost)
        policy, _ = _ensure(root)
        keyid = keys.keyid_of(keys.raw_public(pub))
        old = policy.keys.get(keyid, TrustedKey(keyid, ""))
        entry = TrustedKey(keyid, keys.public_text(pub), old.name if name is None else name,
                           old.capabilities if caps is None else tuple(dict.fromkeys(caps)))
        policy.keys[entry.keyid] = entry
        save(policy)
    return policy, entry


def untrust(root: Path, keyid: str) -> TrustedKey:
    """Remove the key whose id starts with `keyid` (a unique prefix of 8+ digits)."""
    with locks.policy_lock(root):
        policy = load(root)
        hits = [k for k in policy.keys if k.startswith(keyid.lower())] if len(keyid) >= 8 \
            else []
        if len(hits) != 1:
            raise TrustPolicyError(f"no single trusted key with id {keyid!r}",
                                   "give 8+ leading digits of a keyid from `taskctl keys show`")
        entry = policy.keys.pop(hits[0])
        save(policy)
    return entry

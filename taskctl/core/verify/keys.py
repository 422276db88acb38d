"""Runner signing keys (ed25519): where they live, how they are made, read and named.

A private key never enters the repository. It is read from, in order:
1. `TASKCTL_SIGNING_KEY` — the key itself (PEM, or base64 of PEM / of the 32-byte raw seed),
   as CI passes a secret; never written to disk or logs by taskctl;
2. `<config>/keys/signing.key` (PKCS#8 PEM, mode 0600), made by `taskctl keys init`, where
   `<config>` is `$TASKCTL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/taskctl`, else `~/.config/taskctl`.

A key's id is the sha256 (hex) of its raw 32-byte public key; trust.yaml names keys by it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from taskctl.errors import SigningKeyError

SIGNING_KEY_ENV = "TASKCTL_SIGNING_KEY"
CONFIG_DIR_ENV = "TASKCTL_CONFIG_DIR"
KEY_FILE = "signing.key"


def config_dir(environ: dict[str, str] | None = None) -> Path:
    """taskctl's per-user configuration directory (never inside a repository)."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_DIR_ENV):
        return Path(env[CONFIG_DIR_ENV]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "taskctl"


def key_file(environ: dict[str, str] | None = None) -> Path:
    return config_dir(environ) / "keys" / KEY_FILE


def keyid_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def public_from_text(text: str) -> Ed25519PublicKey:
    """A public key as trust.yaml and `keys show` write it: base64 of the 32 raw bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise SigningKeyError(f"not an ed25519 public key: {text[:60]!r}",
                              "pass the `public_key` line printed by `taskctl keys show`") from None


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(key)).decode()


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_sig(key: Ed25519PublicKey, sig: bytes, data: bytes) -> bool:
    try:
        key.verify(sig, data)
        return True
    except InvalidSignature:
        return False


@dataclass(frozen=True)
class Signer:
    """A private key ready to sign. `source` says where it came from (never its content);
    an ephemeral signer exists only for one gate run and its records are never stored."""

    key: Ed25519PrivateKey
    source: str
    ephemeral: bool = False

    @property
    def public(self) -> Ed25519PublicKey:
        return self.key.public_key()

    @property
    def keyid(self) -> str:
        return keyid_of(raw_public(self.public))

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)


def ephemeral() -> Signer:
    """A throwaway key for a gate run on a machine without one (CI without the secret)."""
    return Signer(Ed25519PrivateKey.generate(), "ephemeral (this run only)", ephemeral=True)


def load_signer(environ: dict[str, str] | None = None) -> Signer | None:
    """The configured signing key, or None when there is none."""
    env = os.environ if environ is None else environ
    secret = env.get(SIGNING_KEY_ENV)
    if secret:
        return Signer(_parse_private(secret, f"${SIGNING_KEY_ENV}"), f"${SIGNING_KEY_ENV}")
    path = key_file(env)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise SigningKeyError(f"cannot read the signing key {path}: {e.strerror}") from None
    if st.st_mode & 0o077:
        raise SigningKeyError(f"signing key {path} is readable by others "
                              f"(mode {stat.S_IMODE(st.st_mode):o})", f"chmod 600 {path}")
    return Signer(_parse_private(path.read_text(encoding="ascii", errors="replace"), str(path)),
                  str(path))


def require_signer(environ: dict[str, str] | None = None) -> Signer:
    signer = load_signer(environ)
    if signer is None:
        raise SigningKeyError(
            "no signing key: evidence is signed by the runner's key",
            f"run `taskctl keys init` (or set {SIGNING_KEY_ENV} in CI), then "
            "`taskctl keys trust` so this repository accepts its records")
    return signer


def _parse_private(text: str, where: str) -> Ed25519PrivateKey:
    """PEM, or base64 of PEM, or base64 of the raw 32-byte seed. The error never echoes it."""
    data = text.strip().encode()
    try:
        if not data.startswith(b"-----BEGIN"):
            data = base64.b64decode(data, validate=True)
        if len(data) == 32:
            return Ed25519PrivateKey.from_private_bytes(data)
        key = serialization.load_pem_private_key(data, password=None)
    except (binascii.Error, ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{where} does not hold an unencrypted ed25519 private key",
                              "make one with `taskctl keys init` (PEM, PKCS#8)")
    return key


def init(environ: dict[str, str] | None = None, force: bool = False) -> tuple[Signer, bool]:
    """Create the key file (0600, in a 0700 directory). Returns (signer, created)."""
    path = key_file(environ)
    if path.exists() and not force:
        try:
            existing = load_signer({k: v for k, v in (environ or os.environ).items()
                                    if k != SIGNING_KEY_ENV})
        except SigningKeyError as e:
            raise SigningKeyError(e.message, (e.hint + "; or " if e.hint else "")
                                  + "`taskctl keys init --force` replaces it") from None
        if existing is not None:
            return existing, False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=".signing.", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Signer(key, str(path)), True

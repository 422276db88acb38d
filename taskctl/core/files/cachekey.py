"""A per-user secret that authenticates taskctl's own cache files.

Why: `.tasks/.cache/` lives inside the repository. A hostile repository can commit a cache
file; the YAML cache is `marshal` data, which CPython does not promise to load safely, and a
poisoned entry would replace a task file's parse (and skip the parser limits). Each cache file
therefore starts with an HMAC-SHA256 of its payload under a 32-byte key kept in the user's
cache folder (`$XDG_CACHE_HOME/taskctl/cache-key`, mode 0600); a file whose tag does not
verify is ignored before a byte of it is decoded. No key (read-only home): no cache.

The tag is HMAC-SHA256 (RFC 2104) computed with CPython's built-in `_sha256`: `hmac` imports
`hashlib`, whose OpenSSL binding alone costs ~3 ms of a ~45 ms warm read (`_sha256`: 0.2 ms).
Same tags as `hmac.new(key, payload, hashlib.sha256)` (tested); without `_sha256` (a build
that left it out) the `hmac` module computes them.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

TAG_BYTES = 32
_BLOCK = 64  # SHA-256's block size


def sha256(data: bytes = b""):
    """A SHA-256 hash object (`_sha256`'s: the same digests as `hashlib.sha256`)."""
    try:
        from _sha256 import sha256 as new
    except ImportError:  # pragma: no cover - a CPython built without its own hashes
        from hashlib import sha256 as new
    return new(data)


def mac(k: bytes, payload: bytes) -> bytes:
    """HMAC-SHA256 of `payload` under `k`."""
    if len(k) > _BLOCK:
        k = sha256(k).digest()
    k = k.ljust(_BLOCK, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in k) + payload).digest()
    return sha256(bytes(b ^ 0x5C for b in k) + inner).digest()


def _equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison (what `hmac.compare_digest` is, without importing hashlib)."""
    try:
        from _operator import _compare_digest
    except ImportError:  # pragma: no cover - not CPython
        from hmac import compare_digest as _compare_digest
    return _compare_digest(a, b)


def _key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "taskctl" / "cache-key"


@cache
def key() -> bytes | None:
    """The key, created on first use; None when it can be neither read nor created."""
    path = _key_path()
    try:
        data = path.read_bytes()
        return data if len(data) == 32 else None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another taskctl created it first
        try:
            data = path.read_bytes()
            return data if len(data) == 32 else None
        except OSError:
            return None
    except OSError:
        return None
    import secrets  # only when the key is made (once per user)

    data = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data


def seal(payload: bytes) -> bytes | None:
    """tag + payload, or None without a key."""
    k = key()
    return None if k is None else mac(k, payload) + payload


def unseal(blob: bytes) -> bytes | None:
    """The payload when the tag verifies, else None."""
    k = key()
    if k is None or len(blob) < TAG_BYTES:
        return None
    tag, payload = blob[:TAG_BYTES], blob[TAG_BYTES:]
    return payload if _equal(tag, mac(k, payload)) else None

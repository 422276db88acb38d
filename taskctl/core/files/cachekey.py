"""A per-user secret that authenticates taskctl's own cache files.

Why: `.tasks/.cache/` lives inside the repository. A hostile repository can commit a cache
file; the YAML cache is `marshal` data, which CPython does not promise to load safely, and a
poisoned entry would replace a task file's parse (and skip the parser limits). Each cache file
therefore starts with a MAC of its payload under a 32-byte key kept in the user's
cache folder (`$XDG_CACHE_HOME/taskctl/cache-key`, mode 0600); a file whose tag does not
verify is ignored before a byte of it is decoded. No key (read-only home): no cache.

The tag is keyed BLAKE2b (RFC 7693's MAC mode, 32-byte tag) from CPython's built-in `_blake2`:
a 10,000-task tree's cache is ~11 MB, which the built-in SHA-256 of an HMAC (`hmac` itself
imports `hashlib`, whose OpenSSL binding costs ~3 ms of a ~45 ms warm read) took ~45 ms to
tag, and BLAKE2b ~15 ms, with no copy of the payload. Same tags as
`hashlib.blake2b(payload, key=key, digest_size=32)` (tested).
"""

from __future__ import annotations

import os

TAG_BYTES = 32


def sha256(data: bytes = b""):
    """A SHA-256 hash object (`_sha256`'s: the same digests as `hashlib.sha256`)."""
    try:
        from _sha256 import sha256 as new
    except ImportError:  # pragma: no cover - a CPython built without its own hashes
        from hashlib import sha256 as new
    return new(data)


def mac(k: bytes, payload: bytes) -> bytes:
    """The tag of `payload` under `k` (at most 64 bytes): keyed BLAKE2b, 32 bytes."""
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - a CPython built without its own hashes
        from hashlib import blake2b
    return blake2b(payload, key=k, digest_size=TAG_BYTES).digest()


def _equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison (what `hmac.compare_digest` is, without importing hashlib)."""
    try:
        from _operator import _compare_digest
    except ImportError:  # pragma: no cover - not CPython
        from hmac import compare_digest as _compare_digest
    return _compare_digest(a, b)


def _key_path() -> str | None:
    """Where the key lives; None without an absolute place for it (a relative
    `XDG_CACHE_HOME` is ignored, as the XDG spec says; no home: `~` stays unexpanded, and a
    key must never land in a folder named `~` under the working directory)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "taskctl", "cache-key") if os.path.isabs(base) else None


def _read(path: str) -> bytes | None:
    with open(path, "rb") as f:  # noqa: PTH123 - no pathlib on a warm read
        data = f.read(33)
    return data if len(data) == 32 else None


_key: list = []  # memo (no functools: a warm read imports nothing it does not use)


def key() -> bytes | None:
    """The key, created on first use; None when it can be neither read nor created. Read
    once a process (`forget` reads it again)."""
    if not _key:
        _key.append(_load())
    return _key[0]


def forget() -> None:
    """Read the key again on next use (a test that changes `XDG_CACHE_HOME`)."""
    _key.clear()


def _load() -> bytes | None:
    path = _key_path()
    if path is None:
        return None
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another taskctl created it first
        try:
            return _read(path)
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

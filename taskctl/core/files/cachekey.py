"""A per-user secret that authenticates taskctl's own cache files.

Why: `.tasks/.cache/` lives inside the repository. A hostile repository can commit a cache
file; the YAML cache is `marshal` data, which CPython does not promise to load safely, and a
poisoned entry would replace a task file's parse (and skip the parser limits). Each cache file
therefore starts with an HMAC-SHA256 of its payload under a 32-byte key kept in the user's
cache folder (`$XDG_CACHE_HOME/taskctl/cache-key`, mode 0600); a file whose tag does not
verify is ignored before a byte of it is decoded. No key (read-only home): no cache.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path

TAG_BYTES = 32


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
    data = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data


def seal(payload: bytes) -> bytes | None:
    """tag + payload, or None without a key."""
    k = key()
    return None if k is None else hmac.new(k, payload, hashlib.sha256).digest() + payload


def unseal(blob: bytes) -> bytes | None:
    """The payload when the tag verifies, else None."""
    k = key()
    if k is None or len(blob) < TAG_BYTES:
        return None
    tag, payload = blob[:TAG_BYTES], blob[TAG_BYTES:]
    good = hmac.new(k, payload, hashlib.sha256).digest()
    return payload if hmac.compare_digest(tag, good) else None

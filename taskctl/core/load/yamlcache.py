"""Content-keyed cache of parsed YAML front matter: sha1(yaml text) -> parsed mapping.

Parsing YAML is the dominant cost of loading a large tree (~0.17 ms a file with the C loader).
The cache is keyed by content, not by mtime, so it can never serve a stale parse; it lives in
`.tasks/.cache/` (which ignores itself in git) and is rewritten atomically only when new
entries were parsed. Any problem reading or writing it just means a cold parse. The file is
sealed with a per-user key (`files/cachekey.py`): one committed by someone else is ignored
before `marshal` sees it.
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

import yaml

from taskctl import __version__
from taskctl.core.files import atomic, cachekey

_HEADER = f"taskctl-yaml-cache/2/{__version__}/{yaml.__version__}"


class YamlCache:
    def __init__(self, root: Path, enabled: bool = True):
        self.path = root / ".cache" / "front-matter.marshal"
        self.enabled = enabled
        self.entries: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.misses = 0
        self._missed: set[str] = set()
        if enabled:
            try:
                payload = cachekey.unseal(self.path.read_bytes())
                if payload is None:
                    raise ValueError("not sealed by this user")
                header, entries = marshal.loads(payload)
                if header == _HEADER and isinstance(entries, dict):
                    self.entries = entries
            except (OSError, ValueError, EOFError, TypeError):
                pass

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    def get(self, text: str) -> tuple[str, Any]:
        k = self.key(text)
        if k in self.entries:
            self.used[k] = self.entries[k]
            return k, self.entries[k]
        return k, None

    def put(self, key: str, value: Any) -> None:
        self.misses += 1
        self.used[key] = value
        self._missed.add(key)

    # -- for worker processes (the loader's parallel parse) --------------------------------
    def reset_usage(self) -> None:
        self.used, self._missed, self.misses = {}, set(), 0

    def hit_keys(self) -> list[str]:
        return [k for k in self.used if k not in self._missed]

    def miss_entries(self) -> dict[str, Any]:
        return {k: self.used[k] for k in self._missed}

    def merge(self, hits: list[str], misses: dict[str, Any]) -> None:
        for k in hits:
            self.used[k] = self.entries[k]
        self.used.update(misses)
        self.misses += len(misses)

    def save(self) -> None:
        """Keep only entries used by this load (so the cache never grows without bound)."""
        if not self.enabled or (not self.misses and len(self.used) == len(self.entries)):
            return
        if not atomic.writable_dir(self.path.parent.parent):  # read-only tree: leave it alone
            return
        try:
            data = cachekey.seal(marshal.dumps((_HEADER, self.used)))
        except ValueError:  # a value marshal cannot hold (e.g. a nested date): skip caching
            return
        if data is None:
            return  # no key (read-only home): no cache
        from taskctl.core.files.paths import confined
        from taskctl.errors import UnsafePath

        try:
            confined(self.path.parent.parent, self.path.parent.name, self.path.name)
        except UnsafePath:
            return  # a symlinked .cache: a cache is never worth writing outside the tree
        try:
            d = self.path.parent
            d.mkdir(exist_ok=True)
            gi = d / ".gitignore"
            if not gi.exists():
                atomic.write_text(gi, "*\n")
            atomic.write_bytes(self.path, data)
        except OSError:
            pass

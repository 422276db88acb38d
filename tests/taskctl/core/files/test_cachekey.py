"""The per-user seal of taskctl's cache files (`core/files/cachekey.py`)."""

from __future__ import annotations

import hashlib
import os

from taskctl.core.files import cachekey


def test_tag_is_keyed_blake2b():
    for k in (b"", b"k" * 32, os.urandom(64)):
        for msg in (b"", b"abc", os.urandom(100_000)):
            assert cachekey.mac(k, msg) == hashlib.blake2b(msg, key=k, digest_size=32).digest()


def test_seal_round_trip_and_any_changed_byte_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cachekey.forget()
    try:
        payload = os.urandom(1000)
        blob = cachekey.seal(payload)
        assert blob is not None and cachekey.unseal(blob) == payload
        for i in (0, cachekey.TAG_BYTES - 1, cachekey.TAG_BYTES, len(blob) - 1):
            forged = bytearray(blob)
            forged[i] ^= 1
            assert cachekey.unseal(bytes(forged)) is None
        assert cachekey.unseal(blob[:cachekey.TAG_BYTES - 1]) is None
        other = cachekey.mac(os.urandom(32), payload) + payload  # another user's key
        assert cachekey.unseal(other) is None
    finally:
        cachekey.forget()

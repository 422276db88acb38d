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


def test_no_absolute_home_means_no_key_and_nothing_written(tmp_path, monkeypatch):
    """No home to expand `~` to (HOME unset and no passwd entry, or HOME relative) and no
    absolute XDG_CACHE_HOME (a relative one is ignored, as the XDG spec says): no key, so no
    cache — never a key file under a folder named `~` in the working directory."""
    monkeypatch.chdir(tmp_path)
    for home, xdg in (("relative-home", None), ("relative-home", "relative-cache"),
                      ("~", None)):
        monkeypatch.setenv("HOME", home)
        if xdg is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        cachekey.forget()
        try:
            assert cachekey.key() is None and cachekey.seal(b"x") is None
        finally:
            cachekey.forget()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("HOME", "relative-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # absolute: used
    cachekey.forget()
    try:
        assert len(cachekey.key()) == 32
        assert (tmp_path / "cache" / "taskctl" / "cache-key").stat().st_mode & 0o777 == 0o600
    finally:
        cachekey.forget()

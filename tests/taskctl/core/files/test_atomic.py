"""Atomic writes: durable by default (file and directory fsynced), caches may skip the fsyncs."""

from __future__ import annotations

import os

import pytest

from taskctl.core.files import atomic


@pytest.fixture
def fsyncs(monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    return calls


def test_a_durable_write_syncs_the_file_and_its_directory(tmp_path, fsyncs):
    p = tmp_path / "d" / "state.json"
    atomic.write_bytes(p, b"one")
    atomic.write_bytes(p, b"two")
    assert p.read_bytes() == b"two" and len(fsyncs) == 4
    assert sorted(os.listdir(p.parent)) == ["state.json"]  # no temp file left


def test_a_cache_write_is_atomic_but_syncs_nothing(tmp_path, fsyncs):
    p = tmp_path / "cache.bin"
    p.write_bytes(b"old")
    os.chmod(p, 0o640)
    atomic.write_bytes(p, b"new", durable=False)
    assert p.read_bytes() == b"new" and fsyncs == []
    assert os.stat(p).st_mode & 0o777 == 0o640  # replaced, keeping the mode
    assert os.listdir(tmp_path) == ["cache.bin"]

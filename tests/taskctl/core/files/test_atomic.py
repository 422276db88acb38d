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


def test_the_caches_write_without_syncing(copy_example, fsyncs, monkeypatch, no_racy_window):
    """A load that saves the per-file cache and a planning answer that is stored sync nothing
    (each sealed: a torn file is rejected and rebuilt); the manifest's own writes still do."""
    from taskctl.core.load import loader
    from taskctl.core.plan import cache

    tasks = copy_example("agent-mvp")
    loader.load(tasks)
    assert list((tasks / ".cache").glob("task-files-*.marshal"))
    cache.put(tasks, "next", {}, cache.key(tasks, "next", {}), {"x": 1})
    assert list((tasks / ".cache").glob("next-*.answer")) and fsyncs == []

"""taskctl's own cache files (`core/files/sealed.py`): sealed, regular, inside the tree."""

from __future__ import annotations

import os

import pytest

from taskctl.core.files import cachekey, sealed


@pytest.fixture(autouse=True)
def own_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    cachekey.forget()
    yield
    cachekey.forget()


def test_round_trip_in_an_ignored_folder(tmp_path):
    root = tmp_path / ".tasks"
    root.mkdir()
    assert sealed.write(root, "x.bin", b"payload")
    assert sealed.read(root, "x.bin", 1 << 20) == b"payload"
    assert (root / ".cache" / ".gitignore").read_text() == "*\n"
    assert sealed.read(root, "x.bin", 3) is None  # over its limit: not read
    (root / ".cache" / "y.bin").write_bytes(b"\0" * 32 + b"payload")  # not sealed by us
    assert sealed.read(root, "y.bin", 1 << 20) is None


def test_never_written_through_a_cache_folder_that_leads_out(tmp_path):
    root, outside = tmp_path / ".tasks", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / ".cache").symlink_to(outside)
    assert not sealed.write(root, "x.bin", b"payload")
    assert os.listdir(outside) == []


def test_a_legacy_file_is_dropped_but_a_link_is_left(tmp_path):
    old, target = tmp_path / "old.json", tmp_path / "target"
    old.write_text("{}")
    sealed.drop_legacy(old)
    assert not old.exists()
    target.write_text("keep")
    old.symlink_to(target)
    sealed.drop_legacy(old)
    assert old.is_symlink() and target.read_text() == "keep"

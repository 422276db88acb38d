"""Fixtures for taskctl's own tests (the trainer's tests do not load this file: acceptance
evidence fingerprints the files a run reads, and `tests/conftest.py` is one of them)."""

from __future__ import annotations

import os

import pytest

# No read in a test (nor the taskctl processes it starts) starts a store's resident process on
# its own (`cli/autoserve.py`): tests/taskctl/cli/test_autoserve.py asks for it explicitly.
os.environ["TASKCTL_SERVE"] = "0"


@pytest.fixture
def no_racy_window(monkeypatch):
    """The per-file cache stores files written just now (a test's tree is seconds old, inside
    the 2 s window in which the cache does not trust a file's stat)."""
    from taskctl.core.load import filecache

    monkeypatch.setattr(filecache, "RACY_NS", 0)


@pytest.fixture(autouse=True)
def nothing_held_past_a_test(monkeypatch):
    """A test that turns `SHORT_LIVED` on (a read answer in process) would leave what the
    answer held for its exit (`core.load.hold_to_exit`) alive for the rest of the run: each
    test gets its own list, dropped with it."""
    import taskctl.core.load

    monkeypatch.setattr(taskctl.core.load, "_HELD", [])

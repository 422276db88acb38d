"""The client side of `taskctl serve` (`core/resident/channel.py`) without a server."""

from __future__ import annotations

import os

from taskctl.core.files import codestamp
from taskctl.core.resident import channel


def test_the_stamp_moves_with_the_code_that_computes_answers(tmp_path, monkeypatch):
    """A server started before `cli/answers.py` was edited must not answer the new code."""
    core, cli = tmp_path / "taskctl" / "core", tmp_path / "taskctl" / "cli"
    core.mkdir(parents=True)
    cli.mkdir()
    (cli / "answers.py").write_text("x = 1\n")
    monkeypatch.setattr(codestamp, "CORE", str(core))
    before = channel.stamp()
    assert channel.stamp() == before
    os.utime(cli / "answers.py", ns=(1, 2))
    assert channel.stamp() != before


def test_no_marker_no_socket(copy_example):
    root = copy_example("agent-mvp")
    assert not channel.marked(str(root))
    assert channel.connect(str(root)) is None
    (root / ".cache").mkdir(exist_ok=True)
    (root / ".cache" / channel.MARKER).write_text("4242")  # a stale marker: nobody listens
    assert channel.marked(str(root)) and channel.connect(str(root)) is None

"""Acceptance commands see taskctl's own interpreter first on PATH (venv need not be active)."""

from __future__ import annotations

import os
import subprocess
import sys

from taskctl.core.verify.task import command_env


def test_interpreter_dir_is_first_on_path_and_item_env_applies(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    env = command_env({"FOO": "bar"})
    assert env["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert env["PATH"].endswith("/usr/bin:/bin") and env["FOO"] == "bar"
    out = subprocess.run(["sh", "-c", "command -v python"], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert os.path.dirname(out) == os.path.dirname(sys.executable)


def test_path_is_not_prefixed_twice(monkeypatch):
    bindir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", bindir + os.pathsep + "/bin")
    assert command_env({})["PATH"] == bindir + os.pathsep + "/bin"

"""Shared fixtures: example trees copied into tmp dirs, and an in-process taskctl runner.

The runner calls the real entry point (`taskctl.cli.app.main`), so option hoisting, error
mapping and exit codes are exercised exactly as from a shell, without a subprocess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tree_copy import copy_tracked

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES = SHARED / "examples"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture(scope="session")
def _signing_config(tmp_path_factory) -> Path:
    """One taskctl config dir with a signing key for the whole session (never ~/.config)."""
    from taskctl.core.verify import keys

    cfg = tmp_path_factory.mktemp("taskctl-config")
    keys.init({keys.CONFIG_DIR_ENV: str(cfg)})
    return cfg


@pytest.fixture(autouse=True)
def _isolated_keys(_signing_config, monkeypatch):
    """Every test (and every taskctl subprocess it starts) signs with the session's test key,
    read from a tmp config dir: tests never read or write the user's real keys."""
    from taskctl.core.verify import keys

    monkeypatch.setenv(keys.CONFIG_DIR_ENV, str(_signing_config))
    monkeypatch.delenv(keys.SIGNING_KEY_ENV, raising=False)


@pytest.fixture
def copy_example(tmp_path):
    """Copy ../shared/examples/NAME into tmp and return its .tasks path."""

    def _copy(name: str) -> Path:
        src = EXAMPLES / name
        if not src.is_dir():
            pytest.fail(f"example {name} missing at {src} (CI clones shared/ beside the repo)")
        return copy_tracked(src, tmp_path / name) / ".tasks"

    return _copy


@pytest.fixture
def taskctl(capsys, monkeypatch):
    """Run taskctl in-process: taskctl(["validate", "--json"], cwd=...) -> Result."""
    from taskctl.cli.app import main

    def _run(args: list[str], cwd: Path | None = None, env: dict | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run

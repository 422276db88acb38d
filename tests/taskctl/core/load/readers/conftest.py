"""The dialect fixtures (tests/fixtures/dialects/NAME/<store>), copied into tmp."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "dialects"
STORES = {"taskmaster": ".taskmaster", "beads": ".beads", "backlog-md": "backlog"}


@pytest.fixture
def dialect_tree(tmp_path):
    """dialect_tree(NAME) -> the store folder of a writable copy of fixture NAME."""

    def _copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        return dst / STORES.get(name, ".tasks")

    return _copy

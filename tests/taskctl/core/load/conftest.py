"""Fixtures shared by the loader's tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def generated(tmp_path):
    """A generated 120-task tree (benchmarks/gen_tree.py): its .tasks path."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from gen_tree import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    generate(tmp_path / "gen", 120)
    return tmp_path / "gen" / ".tasks"

"""Fixtures shared by the loader's tests."""

from __future__ import annotations

import pytest

from tests.taskctl.generated import generated_tree


@pytest.fixture
def generated(tmp_path):
    """A generated 120-task tree (benchmarks/gen_tree.py): its .tasks path."""
    return generated_tree(tmp_path / "gen", 120)

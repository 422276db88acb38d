"""A generated `.tasks` tree for tests: `benchmarks/gen_tree.py`, imported from its folder."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def generated_tree(out: Path, count: int) -> Path:
    """`count` valid tasks under `out/.tasks` (deterministic); that `.tasks` path."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from gen_tree import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    generate(out, count)
    return out / ".tasks"

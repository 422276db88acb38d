"""Cross-file checks (`core/load/checks.py`): a dependency cycle is said the same way
whatever order the tasks were loaded in (the parallel loader's order is not fixed)."""

from __future__ import annotations

import random

from taskctl.core.load import checks
from tests.taskctl.core.plan.planning_fixtures import backlog, task

# one component holding two cycles (A→B→C→A and A→D→A) and a separate one (X→Y→X)
DEPS = {"A": ["C", "D"], "B": ["A"], "C": ["B"], "D": ["A"], "E": ["A"], "X": ["Y"],
        "Y": ["X"], "T10": ["T9"], "T9": ["T10"]}


def _messages(order: list[str]) -> list[str]:
    bl = backlog(*(task(t, deps=DEPS[t]) for t in order))
    bl.problems.clear()
    checks._cycles(bl)
    return [p.message for p in bl.problems]


def test_a_cycle_is_said_the_same_whatever_the_load_order():
    ids = list(DEPS)
    first = _messages(ids)
    rng = random.Random(7)
    for _ in range(30):
        rng.shuffle(ids)
        assert _messages(ids) == first
    assert len(first) == 3
    assert first[0].startswith("dependency cycle: A → ")  # from the least id on it
    assert first[1].startswith("dependency cycle: T9 → T10 → T9")  # ids in natural order

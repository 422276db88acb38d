"""`jsonout.pretty` writes exactly what `json.dumps(..., indent=2, ensure_ascii=False,
default=str)` writes (the --json documents), faster; whatever it does not handle itself goes
to `json.dumps`."""

from __future__ import annotations

import enum
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.render import jsonout


def reference(value):
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 1


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=8) | st.sampled_from(["é", "\u2028", "\x00", '"q"', "\\", "\n"])
           | st.sampled_from([Colour.RED, Level.HIGH, Path("a/b"), math.inf, -math.inf]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5) | st.sampled_from([1, 2.5, True, None]), inner,
                      max_size=4),
    max_leaves=25)


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(VALUES)
def test_pretty_writes_what_json_dumps_writes(value):
    try:
        want = reference(value)
    except (TypeError, ValueError) as e:  # json refuses it: so does pretty, alike
        with pytest.raises(type(e)):
            jsonout.pretty(value)
        return
    assert jsonout.pretty(value) == want


def test_the_usual_documents_are_written_alike():
    rows = [{"id": f"T{i}", "title": "t é", "status": Colour.RED if i % 3 else "pending",
             "priority": "P1", "phase": None, "tags": ["a", "b"], "depends_on": [],
             "estimated_hours": 0.5 * i, "held": {}, "n": i} for i in range(50)]
    doc = {"tasks": rows, "total": 1.5, "ok": True, "nested": [[1, [2, []]], {"k": {}}]}
    assert jsonout.document(doc) == reference({"schema_version": 1, **doc})


def test_a_cycle_is_refused_as_json_refuses_it():
    a: list = []
    a.append(a)
    with pytest.raises(ValueError, match="Circular"):
        jsonout.pretty({"a": a})

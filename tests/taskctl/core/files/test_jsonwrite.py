"""The indented JSON writer (`core/files/jsonwrite.py`) gives the text `json.dumps(data,
indent=n, ensure_ascii=False)` gives — or the error it raises — on the manifests taskctl
writes and on generated documents, including the values it leaves to `json.dumps`."""

from __future__ import annotations

import enum
import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.files import jsonwrite

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_tree import generate  # noqa: E402


def reference(data, indent: int = 2):
    try:
        return json.dumps(data, indent=indent, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as e:
        return type(e)


def ours(data, indent: int = 2):
    try:
        return jsonwrite.dumps(data, indent)
    except (TypeError, ValueError, RecursionError) as e:
        return type(e)


class Word(enum.StrEnum):  # a str subclass, as a task's status is
    DONE = "done"
    ODD = "ünï\"code"


class Level(enum.IntEnum):
    LOW = 1


SPECIAL = [math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, 1.0, 0.1]
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-(10**40), 10**40)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(SPECIAL)
           | st.text()
           | st.sampled_from(list(Word)) | st.just(Level.LOW))
keys = st.text() | st.sampled_from(list(Word))
documents = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=5) | st.lists(st.text(), max_size=5)
                   | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(keys, inner, max_size=5)
                   # keys json.dumps turns into text its own way: left to it
                   | st.dictionaries(st.integers() | st.none() | st.booleans()
                                     | st.floats(allow_nan=False), inner, max_size=2)),
    max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(data=documents, indent=st.sampled_from([0, 1, 2, 4]))
def test_generated_documents_read_as_json_dumps_writes_them(data, indent):
    assert ours(data, indent) == reference(data, indent)


@pytest.mark.parametrize("value", SPECIAL)
def test_special_numbers_in_every_place(value):
    for data in (value, [value], [value, "x"], {"k": value}, {"k": [value]}, {"k": {"j": value}}):
        assert ours(data) == reference(data), data


@pytest.mark.parametrize("example", ["agent-mvp", "broken"])
def test_the_examples_manifests_are_written_as_json_dumps_writes_them(example, copy_example):
    text = (copy_example(example) / "manifest.json").read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        pytest.skip("this example's manifest is not JSON (the broken one may not be)")
    for indent in (1, 2, 4):
        assert jsonwrite.dumps(data, indent) == reference(data, indent)


def test_a_large_claimed_manifest_and_the_bundled_one(tmp_path):
    root = generate(tmp_path / "gen", 300)
    data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    data["dependency_graph"] = {e["id"]: e.get("depends_on", []) for e in data["tasks"]}
    data["stats"] = {"total": 300, "by_status": {Word.DONE: 3}, "mean": math.pi}
    assert jsonwrite.dumps(data) == reference(data)
    bundled = json.loads((REPO / ".tasks" / "manifest.json").read_text(encoding="utf-8"))
    assert jsonwrite.dumps(bundled) == reference(bundled)


def test_what_json_dumps_refuses_is_refused_the_same_way():
    loop: list = []
    loop.append(loop)
    assert ours({"a": loop}) is ValueError and reference({"a": loop}) is ValueError
    assert ours({"a": object()}) is TypeError and reference({"a": object()}) is TypeError
    assert ours({(1, 2): 1}) is TypeError  # a key json cannot write
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert ours(deep) == reference(deep)  # too deep for either: the same error

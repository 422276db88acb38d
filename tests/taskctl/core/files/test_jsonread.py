"""`jsonread.loads`: the one set of limits for every JSON state file (nesting, numbers)."""

from __future__ import annotations

import json

import pytest

from taskctl.core.files import jsonread


def nested(depth: int) -> str:
    """A document `depth` levels deep, lists and objects alternating, wide at every level."""
    doc: object = 1
    for level in range(depth - 1):
        doc = [0, "x", doc, {"k": []}] if level % 2 else {"a": 1, "b": [], "c": doc}
    return json.dumps(doc if depth > 1 else [])


@pytest.mark.parametrize("depth", [1, 2, 3, jsonread.MAX_DEPTH])
def test_documents_up_to_the_limit_are_read(depth):
    text = nested(depth)
    assert jsonread.loads(text) == json.loads(text)
    assert jsonread._depth(json.loads(text)) == depth


@pytest.mark.parametrize("depth", [jsonread.MAX_DEPTH + 1, 500])
def test_deeper_documents_are_refused_with_a_position(depth):
    with pytest.raises(jsonread.JsonLimit, match="nested too deeply") as e:
        jsonread.loads(nested(depth))
    assert e.value.line == 1 and e.value.column is not None


@pytest.mark.parametrize("text,what", [
    ('{"a": NaN}', "non-finite"), ('[1e999]', "out of range"),
    ('{"n": ' + "9" * 31 + "}", "digits"), ('{"a": [1,}', "syntax"),
])
def test_refused_numbers_and_syntax(text, what):
    with pytest.raises(jsonread.JsonLimit, match=what):
        jsonread.loads(text)

"""`jsonread.loads`: the one set of limits for every JSON state file (nesting, numbers).

The limits are read off the text's bytes (`_nesting`, `_plain_numbers`); the reference they
are held to here is what `loads` did before: a walk of the parsed values for the depth and a
Python hook on every number."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.files import jsonread

MAX = jsonread.MAX_DEPTH
HYP = settings(max_examples=700, deadline=None, database=None, derandomize=True)


def walked_depth(value) -> int:
    """The reference: nesting depth of a parsed value, level by level (up to MAX + 1)."""
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX:
            return depth
        nxt: list = []
        for v in level:
            nxt += [x for x in (v.values() if isinstance(v, dict) else v)
                    if isinstance(x, dict | list)]
        level = nxt
    return depth


def hooked_loads(text: str):
    """The reference: `loads` with a hook on every number and the walk."""
    def constant(name):
        raise jsonread.JsonLimit(f"non-finite number {name} is not allowed",
                                 *jsonread._position(text, name))

    def number(s):
        f = float(s)
        if not math.isfinite(f):
            raise jsonread.JsonLimit(f"number {s[:20]} is out of range",
                                     *jsonread._position(text, s))
        return f

    def integer(s):
        n = len(s.lstrip("-"))
        if n > jsonread.MAX_INT_DIGITS:
            raise jsonread.JsonLimit(f"integer of {n:,} digits (at most "
                                     f"{jsonread.MAX_INT_DIGITS})",
                                     *jsonread._position(text, s[:40]))
        return int(s)

    try:
        data = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    except json.JSONDecodeError as e:
        raise jsonread.JsonLimit(f"JSON syntax error: {e.msg}", e.lineno, e.colno) from None
    except RecursionError:
        raise jsonread.JsonLimit("too deep", 1, 1) from None
    if isinstance(data, dict | list) and walked_depth(data) > MAX:
        m = re.search(r"[\[{]\s*" * 8, text)
        raise jsonread.JsonLimit(f"JSON nested too deeply (more than {MAX} levels)",
                                 *(jsonread._position(text, m.group(0)) if m else (1, 1)))
    return data


def outcome(f, text: str):
    """What `f(text)` gives: ("ok", the value's JSON) or ("refused", message, line, column)."""
    try:
        v = f(text)
    except jsonread.JsonLimit as e:
        return ("refused", e.message, e.line, e.column)
    return ("ok", json.dumps(v, sort_keys=True), repr(v))


def nested(depth: int) -> str:
    """A document `depth` levels deep, lists and objects alternating, wide at every level."""
    doc: object = 1
    for level in range(depth - 1):
        doc = [0, "x", doc, {"k": []}] if level % 2 else {"a": 1, "b": [], "c": doc}
    return json.dumps(doc if depth > 1 else [])


@pytest.mark.parametrize("depth", [1, 2, 3, MAX])
def test_documents_up_to_the_limit_are_read(depth):
    text = nested(depth)
    assert jsonread.loads(text) == json.loads(text)
    assert jsonread._nesting(text.encode()) == walked_depth(json.loads(text)) == depth


@pytest.mark.parametrize("depth", [MAX + 1, 500])
def test_deeper_documents_are_refused_with_a_position(depth):
    with pytest.raises(jsonread.JsonLimit, match="nested too deeply") as e:
        jsonread.loads(nested(depth))
    assert e.value.line == 1 and e.value.column is not None


@pytest.mark.parametrize("text,what", [
    ('{"a": NaN}', "non-finite"), ('[1e999]', "out of range"), ('[1E+0400]', "out of range"),
    ('{"n": ' + "9" * 31 + "}", "digits"), ('[-' + "1" * 40 + "]", "digits"),
    ("[" + "9" * 400 + ".5]", "out of range"), ('{"a": [1,}', "syntax"),
])
def test_refused_numbers_and_syntax(text, what):
    with pytest.raises(jsonread.JsonLimit, match=what):
        jsonread.loads(text)


@pytest.mark.parametrize("text,depth", [
    ('{"a": "[[[{"}', 1), (r'["\"[", "\\", ["\\\"]"]]', 2), (r'{"k\\": {"\\\\\"": [[]]}}', 4),
    ('[{}, [[]], {"a": [{}]}]', 4), ('"[[["', 0), ("[[[[]]], []]", 4), ('{"[": ["]"]}', 2),
])
def test_brackets_in_strings_and_escapes(text, depth):
    assert walked_depth(json.loads(text)) == depth or depth == 0
    assert jsonread._nesting(text.encode()) == depth


# strings rich in what the text reading must get right: brackets, quotes, backslashes
TRICKY = st.text(alphabet=st.sampled_from(list('[]{}"\\/ ,:ab\n\t\u00e9\u2028\U0001f600')),
                 max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | TRICKY,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(TRICKY, kids, max_size=5),
    max_leaves=40)


@HYP
@given(value=VALUES, ascii_only=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_nesting_read_off_the_text_is_the_walked_depth(value, ascii_only, indent):
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    raw = text.encode("utf-8", "surrogatepass")
    want = walked_depth(value) if isinstance(value, dict | list) else 0
    assert jsonread._nesting(raw) == want
    assert outcome(jsonread.loads, text) == outcome(hooked_loads, text)


@HYP
@given(depth=st.integers(MAX - 2, MAX + 3), pad=TRICKY)
def test_nesting_at_the_limit(depth, pad):
    value: object = [pad]
    for i in range(depth - 1):
        value = {pad: value} if i % 2 else [value, pad]
    text = json.dumps(value)
    assert outcome(jsonread.loads, text) == outcome(hooked_loads, text)


NUMBER = st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,5})?",
                       fullmatch=True)


@HYP
@given(numbers=st.lists(NUMBER, min_size=1, max_size=4), note=TRICKY)
def test_numbers_as_the_hooks_judge_them(numbers, note):
    text = '{"n": ' + json.dumps(note) + ', "v": [' + ", ".join(numbers) + "]}"
    got = outcome(jsonread.loads, text)
    assert got == outcome(hooked_loads, text)
    if got[0] == "refused":  # what the hooks refuse is never taken for plain numbers
        assert not jsonread._plain_numbers(text.encode())

"""Lines of manifest entries and keys (`manifest.LineIndex`): the lazy ways to find them give
the lines the exact way gives, on any manifest (problems point at these lines)."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.load import manifest as mf

_ID = st.sampled_from(["T1", "T2", "T10", "A-1", 'q"x', "back\\slash", "é", ""])
_ENTRY = st.one_of(
    st.fixed_dictionaries({"id": _ID}, optional={
        "title": st.text(max_size=8), "depends_on": st.lists(_ID, max_size=2),
        "meta": st.fixed_dictionaries({"id": _ID})}),
    st.fixed_dictionaries({"title": st.text(max_size=5)}, optional={"id": _ID}),
    st.integers(), st.just([]))


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(_ENTRY, max_size=8), indent=st.sampled_from([None, 1, 2]),
       before=st.booleans(), reverse=st.booleans(), order=st.randoms())
def test_entry_lines_asked_in_any_order_equal_the_whole_decode(entries, indent, before,
                                                               reverse, order):
    """Entries decoded only as far as asked, lines counted: the same lines as decoding every
    entry first and indexing every newline."""
    entries = [dict(reversed(e.items())) if reverse and isinstance(e, dict) else e
               for e in entries]
    doc = {"phases": [{"name": "p", "tasks": ["T1"]}]} if before else {}
    doc["tasks"] = entries
    doc["milestones"] = [{"id": "T1", "tasks": ["T2"]}]
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    whole = mf.LineIndex(text)
    whole.spans  # noqa: B018 - every entry decoded first
    whole._counted = 2 * len(text) + 1  # counting given up: the index of every newline
    lazy = mf.LineIndex(text)
    asks = [(i, key) for i in range(len(entries) + 1)
            for key in (None, "id", "title", "depends_on", "meta")]
    order.shuffle(asks)
    for i, key in asks:
        assert lazy.entry(i, key) == whole.entry(i, key), (i, key)


def test_only_the_entries_asked_for_are_decoded():
    entries = [{"id": f"T{i}", "title": "x"} for i in range(40)]
    text = json.dumps({"tasks": entries}, indent=1)
    index = mf.LineIndex(text)
    assert index.entry(2, "title") == 13 and len(index._array[1]) == 3
    lines = [index.entry(i, "title") for i in range(40)]
    assert lines == [5 + 4 * i for i in range(40)]
    # asked in order: counted from the last one asked, no index of every newline
    assert "_newlines" not in index.__dict__ and index._counted < 2 * len(text)
    assert len(index.spans) == 40


def test_lines_asked_out_of_order_fall_back_to_the_newline_index():
    entries = [{"id": f"T{i}", "title": "x"} for i in range(40)]
    text = json.dumps({"tasks": entries}, indent=1)
    index = mf.LineIndex(text)
    for _ in range(3):  # back and forth over the whole text: counting would rescan it
        assert index.entry(39, "title") == 5 + 4 * 39 and index.entry(0, "title") == 5
    assert "_newlines" in index.__dict__ and index._counted <= 3 * len(text)
    assert [index.entry(i) for i in (7, 3, 30)] == [3 + 4 * i for i in (7, 3, 30)]
    assert index.entry(40) is None and mf.LineIndex("{}").entry(0) is None


_UNIQUE = st.lists(st.fixed_dictionaries({"title": st.text(max_size=5)}, optional={
    "depends_on": st.lists(_ID, max_size=2), "meta": st.fixed_dictionaries({"id": _ID})}),
    max_size=10)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the same patch each
@given(entries=_UNIQUE, indent=st.sampled_from([None, 1, 2]), others=st.lists(
    st.sampled_from([0, [], "x"]), max_size=2), shared=st.integers(0, 12), order=st.randoms())
def test_entries_found_from_their_data_are_where_the_whole_decode_puts_them(
        monkeypatch, entries, indent, others, shared, order):
    """With the entry's data the guessed starts are tried first (`_jump`): on any layout —
    one line, indented, an entry sharing a line with the one before, entries that are no
    objects (which shift the guess) — the line is the exact one, for ids unique as a valid
    manifest's are."""
    monkeypatch.setattr(mf, "JUMP_AFTER", 0)
    entries = [{"id": f"T{i}", **e} for i, e in enumerate(entries)]
    for k, other in enumerate(others):
        entries.insert(1 + 2 * k, other)
    text = json.dumps({"tasks": entries, "phases": [{"name": "p"}]}, indent=indent)
    if indent and shared:
        at = [m.start() for m in re.finditer(r"\},\n\s*\{", text)]
        if at:
            k = at[shared % len(at)]
            text = text[:k] + "}, {" + text[text.index("{", k + 1) + 1:]
    assert json.loads(text)["tasks"] == entries
    whole = mf.LineIndex(text)
    whole.spans  # noqa: B018 - every entry decoded first
    lazy = mf.LineIndex(text)
    asks = [(i, key) for i in range(len(entries)) for key in (None, "id", "title", "meta")]
    order.shuffle(asks)
    for i, key in asks:
        assert lazy.entry(i, key, entries[i]) == whole.entry(i, key), (i, key)


def test_an_entry_far_down_is_found_without_decoding_those_before():
    entries = [{"id": f"T{i}", "title": "x", "acceptance": [{"run": "true"}]}
               for i in range(400)]
    text = json.dumps({"tasks": entries}, indent=2)
    index = mf.LineIndex(text)
    line = index.entry(350, "title", entries[350])
    assert line == mf.LineIndex(text).entry(350, "title")
    assert len(index._array[1]) == 1  # only the first entry decoded (its indentation)
    # the data given does not match what sits there (the guess or the caller is off): the
    # exact scan answers
    assert index.entry(351, "title", entries[350]) == mf.LineIndex(text).entry(351, "title")
    assert len(index._array[1]) == 352


def test_an_entry_jumped_to_is_decoded_once_for_all_its_keys(monkeypatch):
    """A patched entry's warnings ask its lines key by key: the object at its guessed start
    is decoded once, and its data is still checked against each ask's."""
    entries = [{"id": f"T{i}", "title": "x", "status": "pending"} for i in range(400)]
    text = json.dumps({"tasks": entries}, indent=2)
    index = mf.LineIndex(text)
    index.entry(0, "id")  # the first entry decoded: its indentation known
    calls = []
    real = mf._DECODER.raw_decode
    monkeypatch.setattr(mf, "_DECODER", type("D", (), {"raw_decode": staticmethod(
        lambda t, pos: calls.append(pos) or real(t, pos))}))
    whole = mf.LineIndex(text)
    lines = [index.entry(300, key, entries[300]) for key in ("id", "title", "status", "id")]
    assert len(calls) == 1
    assert lines == [whole.entry(300, key) for key in ("id", "title", "status", "id")]
    assert index.entry(300, "id", entries[301]) == whole.entry(300, "id")  # not its data

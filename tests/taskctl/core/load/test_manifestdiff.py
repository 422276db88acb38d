"""Another program's manifest write found from its bytes (`core/load/manifestdiff.py`): where
each entry lies in the bytes, and the one entry a write changed — never a wrong one: whenever
`changed` names an entry, the document now is the document then with that entry replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.files import jsonread
from taskctl.core.load import journal, manifestdiff, stored
from tests.taskctl.generated import generated_tree

REPO = Path(__file__).resolve().parents[4]


def _doc(n: int = 5, **extra) -> dict:
    return {"project": {"name": "p"},
            "tasks": [{"id": f"T{i}", "title": f"Task {i} é", "file": f"tasks/T{i}.md",
                       "status": "pending", "depends_on": [f"T{i - 1}"] if i else []}
                      for i in range(n)],
            **extra}


def _entries_at(data: bytes, where: list[int]) -> list:
    return [json.loads(data[a:b].decode()) for a, b in zip(where[::2], where[1::2],
                                                            strict=True)]


def _kept(root, data: bytes) -> bytes:
    digest = journal.digest(data)
    assert manifestdiff.keep(root, data, digest)
    return digest


@pytest.mark.parametrize("dump", [
    lambda d: json.dumps(d, indent=2, ensure_ascii=False),
    lambda d: json.dumps(d, indent=1),
    lambda d: json.dumps(d, separators=(",", ":")),
    lambda d: "\ufeff" + json.dumps(d, indent="\t", ensure_ascii=False),
])
def test_the_spans_are_the_entries_texts(dump):
    doc = _doc(derived={"tasks": ["a"], "x": "\\u0074asks"})
    data = dump(doc).encode()
    where = manifestdiff.spans(data)
    assert _entries_at(data, where) == doc["tasks"]


def test_the_spans_of_real_manifests(tmp_path, copy_example):
    for path in [REPO / ".tasks" / "manifest.json", copy_example("agent-mvp") / "manifest.json",
                 generated_tree(tmp_path / "g", 40) / "manifest.json"]:
        data = path.read_bytes()
        assert _entries_at(data, manifestdiff.spans(data)) == json.loads(data)["tasks"]


@pytest.mark.parametrize("text", [
    "[]", "{}", '{"tasks": {}}', '{"tasks": [1], "tasks": [2]}',
    '{"tasks": [1], "ta\\u0073ks": [2]}', '{"tasks": [1, 2', '{"tasks": [NaN]}'])
def test_no_spans_where_the_entries_are_not_one_list(text):
    assert manifestdiff.spans(text.encode()) is None


def test_one_changed_entry_is_found(tmp_path):
    doc = _doc()
    old = json.dumps(doc, indent=2, ensure_ascii=False).encode()
    then = _kept(tmp_path, old)
    was = dict(doc["tasks"][3])
    doc["tasks"][3]["title"] = "Longer — a title written by another tool"
    new = json.dumps(doc, indent=2, ensure_ascii=False).encode()
    entries, where, before = manifestdiff.changed(tmp_path, then, new)
    assert entries == {3: doc["tasks"][3]} and before == {3: was}
    assert _entries_at(new, where) == doc["tasks"]
    assert manifestdiff.changed(tmp_path, then, old) == ({}, manifestdiff.spans(old), {})


@pytest.mark.parametrize("edit", [
    lambda t: t.replace('"Task 1 é"', '"x"').replace('"Task 3 é"', '"y"'),  # two entries
    lambda t: t.replace("Task 1", "Task 8").replace("Task 3", "Task 9"),  # as long as before
    lambda t: t.replace('"p"', '"q"'),  # outside the list
    lambda t: t.replace("},\n    {", "}, \n    {", 1),  # between two entries
    lambda t: t.replace('[]\n    }', '[]\n    }, {}', 1),  # an entry added after one
    lambda t: t.replace('"title": "Task 2 é"', '"title": NaN', 1),
    lambda t: t.replace('"title": "Task 2 é"', '"title": ' + "[" * 63 + "]" * 63, 1),
    lambda t: t.replace('"title": "Task 2 é"', '"title": 1' + "0" * 40, 1),
    lambda t: t.replace('"title": "Task 2 é"', '"title": "\0"', 1),
])
def test_any_other_change_is_not_taken(tmp_path, edit):
    old_text = json.dumps(_doc(), indent=2, ensure_ascii=False)
    then = _kept(tmp_path, old_text.encode())
    new_text = edit(old_text)
    assert new_text != old_text
    assert manifestdiff.changed(tmp_path, then, new_text.encode()) is None


def test_nesting_is_counted_from_the_entrys_depth(tmp_path):
    """An entry as deep as the limit allows inside the document is taken; one level more,
    which the whole document's read refuses, is not."""
    old_text = json.dumps(_doc(), indent=2)
    then = _kept(tmp_path, old_text.encode())
    for levels, taken in ((jsonread.MAX_DEPTH - 3, True), (jsonread.MAX_DEPTH - 2, False)):
        new_text = old_text.replace('"Task 2 \\u00e9"', "[" * levels + "]" * levels, 1)
        got = manifestdiff.changed(tmp_path, then, new_text.encode())
        assert (got is not None) == taken
        if not taken:
            with pytest.raises(jsonread.JsonLimit):
                jsonread.loads(new_text)


def test_a_copy_of_other_bytes_or_forged_is_not_used(tmp_path):
    old = json.dumps(_doc(), indent=2).encode()
    then = _kept(tmp_path, old)
    new = old.replace(b"Task 2", b"Task 9")
    assert manifestdiff.changed(tmp_path, journal.digest(new), new) is None
    path = tmp_path / ".cache" / manifestdiff.NAME
    blob = bytearray(path.read_bytes())
    blob[-40] ^= 1
    path.write_bytes(bytes(blob))
    assert manifestdiff.changed(tmp_path, then, new) is None
    assert stored.read(tmp_path, manifestdiff.NAME) is None


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=6),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids,
                                                               max_size=3),
    max_leaves=6)
_entry = st.dictionaries(st.sampled_from(["id", "title", "file", "x", "é"]), _values,
                         max_size=4)
_layout = st.sampled_from([{"indent": 2, "ensure_ascii": False}, {"indent": 1},
                           {"separators": (",", ":")}, {"indent": 0}])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(_entry, min_size=1, max_size=6), layout=_layout,
       data=st.data())
def test_whatever_the_edit_an_entry_named_is_the_documents(tmp_path, entries, layout, data):
    """Random documents and random edits of their text (one entry replaced, or any slice of
    bytes replaced by any other): when `changed` names entries, the text now is read as the
    text then with those entries replaced, and the spans it gives are the entries'."""
    doc = {"a": [1, {"tasks": 2}], "tasks": entries, "z": {"b": "c"}}
    old = json.dumps(doc, **layout).encode()
    then = _kept(tmp_path, old)
    if data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(entries) - 1))
        doc["tasks"][i] = data.draw(_entry)
        new = json.dumps(doc, **layout).encode()
    else:
        new = old
        for _ in range(data.draw(st.integers(1, 2))):  # one place, or two far apart
            a = data.draw(st.integers(0, len(new)))
            b = data.draw(st.integers(a, min(len(new), a + 8)))
            new = new[:a] + data.draw(st.binary(max_size=4) | st.sampled_from(
                [b"", b"1", b"7", b'"', b"{}", b"},{", b"\\u", b" "])) + new[b:]
    got = manifestdiff.changed(tmp_path, then, new)
    if got is None:
        return
    found, where, before = got
    want = json.loads(old)
    for i, e in found.items():
        assert before[i] == want["tasks"][i]
        want["tasks"][i] = e
    assert jsonread.loads(new.decode()) == want
    assert _entries_at(new, where) == want["tasks"]

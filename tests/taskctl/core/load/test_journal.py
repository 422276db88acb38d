"""The manifest journal (`core/load/journal.py`): taskctl's own manifest writes say which
entries they changed, and a stored backlog patched from that word — without parsing the
manifest — is the backlog a full load gives; without a chain of records (another program's
write, a forged or missing journal) the manifest is parsed and compared as before."""

from __future__ import annotations

import json
import marshal
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.files import sealed
from taskctl.core.load import journal, loader, snapshot
from taskctl.core.load import manifest as mf
from taskctl.core.load import stored as stored_files
from taskctl.core.write import change, status
from tests.taskctl.core.load.test_snapshot import (
    _edit,
    _entry,
    _rewrite,
    _task_files,
    full,
    same,
    stored,
)
from tests.taskctl.generated import generated_tree


@pytest.fixture(autouse=True)
def _serial(monkeypatch, no_racy_window):
    import taskctl.core.load

    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)
    monkeypatch.setattr(mf, "JUMP_AFTER", 0)


@pytest.fixture
def parses(monkeypatch):
    """The manifests parsed from here on (`mf.parse` calls)."""
    calls: list = []
    real = mf.parse
    monkeypatch.setattr(mf, "parse", lambda *a: (calls.append(a[0]), real(*a))[1])
    return calls


def _set(root, tid: str, **fields) -> None:
    """What `taskctl set`/`claim` write to the manifest: entry patches under the lock."""
    assert change.patch_manifest(root, {tid: fields}, []) is None


def _ids(root) -> list[str]:
    return [e["id"] for e in json.loads((root / "manifest.json").read_text())["tasks"]]


# -- the records ----------------------------------------------------------------------------
def test_a_chain_of_records_tells_the_entries_that_differ(tmp_path):
    root = tmp_path
    texts = [bytes([n]) * 8 for n in range(4)]  # four manifests' bytes
    a, b, c, d = map(journal.digest, texts)
    journal.record(root, a, b, 3, {1: {"id": "T2", "status": "in_progress"}})
    journal.record(root, b, c, 3, {0: {"id": "T1", "title": "x"},
                                   1: {"id": "T2", "status": "completed"}}, from_entries=True)
    assert (journal.entries_derived(root, c), journal.entries_derived(root, b)) == (True, False)

    def told(since, now, count=3):
        got, taken = journal.changes(root, since, texts[now], count)
        assert taken in (None, journal.digest(texts[now]))
        return got

    both = {0: {"id": "T1", "title": "x"}, 1: {"id": "T2", "status": "completed"}}
    assert told(a, 2) == both
    assert told(b, 2) == both
    assert told(a, 1) == {1: {"id": "T2", "status": "in_progress"}}
    assert told(b, 1) == {}  # the same content: nothing
    assert told(a, 3) is None  # no record leads there
    assert told(c, 0) is None  # nor backwards, nor from where none starts
    assert journal.changes(root, c, texts[0], 3) == (None, None)  # no digest taken then
    assert told(a, 2, count=4) is None  # another number of entries
    assert told(None, 2) is None  # a backlog stored without one


def test_the_journal_keeps_its_last_records_and_a_forged_one_is_not_read(tmp_path):
    root = tmp_path
    texts = [bytes([n]) * 4 for n in range(journal.KEEP + 3)]
    steps = list(map(journal.digest, texts))
    for old, new in zip(steps, steps[1:], strict=False):
        journal.record(root, old, new, 1, {0: {"id": "T1", "title": new.hex()}})
    assert journal.changes(root, steps[0], texts[-1], 1)[0] is None  # first records gone
    kept = steps[-1 - journal.KEEP]
    assert journal.changes(root, kept, texts[-1], 1)[0] == {
        0: {"id": "T1", "title": steps[-1].hex()}}
    # a journal written without the user's key (committed, or another user's) is no journal
    forged = [(kept, steps[-1], 1, ((0, '{"id": "T1", "title": "forged"}'),), True)]
    path = root / sealed.CACHE_DIR / journal.NAME
    path.write_bytes(b"\0" * 32 + marshal.dumps(forged))
    assert journal.changes(root, kept, texts[-1], 1) == (None, None)


def test_records_of_another_taskctl_or_shape_are_not_followed(tmp_path, monkeypatch):
    """Records are the word of the code that wrote them (`from_entries` names its derived
    data): another core's are not read; nor a sealed record of another shape (an entry not
    text) — nothing raises."""
    root = tmp_path
    texts = [b"one", b"two"]
    a, b = map(journal.digest, texts)
    journal.record(root, a, b, 1, {0: {"id": "T1"}}, from_entries=True)
    assert journal.changes(root, a, texts[1], 1)[0] == {0: {"id": "T1"}}
    monkeypatch.setattr(stored_files, "FORMAT", "another taskctl's")
    assert journal.changes(root, a, texts[1], 1) == (None, None)
    assert journal.entries_derived(root, b) is False
    monkeypatch.undo()
    bad = [(a, b, 1, ((0, 5),), 1), (a, b, "1", (), 1), (a, b, 1, (), "1"), (a, b, 1, (), 4),
           ("a", b)]
    assert stored_files.write(root, journal.NAME, bad)
    assert journal.changes(root, a, texts[1], 1) == (None, None)


# -- the writers ----------------------------------------------------------------------------
def test_a_write_that_adds_an_entry_or_moves_a_phase_records_nothing(generated):
    root = generated
    _set(root, "T001", status="in_progress")
    recorded = (root / sealed.CACHE_DIR / journal.NAME).read_bytes()
    assert change.patch_manifest(root, {"T900": {"title": "new"}}, ["T900"]) is None
    assert change.patch_manifest(root, {"T002": {"title": "t"}}, [], {"T002": "p1"}) is None
    assert (root / sealed.CACHE_DIR / journal.NAME).read_bytes() == recorded


def test_a_write_that_changes_many_entries_records_nothing(generated, monkeypatch):
    root = generated
    _set(root, "T001", status="in_progress")
    recorded = (root / sealed.CACHE_DIR / journal.NAME).read_bytes()
    monkeypatch.setattr(journal, "MAX_ENTRIES", 3)
    assert change.patch_manifest(root, {t: {"title": "x"} for t in _ids(root)[:4]}, []) is None
    assert (root / sealed.CACHE_DIR / journal.NAME).read_bytes() == recorded


def test_a_write_a_load_refuses_is_not_vouched_for(generated, parses, monkeypatch):
    """Found by review: bytes with a non-finite number (`Infinity`, which the loader refuses)
    taken from a record would hide the error a full load reports: such a write records
    nothing, and the next read parses the manifest."""
    root = generated
    stored(root, monkeypatch)
    _set(root, _ids(root)[5], status="in_progress")
    _set(root, _ids(root)[6], estimated_hours=float("inf"))  # no CLI writes this; the API can
    assert b"Infinity" in (root / "manifest.json").read_bytes()
    parses.clear()
    bl = stored(root, monkeypatch)
    assert parses[:1] == [root / "manifest.json"]  # the restore parsed it, and fell back
    assert any(p.rule == "json-syntax" for p in bl.problems)
    ref = full(root)
    assert bl.manifest is ref.manifest is None and bl.tasks == ref.tasks
    assert [p.to_dict() for p in bl.problems] == [p.to_dict() for p in ref.problems]


def test_derived_parts_a_load_refuses_are_not_vouched_for(generated, parses, monkeypatch):
    """Derived parts with a non-finite number (which no estimate gives since estimates are
    bounded, `estimates.MAX_ESTIMATE`) would make the manifest unreadable while a record hid
    it: such bytes are never recorded."""
    root = generated
    stored(root, monkeypatch)
    real = change.derived_from_entries
    monkeypatch.setattr(change, "derived_from_entries", lambda r, d: {
        **real(r, d), "critical_path": {"weight": "hours", "total": float("inf"), "path": []}})
    before = _records_bytes(root)
    _set(root, _ids(root)[5], status="in_progress")
    assert b"Infinity" in (root / "manifest.json").read_bytes()
    assert _records_bytes(root) == before
    parses.clear()
    bl = stored(root, monkeypatch)
    assert parses[:1] == [root / "manifest.json"]
    assert any(p.rule == "json-syntax" for p in bl.problems)


def _records_bytes(root) -> bytes | None:
    path = root / sealed.CACHE_DIR / journal.NAME
    return path.read_bytes() if path.exists() else None


def test_a_completion_written_by_verify_is_recorded(generated, parses, monkeypatch):
    root = generated
    stored(root, monkeypatch)
    bl = full(root)
    assert status.update_manifest(root, "T003", "completed", "2026-12-04T00:00:00Z", bl) is None
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert parses == []
    same(bl, full(root))


# -- a restore told by the journal ----------------------------------------------------------
SETS = {  # fields a `set` or `claim` writes -> the task's entry index in the generated tree
    "claim": (7, {"status": "in_progress"}),
    "title": (30, {"title": "Renamed by set"}),
    "lines-move": (2, {"assignee": "agent-2", "notes": "a longer\nnote"}),
    "schema": (20, {"estimated_hours": "lots"}),  # a manifest-schema finding, located
    "alias": (40, {"status": "done"}),  # an alias warning located in the manifest
    "dangling": (50, {"depends_on": ["T999"]}),
    "dropped": (60, {"tags": None}),
}


@pytest.mark.parametrize("how", sorted(SETS))
def test_a_taskctl_write_is_patched_in_from_the_journal(how, generated, parses, monkeypatch):
    """The restore reads the manifest's bytes and the journal, and parses nothing; the
    backlog (problems, their lines, sources) is a full load's, and so is the next one."""
    root = generated
    stored(root, monkeypatch)
    i, fields = SETS[how]
    _set(root, _ids(root)[i], **fields)
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert parses == []
    same(bl, full(root))
    same(stored(root, monkeypatch, expect=True), full(root))


def test_several_writes_are_followed_and_another_programs_breaks_the_chain(generated, parses,
                                                                          monkeypatch):
    root = generated
    stored(root, monkeypatch)
    ids = _ids(root)
    _set(root, ids[5], status="in_progress")
    _set(root, ids[9], title="Second")
    _set(root, ids[5], status="completed")
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert parses == []
    same(bl, full(root))
    _rewrite(root, _entry(11, title="By another program"))  # no record: parsed, compared
    _set(root, ids[12], title="Then taskctl")  # a record from content no backlog was built of
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert parses == [root / "manifest.json"]
    same(bl, full(root))
    _rewrite(root, _entry(13, title="Another program again"))
    stored(root, monkeypatch, expect=True)  # stores the digest of what it parsed
    _set(root, ids[14], status="in_progress")
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert parses == []
    same(bl, full(root))


def test_a_stored_manifest_with_schema_findings_is_parsed_again(generated, parses,
                                                                 monkeypatch):
    """The journal says nothing of the document beside the entries but that its derived
    parts are taskctl's: a document that had a finding is checked again in full."""
    root = generated
    _rewrite(root, lambda d: d.update(stats=["not", "an", "object"], metadata="nor this"))
    stored(root, monkeypatch)
    assert sum(p.rule == "manifest-schema" for p in full(root).problems) == 2
    _set(root, _ids(root)[4], title="A write")  # derived parts rewritten valid, not the rest
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert parses == [root / "manifest.json"]
    same(bl, full(root))
    assert sum(p.rule == "manifest-schema" for p in bl.problems) == 1


def test_an_entry_given_another_id_by_a_write_is_a_full_load(generated, monkeypatch):
    root = generated
    stored(root, monkeypatch)
    _set(root, _ids(root)[10], id="T777")
    same(stored(root, monkeypatch, expect=False), full(root))
    same(stored(root, monkeypatch, expect=True), full(root))


def test_a_journal_that_lies_is_caught_by_the_digest(generated, parses, monkeypatch):
    """A record names contents by digest: one that does not lead to the bytes there now
    (a write after it by hand, the same size, in the same tick) is not followed."""
    root = generated
    stored(root, monkeypatch)
    path = root / "manifest.json"
    _set(root, _ids(root)[3], title="AAAA")
    st_ = path.stat()
    path.write_bytes(path.read_bytes().replace(b'"AAAA"', b'"BBBB"'))
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns))
    parses.clear()
    bl = stored(root, monkeypatch, expect=True)
    assert bl.tasks[_ids(root)[3]].title != "AAAA"
    same(bl, full(root))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(
    st.tuples(st.just("set"), st.integers(0, 59),
              st.sampled_from(["claim", "title", "lines-move", "schema", "alias", "dropped"])),
    st.tuples(st.just("other"), st.integers(0, 59), st.sampled_from(["title"])),
    st.tuples(st.just("file"), st.integers(0, 59), st.sampled_from(["title", "status"])),
    st.tuples(st.just("read"), st.just(0), st.just(""))),
    min_size=1, max_size=8))
def test_writes_reads_and_edits_in_any_order_give_a_full_loads_backlog(steps,
                                                                       tmp_path_factory,
                                                                       monkeypatch):
    root = generated_tree(tmp_path_factory.mktemp("jr"), 60)
    stored(root, monkeypatch)
    ids, files = _ids(root), _task_files(root)
    for kind, i, how in steps:
        if kind == "set":
            _set(root, ids[i], **SETS[how][1])
        elif kind == "other":
            _rewrite(root, _entry(i, title=f"other {i}"))
        elif kind == "file":
            _edit(files[i], how)
        else:
            same(stored(root, monkeypatch), full(root))
    same(stored(root, monkeypatch), full(root))
    same(stored(root, monkeypatch), full(root))


def test_a_full_load_names_the_content_it_stored(generated, monkeypatch):
    root = generated
    stored(root, monkeypatch)
    state = snapshot._read(root, snapshot.NAME)
    assert state["manifest_digest"] == journal.digest((root / "manifest.json").read_bytes())
    assert loader.load(root, bodies=False) is not None

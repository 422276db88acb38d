"""A manifest write's derived parts (`change.patch_manifest`): whether computed from every
entry or patched for a change of statuses alone (`change._restatused`, when the journal says
the parts there were computed from the entries), they are what `derived_from_entries` gives
for the entries written — after any sequence of writes, by taskctl or by another program."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.write import change, status, sync
from tests.taskctl.generated import generated_tree

AT = "2026-12-04T00:00:00Z"
PATCHES = {
    "claim": {"status": "in_progress", "started_at": AT},
    "release": {"status": "pending"},
    "block": {"status": "blocked"},
    "alias": {"status": "wip"},
    "unverified": {"status": "completed_unverified"},
    "complete": {"status": "completed", "completed_at": AT},  # leaves the planned statuses
    "defer": {"status": "deferred"},
    "unknown": {"status": "bogus"},
    "no-status": {"status": None},
    "title": {"title": "Renamed"},  # not a status: computed in full
    "estimate": {"estimated_hours": 7},
}


FULL = change.derived_from_entries  # the reference (the `computed` fixture counts the writes')


def _manifest(root) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def _as_computed(root) -> None:
    """The manifest's derived parts are those computed from its entries, and in their order."""
    data = _manifest(root)
    expect = copy.deepcopy(data)
    sync.put_derived(expect, FULL(root, expect))
    assert json.dumps(data) == json.dumps(expect)


@pytest.fixture
def computed(monkeypatch):
    """How many writes computed the derived parts from every entry."""
    calls = []
    real = change.derived_from_entries
    monkeypatch.setattr(change, "derived_from_entries",
                        lambda *a: (calls.append(1), real(*a))[1])
    return calls


def test_a_claim_after_a_taskctl_write_patches_the_counts_alone(tmp_path, computed):
    root = generated_tree(tmp_path / "g", 40)
    ids = [e["id"] for e in _manifest(root)["tasks"]]
    change.patch_manifest(root, {ids[0]: PATCHES["title"]}, [])  # computed: no record before
    assert len(computed) == 1
    for tid, how in [(ids[1], "claim"), (ids[2], "block"), (ids[1], "release")]:
        change.patch_manifest(root, {tid: PATCHES[how]}, [])
        _as_computed(root)
    assert len(computed) == 1  # each patched from the counts
    change.patch_manifest(root, {ids[3]: PATCHES["complete"]}, [])  # the critical path changes
    assert len(computed) == 2
    _as_computed(root)


def test_after_another_writer_the_parts_are_computed_again(tmp_path, computed):
    root = generated_tree(tmp_path / "g", 40)
    ids = [e["id"] for e in _manifest(root)["tasks"]]
    change.patch_manifest(root, {ids[0]: PATCHES["claim"]}, [])
    data = _manifest(root)
    data["stats"]["by_status"]["pending"] += 5  # another program's stale counts
    (root / "manifest.json").write_text(json.dumps(data, indent=2))
    change.patch_manifest(root, {ids[1]: PATCHES["claim"]}, [])
    assert len(computed) == 2
    _as_computed(root)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["set", "verify", "other"]),
                                st.integers(0, 29), st.sampled_from(sorted(PATCHES))),
                      min_size=1, max_size=10))
def test_derived_parts_after_any_writes_are_the_entries(steps, tmp_path_factory):
    root = generated_tree(tmp_path_factory.mktemp("rs"), 30)
    ids = [e["id"] for e in _manifest(root)["tasks"]]
    for kind, i, how in steps:
        if kind == "set":
            change.patch_manifest(root, {ids[i]: PATCHES[how]}, [])
            _as_computed(root)
        elif kind == "verify":  # a completion: derived parts from the tasks, not recorded so
            assert status.update_manifest(root, ids[i], "completed", AT) is None
        else:
            data = _manifest(root)
            data["tasks"][i]["status"] = "blocked"
            (root / "manifest.json").write_text(json.dumps(data, indent=1))
    change.patch_manifest(root, {ids[0]: PATCHES["claim"]}, [])
    _as_computed(root)

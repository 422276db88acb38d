"""Normalising one task mapping (`core/load/specs.py`): the canonical spellings taken on the
spot give what `normalize.py` gives for them, every other spelling is read and noted, and the
`Task` built without its `__init__` is the dataclass's own value."""

from __future__ import annotations

import json
import marshal
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core import records
from taskctl.core.load import specs
from taskctl.core.load import taskplain as tp
from taskctl.core.model import Task
from taskctl.core.status import TaskStatus

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_tree import generate  # noqa: E402


def norm(data: dict, kind: str = "entry"):
    return specs.from_mapping(data, kind, "T0", [] if kind == "task" else None)


@pytest.mark.parametrize(("written", "status", "is_enum", "rules"), [
    ({"status": "pending"}, "pending", False, []),
    ({}, "pending", False, []),  # no status: pending, as when written
    ({"status": "Pending"}, "pending", False, ["alias-spelling"]),
    ({"status": "wip"}, "in_progress", True, ["alias-spelling"]),
    ({"status": "someday"}, "pending", True, ["unknown-status"]),
    ({"status": 3}, "pending", True, []),  # the schema reports the type
])
def test_status(written, status, is_enum, rules) -> None:
    t, findings = norm({"id": "T1", **written})
    assert (t.status, type(t.status) is TaskStatus) == (status, is_enum)
    assert tp.to_plain(t)[:2] == (status, is_enum)
    assert [r for r, _k, _m in findings] == rules


@pytest.mark.parametrize(("written", "priority", "mvp", "rules"), [
    ("P2", 2, False, []),
    ("p2", 2, False, ["alias-spelling"]),
    ("P0-mvp", 0, True, ["alias-spelling"]),
    (1, 1, False, ["alias-spelling"]),
    ("urgent", 0, False, ["alias-spelling"]),
    ("P9", None, False, ["unknown-priority"]),
    (None, None, False, []),
])
def test_priority(written, priority, mvp, rules) -> None:
    t, findings = norm({"id": "T1", "priority": written, "tags": ["a"]})
    assert (t.priority, t.mvp) == (priority, mvp)
    assert t.tags == (["a", "mvp"] if mvp else ["a"])
    assert [r for r, _k, _m in findings] == rules


def test_dependencies_deduplicated_in_order_and_every_spelling_joined() -> None:
    t, findings = norm({"id": "T1", "depends_on": ["T3", "T2", "T3"]})
    assert (t.depends_on, findings) == (["T3", "T2"], [])
    t, findings = norm({"id": "T1", "depends_on": ["T3"], "blocked_by": ["T2", "T3"]})
    assert t.depends_on == ["T3", "T2"]
    assert [k for _r, k, _m in findings] == [("blocked_by",)]
    t, _ = norm({"id": "T1", "depends_on": ["T3", 4, True, None]})
    assert t.depends_on == ["T3", "4"]
    t, findings = norm({"id": "T1", "depends_on": "T2, T3"})
    assert t.depends_on == ["T2", "T3"]
    assert [r for r, _k, _m in findings] == ["alias-spelling"]


def test_lists_are_the_tasks_own() -> None:
    data = {"id": "T1", "depends_on": ["T2"], "blocks": ["T3"], "tags": ["x"]}
    t, _ = norm(data)
    t.depends_on.append("T9")
    t.blocks.append("T9")
    t.tags.append("y")
    assert data == {"id": "T1", "depends_on": ["T2"], "blocks": ["T3"], "tags": ["x"]}
    assert norm({"id": "T1", "blocks": ["T3", 4, False]})[0].blocks == ["T3", "4"]


def test_unknown_keys_kept_in_the_order_written() -> None:
    t, _ = norm({"z": 1, "id": "T1", "file": "tasks/T1.md", "a": 2, "title": "x", "m": 3})
    assert list(t.extra.items()) == [("z", 1), ("file", "tasks/T1.md"), ("a", 2), ("m", 3)]
    assert norm({"id": "T1", "file": "f"})[0].extra == {"file": "f"}
    assert norm({"id": "T1"})[0].extra == {}


def test_aliased_keys_renamed_and_noted() -> None:
    t, findings = norm({"id": "T1", "est_tokens": 5, "created": "2026-01-02"})
    assert (t.estimated_tokens, t.created_at) == (5, "2026-01-02")
    assert [k for _r, k, _m in findings] == [("est_tokens",), ("created",)]


@pytest.mark.parametrize(("value", "kept"), [(2, 2), (0.5, 0.5), (0, 0), (-1, None),
                                             (True, None), ("3", None), (float("nan"), None)])
def test_estimates(value, kept) -> None:
    assert norm({"id": "T1", "estimated_hours": value})[0].estimated_hours == kept


def test_the_task_is_the_dataclass_value() -> None:
    """Built without `__init__`: every field set, in the dataclass's order, equal to one
    built by it."""
    t, _ = norm({"id": "T1", "title": "A", "status": "blocked", "priority": "P1",
                 "depends_on": ["T0"], "phase": 2, "description": "d",
                 "acceptance": [{"criterion": "c", "run": "true"}]}, kind="task")
    assert list(vars(t)) == [f.name for f in records.fields(Task)]
    built = Task(id="T1", title="A", status="blocked", priority=1, depends_on=["T0"],
                 phase="2", description="d", acceptance=t.acceptance,
                 front_matter=t.front_matter)
    assert t == built
    assert norm({"title": 5}, kind="task")[0].id == "T0"  # no usable id: the fallback


def test_acceptance_items_put_each_value_in_its_field() -> None:
    """The items are built with positional arguments (a cold load's hot path): each written
    value lands in the field of its name, and ill-typed ones fall back to the defaults."""
    raw = {"criterion": "c", "run": "make t", "timeout": 5, "cwd": "sub", "env": {"A": 1},
           "inputs": ["a/*.py", 3], "requires": ["gpu"], "secret_env": ["TOKEN"]}
    item, bare, odd = specs.acceptance_items(
        [raw, {"criterion": "manual"}, {"run": " ", "timeout": True, "cwd": 4, "env": [],
                                        "inputs": "x", "requires": {}, "secret_env": "S"}],
        ["TASK_SECRET"])
    assert records.asdict(item) == {
        "index": 1, "criterion": "c", "run": "make t", "timeout": 5.0, "cwd": "sub",
        "env": {"A": "1"}, "inputs": ["a/*.py"], "requires": ["gpu"],
        "secret_env": ["TASK_SECRET", "TOKEN"], "raw": raw}
    assert (bare.index, bare.criterion, bare.run, bare.manual) == (2, "manual", None, True)
    assert (odd.criterion, odd.run, odd.timeout, odd.cwd, odd.env, odd.inputs, odd.requires,
            odd.secret_env) == ("", None, None, None, {}, [], [], ["TASK_SECRET"])


# -- entry_plain: a manifest entry read straight into plain data --------------------------

def _reference_plain(data: dict, fallback: str = "T0") -> bytes:
    task, findings = specs.from_mapping(data, "entry", fallback)
    return marshal.dumps((tp.to_plain(task), findings), 2)  # typed: 1, 1.0, True differ;
    # version 2: no back-references, whose flags follow reference counts, not values


def _manifest_entries(tmp_path: Path) -> list[dict]:
    out = []
    for tasks in [*(REPO / "tests").rglob(".tasks"), REPO / ".tasks",
                  *(REPO.parent / "shared" / "examples").glob("*/.tasks"),
                  generate(tmp_path / "gen", 300)]:
        mf = tasks / "manifest.json"
        try:
            doc = json.loads(mf.read_text())
        except (OSError, ValueError):
            continue
        entries = doc.get("tasks") if isinstance(doc, dict) else None
        out += [e for e in entries or [] if isinstance(e, dict)]
    return out


def test_entry_plain_equals_from_mapping_on_every_fixture_entry(tmp_path) -> None:
    entries = _manifest_entries(tmp_path)
    assert len(entries) > 350
    for e in entries:
        assert marshal.dumps(specs.entry_plain(e, "T0"), 2) == _reference_plain(e), e


def test_entry_plain_reads_the_usual_entry_without_from_mapping(tmp_path, monkeypatch) -> None:
    """Every entry of a generated tree takes the direct way (from_mapping is not called)."""
    entries = json.loads((generate(tmp_path / "gen", 200) / "manifest.json").read_text())["tasks"]
    monkeypatch.setattr(specs, "from_mapping", lambda *a: pytest.fail(f"not direct: {a[0]}"))
    for e in entries:
        specs.entry_plain(e, "T0")


_KEYS = ["id", "title", "file", "status", "priority", "phase", "milestone", "depends_on",
         "blocks", "tags", "estimated_hours", "estimated_tokens", "actual_hours", "actual_tokens",
         "dependencies", "blocked_by", "est_tokens", "created_at", "created", "description",
         "acceptance", "notes"]
_SCALARS = st.one_of(
    st.sampled_from(["pending", "in_progress", "done", "Pending", "blocked", "P0", "P2", "P1-mvp",
                     "p3", "high", "T1", "T2", "", " ", "a, b", "phase-1"]),
    st.integers(-3, 5), st.floats(-2, 8, allow_nan=False), st.booleans(), st.none())
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=4),
                    st.dictionaries(st.sampled_from(["run", "criterion"]), _SCALARS, max_size=2))


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=9))
def test_entry_plain_equals_from_mapping_on_generated_entries(entry) -> None:
    assert marshal.dumps(specs.entry_plain(entry, "T0"), 2) == _reference_plain(entry), entry


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(st.fixed_dictionaries(
    {"id": st.sampled_from(["T1", "", 5]), "status": st.sampled_from(["pending", "completed"]),
     "priority": st.sampled_from(["P0", "P4"]),
     "depends_on": st.lists(st.sampled_from(["T1", "T2", "T3"]), max_size=4)},
    optional={"title": st.sampled_from(["x", ""]), "file": st.sampled_from(["tasks/T1.md", None]),
              "phase": st.sampled_from(["p", 2, True, None]),
              "milestone": st.sampled_from(["m", None]),
              "blocks": st.one_of(st.none(), st.lists(st.sampled_from(["T4", "T4", "T5"]))),
              "tags": st.one_of(st.none(), st.lists(st.sampled_from(["a", "b"]))),
              "estimated_hours": st.one_of(st.integers(-1, 3), st.floats(-1, 3), st.booleans()),
              "actual_tokens": st.one_of(st.integers(0, 9), st.none())}))
def test_entry_plain_equals_from_mapping_on_usual_entries(entry) -> None:
    """Entries close to the usual shape: most take the direct way, and equal the other."""
    assert marshal.dumps(specs.entry_plain(entry, "T0"), 2) == _reference_plain(entry), entry

"""Manifest entries checked and normalised once per distinct content (core/load/entryrows.py)."""

from __future__ import annotations

import json

from taskctl.core.load import loader


def _problems(bl) -> list[tuple]:
    return [(p.rule, p.message, p.file, p.line, p.task) for p in bl.problems]


def test_manifest_entries_cached_by_content_survive_a_rewrite(copy_example, monkeypatch,
                                                              no_racy_window):
    """Reordered entries and a new invalid one: nothing unchanged is normalised or checked
    again, and every finding names the entry's position now (as an uncached load does)."""
    from taskctl.core.load import schema, specs

    tasks = copy_example("agent-mvp")
    m = tasks / "manifest.json"
    data = json.loads(m.read_text())
    data["tasks"][2]["estimated_hours"] = "two"  # a schema finding at tasks.2
    m.write_text(json.dumps(data, indent=2))
    assert any("tasks.2.estimated_hours" in p.message for p in loader.load(tasks).problems)
    seen: list = []
    for mod, name in ((specs, "from_mapping"), (schema, "errors")):
        real = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda *a, real=real, name=name:
                            seen.append(a[:2]) or real(*a))
    data["tasks"].reverse()
    data["tasks"].insert(0, {"id": "T900", "title": 7})
    m.write_text(json.dumps(data, indent=4))
    cached = loader.load(tasks)
    assert seen == [("manifest", {**data, "tasks": []}),  # the rest of the document
                    (data["tasks"][0], "entry"), ("manifest-entry", data["tasks"][0])]
    moved = len(data["tasks"]) - 3  # old position 2, reversed, one inserted before it
    assert any(f"tasks.{moved}.estimated_hours" in p.message for p in cached.problems)
    assert _problems(cached) == _problems(loader.load(tasks, use_cache=False))


def test_an_entry_changed_only_in_its_value_types_is_checked_again(copy_example, monkeypatch,
                                                                   no_racy_window):
    """`1 == 1.0 == True` in Python, not in JSON Schema nor in the normaliser: the cached row
    of `estimated_hours: true` (invalid) must not answer for `estimated_hours: 1`."""

    tasks = copy_example("agent-mvp")
    m = tasks / "manifest.json"
    data = json.loads(m.read_text())
    for value, invalid in ((True, True), (1, False), (True, True), (1.0, False)):
        data["tasks"][2]["estimated_hours"] = value
        m.write_text(json.dumps(data, indent=2))
        cached = loader.load(tasks)
        assert any("tasks.2.estimated_hours" in p.message for p in cached.problems) is invalid
        assert _problems(cached) == _problems(loader.load(tasks, use_cache=False))

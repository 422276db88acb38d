"""Property: for any tree, every file under the store is loaded, listed as not read (with a
reason), or a known non-task file (context, README, evidence, updates, pictures…)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.load.loader import load

FOLDERS = ["", "tasks", "tasks/sub", "completed", "context", "evidence/T1", "updates",
           "PENDING", "done", "archive", "phase-1", "FEAT-001/stories", "DEV", "notes",
           "milestones", "templates"]
NAMES = ["T1", "T2-x", "T10", "01-setup", "02", "TASK-003", "US-001", "12", "README",
         "notes", "index", "manifest", "tasks", "summary", "CLAUDE", "CHANGELOG", "trust"]
SUFFIXES = [".md", ".yaml", ".yml", ".json", ".txt", ".png", ""]
BODIES = [
    "---\nid: {id}\ntitle: A\nstatus: pending\n---\n# A\n",
    "# {id}: title\n\n**Status:** Done\n",
    '{{"id": "{id}", "title": "x", "status": "todo"}}',
    "title: x\nstatus: Todo\n",
    "just some words\n",
    "---\nstatus: !normal\nowner: @bot\n---\nbody\n",
    "",
    "[1, 2",
]
NON_TASK_DIRS = {"context", "evidence", "updates", "templates", ".cache"}
NON_TASK_NAMES = ("readme", "changelog", "license", "contributing", "trust.yaml", "agents.md",
                  "claude.md", ".")  # docs/format.md, "Dialects"


def known_non_task(rel: Path) -> bool:
    """The test's own list (independent of the reader code) of files that are never tasks."""
    if set(rel.parts[:-1]) & NON_TASK_DIRS:
        return True
    name = rel.name.lower()
    if name.startswith(NON_TASK_NAMES):
        return True
    return rel.suffix not in (".md", ".yaml", ".yml", ".json", ".txt", ".jsonl", ".markdown",
                              ".toml")


files = st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES),
                           st.sampled_from(SUFFIXES), st.sampled_from(BODIES)),
                 min_size=0, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files, manifest=st.sampled_from([None, {"tasks": []}, {"project": "x"},
                                              {"tasks": [{"id": "T1", "title": "a"}]}]))
def test_every_file_is_loaded_listed_or_known(files, manifest):
    tmp = Path(tempfile.mkdtemp())
    try:
        root = tmp / ".tasks"
        root.mkdir()
        if manifest is not None:
            (root / "manifest.json").write_text(json.dumps(manifest))
        for folder, name, suffix, body in files:
            p = root / folder / (name + suffix)
            if p.exists() or any(q.is_file() for q in [*p.parents][:-1] if q != tmp):
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(body.format(id=name))
        bl = load(root, use_cache=False)
        loaded = {t.path for t in bl.tasks.values() if t.path} | set(map(Path, bl.files_read))
        listed = {p for p, why in bl.unread if why}
        assert not loaded & listed
        for p in root.rglob("*"):
            if p.is_dir():
                continue
            rel = p.relative_to(root)
            assert p in loaded or p in listed or known_non_task(rel), (
                f"{rel} silently ignored by the {bl.dialect} reader")
        if not bl.tasks:
            assert any(p.code == "W102" for p in bl.problems)
    finally:
        shutil.rmtree(tmp)


def test_files_not_read_are_listed_in_path_order(tmp_path):
    """The listing (and its W160 warnings) comes in walk order, each folder's files sorted
    by name, whatever order the folder or a set gives them in."""
    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"tasks": []}))
    (root / "tasks" / "T1-a.md").write_text(BODIES[0].format(id="T1"))
    names = [f"n{i:02d}-{c}.txt" for i, c in enumerate("qwertyuiopasdfghjklzxcvbnm")]
    for sub in ("tasks", "notes"):
        (root / sub).mkdir(exist_ok=True)
        for n in reversed(names):
            (root / sub / n).write_text("x\n")
    listed = [p.relative_to(root).as_posix() for p, _why in load(root, use_cache=False).unread]
    assert listed == [f"notes/{n}" for n in names] + [f"tasks/{n}" for n in names]

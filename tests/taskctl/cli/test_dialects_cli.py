"""The CLI on every dialect: it says what it read, warns about what it did not, plans the
stores of other tools, converts them, and never reports an empty tree as done."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dialects"


@pytest.fixture
def project(tmp_path):
    def _copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        return dst

    return _copy


@pytest.mark.parametrize(("name", "dialect", "first", "total"), [
    ("taskmaster", "taskmaster", "2.2", 6), ("backlog-md", "backlog-md", "task-2", 4),
    ("beads", "beads", "bd-a2", 4)])
def test_tool_stores_plan_from_the_project_folder(name, dialect, first, total, project,
                                                  taskctl):
    cwd = project(name)
    r = taskctl(["validate"], cwd=cwd)
    assert r.code == 0 and f"as the {dialect} dialect" in r.out
    r = taskctl(["status", "--json"], cwd=cwd)
    assert r.code == 0 and r.json()["dialect"] == dialect and r.json()["tasks"] == total
    nxt = taskctl(["next", "--json"], cwd=cwd).json()
    # free work first; work in progress is listed apart (`held`), never as free work
    assert [t["id"] for t in nxt["tasks"] + nxt["held"]][0] == first
    assert all(t["status"] != "in_progress" for t in nxt["tasks"])
    cp = taskctl(["critical-path", "--json"], cwd=cwd).json()
    assert cp["path"] and cp["path"][0] == first
    r = taskctl(["convert", "--json"], cwd=cwd)
    assert r.code == 0 and r.json()["tasks"] == total and r.json()["problems"] == 0
    r = taskctl(["validate", "--json", "--tasks-dir", cwd / ".tasks"])
    assert r.json()["dialect"] == "tasks" and r.json()["tasks"] == total and r.json()["ok"]
    again = taskctl(["next", "--json", "--tasks-dir", cwd / ".tasks"]).json()
    assert [t["id"] for t in again["tasks"]] == [t["id"] for t in nxt["tasks"]]
    assert [t["id"] for t in again["held"]] == [t["id"] for t in nxt["held"]]


def test_convert_refuses_a_full_target(project, taskctl):
    cwd = project("beads")
    (cwd / ".tasks").mkdir()
    (cwd / ".tasks" / "keep.md").write_text("mine")
    r = taskctl(["convert", "--tasks-dir", cwd / ".beads"], cwd=cwd)
    assert r.code == 2 and "not empty" in r.err
    assert (cwd / ".tasks" / "keep.md").read_text() == "mine"


def test_forced_dialect_lists_unread_files_folded(project, taskctl):
    store = project("numbered-md") / ".tasks"
    r = taskctl(["--format", "tasks", "validate", "--tasks-dir", store])
    assert "as the tasks dialect" in r.out
    w160 = [ln for ln in r.out.splitlines() if "W160" in ln]
    assert len(w160) == 1 and "and 3 more unread-file warnings" in w160[0]  # folded
    assert "W102" in r.out and "no tasks found" in r.out
    r = taskctl(["validate", "--verbose", "--dialect", "tasks", "--tasks-dir", store])
    assert len([ln for ln in r.out.splitlines() if "W160" in ln]) == 4
    doc = taskctl(["validate", "--json", "--dialect", "tasks", "--tasks-dir", store]).json()
    assert sorted(f["file"] for f in doc["files_not_read"]) == [
        ".tasks/01-setup.md", ".tasks/02-database.md", ".tasks/03-api.md",
        ".tasks/10-release.md"]
    assert all(f["reason"] for f in doc["files_not_read"])
    r = taskctl(["--format", "nope", "validate", "--tasks-dir", store])
    assert r.code == 2 and "unknown format" in r.err


def test_empty_tree_is_not_done(tmp_path, taskctl):
    store = tmp_path / ".tasks"
    (store / "tasks").mkdir(parents=True)
    (store / "notes.txt").write_text("- [ ] T1 write the thing\n")
    r = taskctl(["status", "--tasks-dir", store])
    assert "no tasks found" in r.out and "100.0%" not in r.out
    doc = taskctl(["status", "--json", "--tasks-dir", store]).json()
    assert doc["tasks"] == 0 and doc["overall"]["percent"] is None
    r = taskctl(["next", "--tasks-dir", store])
    assert "no tasks found" in r.out + r.err and "nothing is actionable" not in r.out
    r = taskctl(["validate", "--json", "--tasks-dir", store])
    codes = [p["code"] for p in r.json()["problems"]]
    assert "W102" in codes and "W160" in codes  # notes.txt looks like a task list


def test_sync_refuses_other_dialects(project, taskctl):
    store = project("json-files") / ".tasks"
    before = (store / "manifest.json").read_text()
    r = taskctl(["sync", "--write", "--tasks-dir", store])
    assert r.code == 2 and "json-files dialect" in r.err
    assert len([ln for ln in r.err.splitlines() if ln.startswith("taskctl: error")]) == 1
    assert (store / "manifest.json").read_text() == before


def test_sync_keeps_an_entry_whose_file_was_not_read(tmp_path, taskctl):
    store = tmp_path / ".tasks"
    (store / "tasks").mkdir(parents=True)
    (store / "tasks" / "T1.yaml").write_text("id: T1\ntitle: a\n")
    (store / "tasks" / "2-b.txt").write_text("id: 2\ntitle: b\n")  # not a task file suffix
    (store / "manifest.json").write_text(json.dumps(
        {"tasks": [{"id": "T1", "title": "a"}, {"id": 2, "title": "b"}]}))
    before = (store / "manifest.json").read_text()
    r = taskctl(["sync", "--write", "--force", "--tasks-dir", store])
    assert r.code == 1 and "not dropping the manifest entry of 2" in r.err
    assert ".tasks/tasks/2-b.txt" in r.err
    assert (store / "manifest.json").read_text() == before
    (store / "tasks" / "2-b.txt").unlink()
    assert taskctl(["sync", "--write", "--tasks-dir", store]).code == 0


def test_sync_refuses_errors_unless_forced(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    (tasks / "tasks" / "T099-bad.yaml").write_text("id: T099\ntitle: [unclosed\n")
    r = taskctl(["sync", "--write", "--tasks-dir", tasks])
    assert r.code == 1 and "--force" in r.err
    r = taskctl(["sync", "--write", "--force", "--tasks-dir", tasks])
    assert r.code == 0 and "wrote" in r.out


def test_force_never_drops_an_entry_a_file_carries(copy_example, taskctl):
    tasks = copy_example("broken")
    before = (tasks / "manifest.json").read_text()
    r = taskctl(["sync", "--write", "--force", "--tasks-dir", tasks])
    assert r.code == 1 and "not dropping the manifest entry" in r.err
    assert (tasks / "manifest.json").read_text() == before


def _tree(tmp_path: Path, specs: dict[str, str]) -> Path:
    store = tmp_path / ".tasks"
    (store / "tasks").mkdir(parents=True)
    for name, text in specs.items():
        (store / "tasks" / name).write_text(text)
    return store


def test_integer_ids_reported_once_and_sorted_naturally(tmp_path, taskctl):
    store = _tree(tmp_path, {f"{i}-t.yaml": f"id: {i}\ntitle: t{i}\n" for i in range(1, 13)})
    doc = taskctl(["validate", "--json", "--tasks-dir", store]).json()
    w100 = [p for p in doc["problems"] if p["code"] == "W100"]
    assert len(w100) == 1 and "12 task id(s) written as numbers" in w100[0]["message"]
    assert not [p for p in doc["problems"] if p["code"].startswith("E")]
    ids = [t["id"] for t in taskctl(["list", "--json", "--tasks-dir", store]).json()["tasks"]]
    assert ids == [str(i) for i in range(1, 13)]


def test_natural_order_of_t_ids(tmp_path, taskctl):
    store = _tree(tmp_path, {f"T{i}.yaml": f"id: T{i}\ntitle: t\n" for i in (10, 2, 1)})
    ids = [t["id"] for t in taskctl(["list", "--json", "--tasks-dir", store]).json()["tasks"]]
    assert ids == ["T1", "T2", "T10"]
    nxt = [t["id"] for t in taskctl(["next", "--json", "-n", "0", "--tasks-dir",
                                     store]).json()["tasks"]]
    assert nxt == ["T1", "T2", "T10"]


def test_show_prints_nested_values_as_yaml(tmp_path, taskctl):
    store = _tree(tmp_path, {"T1.md": "---\nid: T1\ntitle: t\nmeta:\n  owners: [ana, bo]\n"
                             "  sprint: 3\n---\n"})
    r = taskctl(["show", "T1", "--tasks-dir", store])
    assert "owners:" in r.out and "- ana" in r.out and "sprint: 3" in r.out
    assert "{'" not in r.out and "['" not in r.out


def test_no_critical_noise_without_estimates_or_dependencies(tmp_path, taskctl):
    store = _tree(tmp_path, {f"T{i}.yaml": f"id: T{i}\ntitle: t\n" for i in (1, 2, 3)})
    doc = taskctl(["next", "--json", "--tasks-dir", store]).json()
    assert [t["critical"] for t in doc["tasks"]] == [False, False, False]
    r = taskctl(["next", "--tasks-dir", store])
    assert "critical" not in r.out.split("\n", 1)[1]
    chained = _tree(tmp_path / "b", {"T1.yaml": "id: T1\ntitle: t\n",
                                     "T2.yaml": "id: T2\ntitle: t\ndepends_on: [T1]\n",
                                     "T3.yaml": "id: T3\ntitle: t\n"})
    doc = taskctl(["next", "--json", "--tasks-dir", chained]).json()
    assert {t["id"]: t["critical"] for t in doc["tasks"]} == {"T1": True, "T3": False}


def test_verify_writes_back_in_the_tool_store(project, taskctl):
    cwd = project("beads")
    (cwd / ".taskctl").mkdir()
    (cwd / ".taskctl" / "acceptance.yaml").write_text(
        "bd-a2:\n  - criterion: the pool runs\n    run: python -c 'pass'\n")
    r = taskctl(["verify", "bd-a2"], cwd=cwd)
    assert r.code == 0, r.out + r.err
    issues = [json.loads(ln) for ln in (cwd / ".beads" / "issues.jsonl").read_text().splitlines()]
    assert {i["id"]: i["status"] for i in issues}["bd-a2"] == "closed"
    assert taskctl(["status", "--json"], cwd=cwd).json()["by_status"]["completed"] == 2


def test_import_refuses_a_store_of_another_dialect(project, taskctl, tmp_path):
    store = project("numbered-md") / ".tasks"
    todo = tmp_path / "TODO.md"
    todo.write_text("- [ ] write docs\n")
    before = sorted(p.name for p in store.iterdir())
    r = taskctl(["import", todo, "--tasks-dir", store])
    assert r.code == 2 and "numbered-md dialect" in r.err
    assert sorted(p.name for p in store.iterdir()) == before


def test_taskmaster_tag_is_part_of_the_plan_cache_key(project, taskctl):
    cwd = project("taskmaster")
    first = taskctl(["next", "--json"], cwd=cwd).json()
    assert first["tasks"][0]["id"] == "2.2"
    other = taskctl(["next", "--json"], cwd=cwd, env={"TASKCTL_TAG": "feature-qr"}).json()
    assert [t["title"] for t in other["tasks"]] == ["QR code images"]


def test_convert_writes_into_the_project_you_are_in(tmp_path, taskctl):
    """`--tasks-dir .` beside a `tasks.json`: the new tree is that folder's `.tasks`, named
    after it — not its parent's (outside the project)."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "tasks.json").write_text(json.dumps({"tasks": [
        {"id": "1", "title": "a", "status": "done"},
        {"id": "2", "title": "b", "status": "todo", "dependsOn": ["1"]}]}))
    r = taskctl(["--tasks-dir", ".", "convert"], cwd=proj)
    assert r.code == 0, r.err
    assert not (tmp_path / ".tasks").exists()
    data = json.loads((proj / ".tasks" / "manifest.json").read_text())
    assert data["project"]["name"] == "proj" and len(data["tasks"]) == 2
    shutil.rmtree(proj / ".tasks")  # the same from the parent folder, and from elsewhere
    for args, cwd in ((["--tasks-dir", "proj"], tmp_path), (["--tasks-dir", proj], proj.root)):
        r = taskctl([*args, "convert"], cwd=cwd)
        assert r.code == 0 and (proj / ".tasks" / "manifest.json").is_file(), r.err
        assert not (tmp_path / ".tasks").exists()
        shutil.rmtree(proj / ".tasks")

"""A plan answer's early cutoff (`core/plan/replan.py`): after random edits of task files,
every answer `next`, `ready` and `critical-path` give (cut off or not) is the one computed from
a load without any cache, and the cutoff is made exactly for the edits that cannot change the
plan."""

from __future__ import annotations

import json
import marshal
import os
import random
import re
import time
from pathlib import Path

import pytest

import taskctl.core.load
from taskctl.cli import answers
from taskctl.core.load import filecache
from taskctl.core.plan import cache as cachemod
from taskctl.core.plan import replan
from tests.taskctl.generated import generated_tree

# an edit of a task file's text, and whether the plan may read what it changes
COSMETIC = {
    "title": lambda t, r: re.sub(r'(?m)^title: "?', f'title: "Edited {r.randint(0, 99)} ', t,
                                 count=1),
    "title-plain": lambda t, r: re.sub(r"(?m)^title: .*$", f"title: plain words {r.random()}",
                                       t, count=1),
    "body": lambda t, r: t + f"\nOne more line of notes {r.random()}.\n",
    "tags": lambda t, r: re.sub(r"(?m)^tags: .*$", f"tags: [x{r.randint(0, 9)}, docs]", t,
                                count=1),
    "created": lambda t, r: re.sub(r"(?m)^created_at: .*$",
                                   f'created_at: "2026-02-{r.randint(10, 28)}"', t, count=1),
    "extra-key": lambda t, r: t.replace("title: ", f"owner_note: n{r.random()}\ntitle: ", 1),
    "description": lambda t, r: t.replace("title: ", f"description: d{r.random()}\ntitle: ", 1),
    "timeout": lambda t, r: re.sub(r"(?m)^    timeout: \d+", f"    timeout: {r.randint(1, 900)}",
                                   t, count=1),
    "bad-date": lambda t, r: re.sub(r"(?m)^created_at: .*$", "created_at: someday", t, count=1),
    "duplicate-tags": lambda t, r: t.replace("title: ", "tags: [a]\ntitle: ", 1),
    "schema-error": lambda t, r: re.sub(r"(?m)^created_at: .*$", f"created_at: {r.randint(1, 9)}",
                                        t, count=1),  # an error (E010) in a field no plan reads
    "title-list": lambda t, r: re.sub(r"(?m)^title: .*$", "title: [a, b]", t, count=1),
}
PLANNED = {
    "status": lambda t, r: re.sub(r"(?m)^status: (\w+)$", lambda m: "status: " + (
        "blocked" if m.group(1) != "blocked" else "pending"), t, count=1),
    "priority": lambda t, r: re.sub(r"(?m)^priority: P(\d)$",
                                    lambda m: f"priority: P{(int(m.group(1)) + 1) % 5}", t,
                                    count=1),
    "estimate": lambda t, r: re.sub(r"(?m)^estimated_hours: .*$",
                                    f"estimated_hours: {r.randint(20, 40)}", t, count=1),
    "no-deps": lambda t, r: re.sub(r"(?m)^depends_on: .*$", "depends_on: [T001]", t, count=1),
    "milestone": lambda t, r: t.replace("title: ", "milestone: M-new\ntitle: ", 1),
    "new-id": lambda t, r: re.sub(r"(?m)^id: .*$", "id: T777", t, count=1),
    "broken-yaml": lambda t, r: t.replace("title: ", "title: [unclosed\n", 1),
    "integer-id": lambda t, r: re.sub(r"(?m)^id: T0*(\d+)$", r"id: \1", t, count=1),
    "phase": lambda t, r: re.sub(r"(?m)^phase: .*$", f"phase: phase-{r.randint(1, 9)}", t,
                                 count=1),  # `status` groups by it
}


@pytest.fixture
def tree(tmp_path, monkeypatch, no_racy_window):
    """A generated 60-task tree (benchmarks/gen_tree.py); loads store what they loaded in
    line (not from a child forked at exit), so the next question finds it."""
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setenv("TASKCTL_SERVE", "0")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)  # stored before the next
    return generated_tree(tmp_path / "gen", 60)


@pytest.fixture
def clock(tree):
    """The tree's files settled (an hour old), and the clock for later writes."""
    c = Clock(tree)
    for p in [*(tree / "tasks").iterdir(), tree / "manifest.json"]:
        c.touch(p)
    return c


class Clock:
    """A distinct, settled modification time for every write (a file's stat must change with
    its text; two writes in one timestamp tick would not). The answers stored so far were
    written before it, on the same clock (the cutoff looks at files written since its
    answer, less the racy window)."""

    def __init__(self, tree: Path):
        self.tree, self.ns = tree, time.time_ns() - 3600 * 10**9

    def touch(self, path: Path) -> None:
        for answer in (self.tree / ".cache").glob("*.answer"):
            os.utime(answer, ns=(self.ns, self.ns))
        self.ns += 10**6
        os.utime(path, ns=(self.ns, self.ns))


def reference(root: Path, command: str, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setenv("TASKCTL_NO_CACHE", "1")
        doc = (answers.compute(root, command, {"weight": "auto"}) if command == "status"
               else answers.plan_answer(root, command, "auto"))
        return json.loads(json.dumps(doc))


def asked(root: Path, command: str, made: list, cutoff=replan) -> dict:
    """The answer as every caller gets it, and whether the cutoff (`cutoff.patched`) made
    it."""
    real = cutoff.patched

    def spy(*a):
        got = real(*a)
        made.append(got is not None)
        return got

    cutoff.patched = spy
    try:
        doc = (answers.answer(root, command, {"weight": "auto"}) if command == "status"
               else answers.planned(root, command, "auto"))
        return json.loads(json.dumps(doc))
    finally:
        cutoff.patched = real


@pytest.mark.parametrize("seed", range(4))
def test_every_answer_after_random_edits_is_a_full_load_s(tree, clock, seed, monkeypatch):
    rng = random.Random(seed)
    files = sorted((tree / "tasks").iterdir())
    for command in replan.COMMANDS:
        assert asked(tree, command, []) == reference(tree, command, monkeypatch)
    cut = 0
    for step in range(12):
        picked = rng.sample(files, rng.choice([1, 1, 2, 3]))
        kinds = [rng.choice(list(COSMETIC) * 3 + list(PLANNED)) for _ in picked]
        for path, kind in zip(picked, kinds, strict=True):
            path.write_text({**COSMETIC, **PLANNED}[kind](path.read_text(), rng))
            clock.touch(path)
        planned = any(k in PLANNED for k in kinds)
        for command in rng.sample(replan.COMMANDS, len(replan.COMMANDS)):
            made: list = []
            got = asked(tree, command, made)
            assert got == reference(tree, command, monkeypatch), (seed, step, kinds, command)
            # every answer was current before the edits: cut off exactly when none can read
            # what changed
            assert made == [not planned], (step, kinds, command)
            cut += made == [True]
        if planned:  # put back what leaves no task of that id: a valid tree to go on with
            for path, kind in zip(picked, kinds, strict=True):
                if kind in ("new-id", "broken-yaml", "integer-id"):
                    path.write_text(text_of(path, tree))
                    clock.touch(path)
            for command in replan.COMMANDS:
                asked(tree, command, [])
    assert cut >= 4, cut  # the cutoff was exercised, not only the full path


def text_of(path: Path, root: Path) -> str:
    """A task file of the generated tree as generated (its manifest entry's values)."""
    tid = path.name.split("-")[0]
    entry = next(e for e in json.loads((root / "manifest.json").read_text())["tasks"]
                 if e["id"] == tid)
    deps = ", ".join(entry["depends_on"])
    return (f'---\nid: {tid}\ntitle: "{entry["title"]}"\nstatus: {entry["status"]}\n'
            f'priority: {entry["priority"]}\ndepends_on: [{deps}]\n'
            f'estimated_hours: {entry["estimated_hours"]}\n---\n\nBody.\n')


def test_a_cosmetic_edit_is_cut_off_and_its_title_shown(tree, clock, monkeypatch):
    first = asked(tree, "next", [])
    shown = first["report"]["tasks"][0]["id"]
    path = next((tree / "tasks").glob(f"{shown}-*"))
    path.write_text(re.sub(r'(?m)^title: .*$', 'title: "A new name"', path.read_text(), count=1))
    clock.touch(path)
    made: list = []
    got = asked(tree, "next", made)
    assert made == [True]
    assert got["report"]["tasks"][0]["title"] == "A new name"
    assert got["problems"][1] == first["problems"][1] + 1  # the manifest says another title
    assert got == reference(tree, "next", monkeypatch)


@pytest.mark.parametrize("change", ["claim-file", "manifest-touched", "file-added",
                                    "companion-forged"])
def test_anything_but_task_files_changing_is_planned_again(tree, clock, change, monkeypatch):
    asked(tree, "next", [])
    path = sorted((tree / "tasks").iterdir())[5]
    path.write_text(path.read_text() + "\nnotes\n")
    clock.touch(path)
    if change == "claim-file":
        (tree / "claims").mkdir(exist_ok=True)
        (tree / "claims" / "T001.json").write_text('{"task": "T001"}')
    elif change == "manifest-touched":
        clock.touch(tree / "manifest.json")
    elif change == "file-added":
        (tree / "tasks" / "T999-extra.md").write_text(text_of(path, tree).replace(
            path.name.split("-")[0], "T999"))
    else:  # a companion sealed by this user but not of this answer: not trusted
        slot = cachemod.slot_name("next", {"weight": "auto"})
        key = filecache.file_key(str(path))
        poison = (key, (("x",), "poisoned", 0, 0))  # "unchanged", with another view
        cachemod.put_sealed(tree, slot + ".over", marshal.dumps(("another key",
                                                                 {str(path): poison})))
    made: list = []
    got = asked(tree, "next", made)
    # a touched manifest holds the bytes it held (the copy kept of them says so:
    # `manifestdiff.py`), and a forged companion is only not used: both cut off all the same
    assert made == ([True] if change in ("companion-forged", "manifest-touched") else [False])
    assert got == reference(tree, "next", monkeypatch)


def test_a_load_in_between_does_not_hide_what_the_answer_was_computed_from(tree, clock,
                                                                          monkeypatch):
    """An edit, then another command's load (which patches the edited file into the stored
    backlog's delta), then the plan: the answer was computed before the edit, at the stored
    snapshot's key of that file, and is still cut off from it."""
    asked(tree, "next", [])
    path = sorted((tree / "tasks").iterdir())[7]
    path.write_text(path.read_text() + "\nnotes\n")
    clock.touch(path)
    asked(tree, "ready", [])  # computed in full: its load stores a delta with the edit
    assert (tree / ".cache" / "backlog-delta.marshal").exists()
    made: list = []
    assert asked(tree, "next", made) == reference(tree, "next", monkeypatch)
    assert made == [True]


@pytest.mark.parametrize("kind", sorted({**COSMETIC, **PLANNED}))
def test_each_edit_is_cut_off_exactly_when_the_plan_cannot_read_it(tree, clock, kind, monkeypatch):
    for command in replan.COMMANDS:
        asked(tree, command, [])
    # a task `next` offers, with dependencies: what the plan reads of it matters
    offered = {row["id"] for row in asked(tree, "next", [])["report"]["tasks"]}
    path = next(p for p in sorted((tree / "tasks").iterdir())
                if p.name.split("-")[0] in offered and "depends_on: [T" in p.read_text())
    path.write_text({**COSMETIC, **PLANNED}[kind](path.read_text(), random.Random(0)))
    clock.touch(path)
    for command in replan.COMMANDS:
        made: list = []
        assert asked(tree, command, made) == reference(tree, command, monkeypatch)
        assert made == [kind in COSMETIC], command


def test_a_long_lived_caller_s_worker_thread_is_cut_off_too(tree, clock, monkeypatch):
    """The MCP server answers in worker threads, outside a read answer's one walk: the cutoff
    checks the fingerprint that thread's key was taken from."""
    import threading

    asked(tree, "next", [])
    path = sorted((tree / "tasks").iterdir())[9]
    path.write_text(path.read_text().replace("title: ", "title: Threaded ", 1))
    clock.touch(path)
    made: list = []
    out: dict = {}
    worker = threading.Thread(target=lambda: out.update(doc=asked(tree, "next", made)))
    worker.start()
    worker.join()
    assert made == [True]
    assert out["doc"] == reference(tree, "next", monkeypatch)


def test_an_edit_dated_before_the_answer_is_planned_again(tree, clock, monkeypatch):
    """The cutoff looks only at files written since its answer (less the racy window); a
    file whose time was set back (`touch -d`, `tar x`) is not looked at, so the answer's key
    taken again differs and the plan is computed: never an answer that misses the edit."""
    asked(tree, "next", [])
    path = sorted((tree / "tasks").iterdir())[11]
    path.write_text(re.sub(r"(?m)^status: .*$", "status: completed", path.read_text(), count=1))
    clock.touch(path)
    answer = next((tree / ".cache").glob("next-*.answer"))
    old = answer.stat().st_mtime_ns - 3 * 10**9
    os.utime(path, ns=(old, old))
    made: list = []
    assert asked(tree, "next", made) == reference(tree, "next", monkeypatch)
    assert made == [False]
    path.write_text(path.read_text() + "\nnotes\n")
    os.utime(path, ns=(old + 10**6, old + 10**6))  # cosmetic, and dated before the answer
    made = []
    assert asked(tree, "next", made) == reference(tree, "next", monkeypatch)
    assert made == [False]
    clock.touch(path)  # the same text, written after the answer: cut off
    made = []
    assert asked(tree, "next", made) == reference(tree, "next", monkeypatch)
    assert made == [True]

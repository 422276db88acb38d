"""Which files are task files, and in what order (`taskpaths.task_files`)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.load.taskpaths import task_files

_NAMES = st.sampled_from(["T1-a.yaml", "T10.md", "t2.yml", "a b.yaml", "Z.yaml", "notes.txt",
                          "T1-a.yaml.bak", "x-y.md", "é.yaml"])
_DIRS = st.sampled_from(["tasks", "completed", "tasks/sub", "tasks/sub/deep", "tasks/a",
                         "completed/2026", "other"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_DIRS, _NAMES), max_size=25)
       | st.lists(st.tuples(st.sampled_from(["tasks", "completed"]), _NAMES), max_size=25))
def test_order_is_paths_order_for_any_layout(tmp_path_factory, layout):
    """Flat folders take a string sort, nested ones a part-by-part sort: both must give
    exactly `sorted()` of the Paths (the loader's order shows in every output)."""
    root = tmp_path_factory.mktemp("t") / ".tasks"
    for d, name in layout:
        os.makedirs(root / d, exist_ok=True)
        (root / d / name).write_text("id: T1\n")
    want = sorted(Path(dp, n) for top in ("tasks", "completed")
                  for dp, _, ns in os.walk(root / top)
                  for n in ns if n.endswith((".yaml", ".yml", ".md")))
    assert task_files(root) == want


def test_flat_folders_sort_by_folder_then_name(tmp_path):
    root = tmp_path / ".tasks"
    for d, name in [("tasks", "T2.yaml"), ("tasks", "T10.yaml"), ("completed", "T3.md")]:
        os.makedirs(root / d, exist_ok=True)
        (root / d / name).write_text("id: x\n")
    assert [p.relative_to(root).as_posix() for p in task_files(root)] == [
        "completed/T3.md", "tasks/T10.yaml", "tasks/T2.yaml"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["/r/.tasks/tasks", "tasks", "/r/a.b", "", "/"]),
       st.text(alphabet="Tt01-_. ab", min_size=1, max_size=12).filter(
           lambda n: n not in (".", "..") and "/" not in n))
def test_stem_is_pathlibs(folder, name):
    """The string stem the loader takes of every file is `PurePath.stem`, dots and all."""
    from taskctl.core.load.taskpaths import _stem, filename_matches, id_from_filename

    path = Path(folder, name) if folder else Path(name)
    assert _stem(path) == path.stem
    tid = id_from_filename(path)
    assert filename_matches(path, tid) == (path.stem == tid or (
        path.stem.startswith(tid) and path.stem[len(tid)] in "-_. "))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["/r/.tasks/tasks", "tasks", "/r/./a//b/", "./tasks", ".", "/", "a/.."]),
       st.lists(st.text(alphabet="Tt01-_. abé", min_size=1, max_size=12).filter(
           lambda n: n not in (".", "..")), min_size=1, max_size=4))
def test_children_are_pathlibs_paths_text_and_all(folder, names):
    """The loader's child paths (made without parsing, their text set where Python's own
    shortcut leaves it to `str()`) are `Path(folder) / name`: equal, same text and hash."""
    from taskctl.core.load.taskpaths import _children

    for got, name in zip(_children(folder, names), names, strict=True):
        want = Path(folder) / name
        assert (got, str(got), os.fspath(got), hash(got)) == (want, str(want), str(want),
                                                              hash(want))
        assert got.name == name and got.parent == Path(folder)

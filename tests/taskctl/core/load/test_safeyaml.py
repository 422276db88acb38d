"""Hostile files get a clear located problem: never a hang, a traceback or a crash."""

from __future__ import annotations

import os
import time

import pytest
import yaml

from taskctl.core.load import loader, safeyaml

GOOD = ("---\nid: T001\ntitle: ok\nstatus: pending\npriority: P1\ndepends_on: []\n---\n\n"
        "## Description\n\nx\n")


def _tree(tmp_path, files: dict[str, bytes | str]):
    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    for name, content in files.items():
        p = root / "tasks" / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def _codes(bl):
    return {(p.code, p.file.rsplit("/", 1)[-1]) for p in bl.problems}


def test_alias_bomb_is_rejected_quickly(tmp_path):
    lines = ["id: T002", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 60):
        lines.append(f"a{i}: &a{i} [*a{i-1 if i > 1 else ''}, *a{i-1 if i > 1 else ''}]"
                     .replace("*a0", "*a").replace("&a0", "&a"))
    root = _tree(tmp_path, {"T002-bomb.yaml": "\n".join(lines).replace("*a,", "*a,") + "\n"})
    start = time.monotonic()
    bl = loader.load(root, use_cache=False)
    assert time.monotonic() - start < 5
    p = next(p for p in bl.problems if p.file.endswith("T002-bomb.yaml"))
    assert p.code == "E001" and "alias" in p.message


def test_non_utf8_binary_and_huge_files(tmp_path):
    root = _tree(tmp_path, {
        "T001-ok.yaml": GOOD,
        "T002-latin1.yaml": b"---\nid: T002\ntitle: caf\xe9\n---\n",
        "T003-bin.yaml": b"\x00\x01\x02binary",
        "T004-huge.yaml": "---\nid: T004\n---\n" + "x" * (2 << 20),
    })
    bl = loader.load(root, use_cache=False)
    probs = {p.file.rsplit("/", 1)[-1]: p for p in bl.problems if p.code == "E002"}
    assert probs["T002-latin1.yaml"].line == 3 and "UTF-8" in probs["T002-latin1.yaml"].message
    assert "binary" in probs["T003-bin.yaml"].message
    assert "limit" in probs["T004-huge.yaml"].message
    assert "T001" in bl.tasks


def test_symlink_outside_the_tree_is_refused(tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("id: T009\n")
    root = _tree(tmp_path, {"T001-ok.yaml": GOOD})
    os.symlink(outside, root / "tasks" / "T009-link.yaml")
    bl = loader.load(root, use_cache=False)
    assert ("E002", "T009-link.yaml") in _codes(bl)
    assert "T009" not in bl.tasks


def test_a_link_inside_the_tree_is_read_and_a_broken_one_is_said(tmp_path):
    root = _tree(tmp_path, {"T001-ok.yaml": GOOD})
    (root / "real").mkdir()
    (root / "real" / "T002.yaml").write_text(GOOD.replace("T001", "T002"))
    os.symlink(root / "real" / "T002.yaml", root / "tasks" / "T002-link.yaml")
    os.symlink(root / "real" / "gone.yaml", root / "tasks" / "T003-broken.yaml")
    assert safeyaml.read_text(root / "tasks" / "T002-link.yaml", root).startswith("---\nid: T002")
    with pytest.raises(safeyaml.FileIssue, match="broken symlink"):
        safeyaml.read_text(root / "tasks" / "T003-broken.yaml", root)
    with pytest.raises(safeyaml.FileIssue, match="cannot stat: No such file"):
        safeyaml.read_text(root / "tasks" / "T004-none.yaml", root)


def test_a_fifo_or_a_folder_is_refused_never_waited_on(tmp_path):
    """A FIFO where a task file should be: refused at once (no writer would ever come)."""
    root = _tree(tmp_path, {"T001-ok.yaml": GOOD})
    os.mkfifo(root / "tasks" / "T005-fifo.yaml")
    (root / "tasks" / "T006-dir.yaml").mkdir()
    start = time.monotonic()
    with pytest.raises(safeyaml.FileIssue, match="not a regular file"):
        safeyaml.read_text(root / "tasks" / "T005-fifo.yaml", root)
    with pytest.raises(safeyaml.FileIssue, match="a directory"):
        safeyaml.read_text(root / "tasks" / "T006-dir.yaml", root)
    assert time.monotonic() - start < 5


def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path):
    root = _tree(tmp_path, {"T005-deep.yaml": "id: T005\nx: " + "[" * 5000 + "]" * 5000 + "\n"})
    bl = loader.load(root, use_cache=False)
    assert any(p.file.endswith("T005-deep.yaml") for p in bl.problems) or "T005" in bl.tasks


def test_front_matter_never_closed(tmp_path):
    root = _tree(tmp_path, {"T006-open.md": "---\nid: T006\ntitle: x\n"})
    bl = loader.load(root, use_cache=False)
    p = next(p for p in bl.problems if p.file.endswith("T006-open.md"))
    assert p.code == "E001" and "never closed" in p.message


def test_pyyaml_is_imported_only_to_parse(tmp_path):
    """The loader imports PyYAML only when a file is parsed (~15 ms of a read command whose
    files all come from the cache otherwise); fastyaml's values and PyYAML's fallback (a
    block scalar) are still PyYAML's."""
    import subprocess
    import sys

    code = ("import sys\nfrom taskctl.core.load import loader, safeyaml\n"
            "print('yaml' in sys.modules)\n"
            "print(safeyaml.load('id: T1\\nn: 017\\nok: yes\\nd: 2026-01-02\\n'))\n"
            "print('yaml' in sys.modules)\n"
            "print(safeyaml.load('id: T1\\ntext: |\\n  a\\n'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["False", "{'id': 'T1', 'n': 15, 'ok': True, 'd': datetime.date(2026, 1, 2)}",
                   "True", "{'id': 'T1', 'text': 'a\\n'}"]


@pytest.mark.parametrize("text, want", [
    ('id: T1\n"priority": P1\npriority: P2\n', [("priority", 2, 3)]),
    ("id: T1\nstatus: a\n'status': b\nstatus: c\n", [("status", 2, 3), ("status", 2, 4)]),
    ("id: T1\ndescription: |\n  priority: P1\npriority: P2\n", []),  # inside a block: no key
    ("id: T1\nx: {a: 1, a: 2}\n", []),  # nested: left to PyYAML
])
def test_duplicate_top_level_keys(text, want):
    assert safeyaml.duplicate_keys(text) == want
    found: list = []
    assert safeyaml.load(text, 0, found) == yaml.safe_load(text)
    assert found == want


def test_a_duplicate_key_is_a_warning_where_it_is(tmp_path):
    from taskctl.core.load.loader import load
    from tests.taskctl.one_task import one_task_tree

    root = tmp_path / ".tasks"
    one_task_tree(root, 'id: T001\ntitle: One\n"status": pending\nstatus: blocked\n')
    for use_cache in (True, True, False):  # computed, then from the per-file cache
        bl = load(root, use_cache=use_cache)
        dup = [p for p in bl.problems if p.rule == "duplicate-key"]
        assert [(p.code, p.line, p.task) for p in dup] == [("W105", 4, "T001")]
        assert "lines 4 and 5" in dup[0].message and bl.tasks["T001"].status == "blocked"

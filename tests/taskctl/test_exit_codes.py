"""Exit codes: one table (taskctl.errors.ExitCode), repeated in the README and the errors
module's docstring, chosen in one place (cli/app.py:main): no command exits by itself."""

from __future__ import annotations

import re
from pathlib import Path

import taskctl.errors as errors
from taskctl.errors import ExitCode, TaskctlError

ROOT = Path(__file__).resolve().parents[2]


def _table_codes(text: str) -> set[int]:
    return {int(m) for m in re.findall(r"^\|\s*(\d+)\s*\|", text, flags=re.M)}


def test_readme_and_docstring_list_every_code():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    assert _table_codes(section) == {int(c) for c in ExitCode}
    assert _table_codes(errors.__doc__) == {int(c) for c in ExitCode}


def test_every_error_maps_to_a_listed_code():
    def walk(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    for cls in walk(TaskctlError):
        assert cls.exit_code in set(ExitCode), cls


# Not a command's exit: the forked helper of a cold load, and the forked child that stores a
# load's snapshot, end their own processes with `os._exit` (they must not run the command's
# atexit handlers or flush the command's buffers); the console script's last step
# (`cli/process.leave`) passes on the code app.main chose, skipping the teardown.
HELPER_EXITS = {("taskctl/core/load/fanout.py", "os._exit(code)"),
                ("taskctl/core/load/snapshot.py", "os._exit(0)"),
                ("taskctl/cli/process.py", "sys.exit(code)"),
                ("taskctl/cli/process.py", "os._exit(code or 0)")}


def test_only_app_main_chooses_exit_codes():
    pattern = re.compile(r"typer\.Exit\(\s*[^)\s]|sys\.exit\(|raise SystemExit|os\._exit\(")
    offenders = []
    for path in sorted((ROOT / "taskctl").rglob("*.py")):
        if path == ROOT / "taskctl" / "cli" / "app.py":
            continue
        rel = str(path.relative_to(ROOT))
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and (rel, line.strip().split("  #")[0]) not in HELPER_EXITS:
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


def test_json_failure_prints_one_document_and_the_code(taskctl, copy_example):
    broken = copy_example("broken")
    r = taskctl(["validate", "--json", "--tasks-dir", broken])
    assert r.code == ExitCode.PROBLEMS
    doc = r.json()  # exactly one JSON document on stdout
    assert doc["ok"] is False and r.err == ""
    r = taskctl(["show", "T999", "--json", "--tasks-dir", broken])
    assert r.code == ExitCode.USAGE and r.json()["exit_code"] == 2

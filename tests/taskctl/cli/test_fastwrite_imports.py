"""The one-task writes (`claim`, `set`, `log`) import only what a one-task write needs.

Start-up is most of their time (docs/taskctl-performance.md: target <= 150 ms whole process),
so a stray import on this path is a speed regression nobody would see in a functional test.
Each command runs as a real process through the console entry (`cli/quick.py`) on a small
tree; the modules it loaded are read back at exit and checked against what must stay out.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.taskctl.core.lifecycle.lifecycle_support import env, independent_tree

# never on these paths: the full CLI and its renderers, schema validators, graph libraries,
# the whole-tree loader and what only it needs, and stdlib modules heavier than the write
NEVER = ("typer", "click", "rich", "jsonschema", "fastjsonschema", "networkx", "git",
         "taskctl.cli.app", "taskctl.core.load.loader", "taskctl.core.load.checks",
         "taskctl.core.load.yamlcache", "taskctl.core.problems", "taskctl.core.verify",
         "tempfile", "shutil", "socket", "hashlib", "statistics", "importlib.resources",
         "subprocess", "asyncio", "email", "decimal")
# `log` patches no manifest entry: no derived data, so no planning either
LOG_NEVER = ("taskctl.core.plan", "taskctl.core.write.sync", "taskctl.core.load.manifest",
             "graphlib")

RUN = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["taskctl", *sys.argv[2:]]
from taskctl.cli.quick import main
main()
"""


def modules_of(tmp_path, root, *args: str) -> set[str]:
    dump = tmp_path / "modules.json"
    p = subprocess.run([sys.executable, "-c", RUN, str(dump), "--tasks-dir", str(root), *args],
                       capture_output=True, text=True, env=env(), timeout=120)
    assert p.returncode == 0, p.stderr
    return set(json.loads(dump.read_text()))


@pytest.mark.parametrize("args", [
    ("claim", "T001", "--agent", "a"),
    ("set", "T002", "title=Renamed", "priority=P2", "--agent", "a"),
    ("log", "T002", "a line", "--agent", "a"),
    ("log", "T002", "a line", "--json"),  # no --agent: the default name needs no socket
])
def test_one_task_writes_import_only_what_they_need(tmp_path, args):
    root = independent_tree(tmp_path / "repo", 3)
    mods = modules_of(tmp_path, root, *args)
    assert "taskctl.cli.fastwrite" in mods  # answered by the fast path, not the full CLI
    never = NEVER + (LOG_NEVER if args[0] == "log" else ())
    loaded = sorted(m for m in mods if any(m == n or m.startswith(n + ".") for n in never))
    assert loaded == [], f"{args[0]} imported {loaded}"

"""A read command asked for `--json` with nothing cached parses every task file: what it
imports is most of its time above the interpreter's start-up (docs/taskctl-performance.md,
part 20). Each runs as a real process through the console entry (`cli/quick.py`) on a copy
of the bundled backlog, with no cache and no server; the modules it loaded are read back at
exit and checked against what must stay out of a parse: `dataclasses` and what it imports
(`inspect`, `ast`, `dis`, `tokenize`: the model is made of `core/records.py` records),
`typing`, and the full CLI and its renderers. The same holds for the tables people read when
they go to a pipe: `render/plain.py` writes them without rich (which imports `dataclasses`).

A read answered again (warm: its drawing replayed, `cli/replay.py`) imports less still: no
`pathlib`, `re`, `enum`, `functools`, `collections`, `json`, nor `taskctl.errors`. In a
regular install nothing has imported those before taskctl runs (≈ 8 ms of a ≈ 13 ms
interpreter start-up here); the dev venv's editable install imports them in its `.pth`, so
that run starts without `site` (`-S`), this checkout and the packages on `PYTHONPATH`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.taskctl.core.lifecycle.lifecycle_support import env
from tests.tree_copy import copy_tracked

REPO = Path(__file__).resolve().parents[3]
NEVER = ("dataclasses", "inspect", "ast", "dis", "tokenize", "typing", "typer", "click",
         "rich", "taskctl.cli.app",
         # what only a large tree's forked parse helper needs (`core/load/fanout.py`): ≈ 2 ms
         "threading", "mmap", "struct")
RUN = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["taskctl", *sys.argv[2:]]
from taskctl.cli.quick import main
main()
"""


@pytest.fixture(scope="module", params=["as bundled", "one task in progress"])
def bundled(tmp_path_factory, request) -> Path:
    """The bundled backlog; and with a task marked in progress by hand, as agents do (who
    holds it is then read from claims, events and lock markers: more modules on the path)."""
    root = copy_tracked(REPO / ".tasks", tmp_path_factory.mktemp("repo") / ".tasks")
    if request.param == "one task in progress":
        path = next(p for p in sorted((root / "tasks").rglob("*.yaml"))
                    if "\nstatus: pending\n" in p.read_text())
        path.write_text(path.read_text().replace("\nstatus: pending\n",
                                                 "\nstatus: in_progress\n", 1))
    return root


@pytest.mark.parametrize("args", [
    ("next", "--json"), ("ready", "--json"), ("list", "--json"), ("status", "--json"),
    ("critical-path", "--json"), ("show", "T001", "--json"), ("validate", "--json"),
    # the tables people read, in a pipe: written by render/plain.py, rich not imported
    ("next",), ("ready",), ("list",), ("status",), ("critical-path",), ("show", "T001"),
    ("validate",),
])
def test_a_read_with_nothing_cached_imports_no_dataclasses(tmp_path, bundled, args):
    dump = tmp_path / "modules.json"
    p = subprocess.run([sys.executable, "-c", RUN, str(dump), "--tasks-dir", str(bundled),
                        *args], capture_output=True, text=True, timeout=120,
                       env={**env(), "TASKCTL_NO_CACHE": "1", "TASKCTL_SERVE": "0"})
    assert p.returncode == 0, p.stderr
    mods = set(json.loads(dump.read_text()))
    assert "taskctl.core.load.loader" in mods  # the tree was parsed, not read from a cache
    loaded = sorted(m for m in mods if any(m == n or m.startswith(n + ".") for n in NEVER))
    assert loaded == [], f"{args[0]} imported {loaded}"


WARM_NEVER = ("pathlib", "re", "enum", "functools", "collections", "json", "taskctl.errors",
              "taskctl.core.load.loader", "taskctl.render", "taskctl.cli.answers")
WARM_RUN = """
import atexit, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv = ["taskctl", *sys.argv[2:]]
from taskctl.cli.quick import main
main()
"""


@pytest.mark.parametrize("args", [("next",), ("next", "--json"), ("ready",), ("list",),
                                  ("list", "--json"), ("status",), ("critical-path",),
                                  ("show", "T001"), ("validate",)])
def test_a_read_answered_again_imports_no_pathlib_nor_re(tmp_path, args):
    root = copy_tracked(REPO / ".tasks", tmp_path / "repo" / ".tasks")
    # a drawing is kept only when it does not depend on the clock (`answers.clock_free`): no
    # task in progress, no claim, whatever state the bundled backlog is in today
    shutil.rmtree(root / "claims", ignore_errors=True)
    for path in [root / "manifest.json", *(root / "tasks").rglob("*.yaml")]:
        text = path.read_text()
        path.write_text(text.replace("\nstatus: in_progress\n", "\nstatus: pending\n")
                        .replace('"status": "in_progress"', '"status": "pending"'))
    libs = dict.fromkeys([str(REPO), sysconfig.get_paths()["purelib"],
                          sysconfig.get_paths()["platlib"]])
    e = {**env(), "TASKCTL_SERVE": "", "PYTHONPATH": os.pathsep.join(libs)}
    dumps = []
    for n in range(2):
        dumps.append(tmp_path / f"modules-{n}.txt")
        p = subprocess.run([sys.executable, "-S", "-c", WARM_RUN, str(dumps[-1]),
                            "--tasks-dir", str(root), *args], capture_output=True, text=True,
                           timeout=120, env=e)
        assert p.returncode == 0, p.stderr
        if n == 0:
            assert list((root / ".cache").glob(f"out-{args[0]}-*.bin")), "no drawing kept"
    first, again = (set(d.read_text().split()) for d in dumps)
    assert "taskctl.core.load.loader" in first  # computed and drawn, then replayed
    # ... its load left to be stored at the exit, without `threading` to learn that the
    # process has one thread (`snapshot.at_exit`), nor the large tree's fork helpers
    assert not {"threading", "mmap", "struct"} & first, sorted(first)
    loaded = sorted(m for m in again if any(m == n or m.startswith(n + ".") for n in WARM_NEVER))
    assert loaded == [], f"{args[0]} answered again imported {loaded}"

"""taskctl must never import jax (start-up speed): run real commands in a fresh interpreter
and look at what got imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from taskctl.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'flax', 'optax', 'orbax'))
print(json.dumps(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["validate"], ["status"], ["next", "--json"],
                                  ["critical-path", "--json"], ["gate", "--check"]])
def test_commands_do_not_import_jax(copy_example, args):
    tasks = copy_example("agent-mvp")
    p = subprocess.run([sys.executable, "-c", PROBE, *args, "--tasks-dir", str(tasks)],
                       capture_output=True, text=True, timeout=120)
    heavy = json.loads(p.stderr.strip().splitlines()[-1])
    assert heavy == [], f"{args} imported {heavy}"

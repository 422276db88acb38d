"""One status vocabulary: no status word is spelled as a bare literal outside core/status.py.

A line may carry `# not a status` when the same word means something else there (the
`completed/` folder, the `completed` key alias of `completed_at`).
"""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.status import ItemOutcome, TaskOutcome, TaskStatus

PKG = Path(__file__).resolve().parents[3] / "taskctl"
WORDS = sorted({str(m) for enum in (TaskStatus, ItemOutcome, TaskOutcome) for m in enum},
               key=len, reverse=True)
ALTERNATIVES = "|".join(map(re.escape, WORDS))
LITERAL = re.compile(r"""(["'])(""" + ALTERNATIVES + r""")\1(?!\s*:)""")  # a key is no status


def stray_literals(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "core" / "status.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0] if "# not a status" not in line else ""
            if LITERAL.search(code):
                found.append(f"{path.relative_to(root.parent)}:{n}: {line.strip()}")
    return found


def test_no_status_literal_outside_the_vocabulary():
    assert stray_literals(PKG) == []


def test_the_check_finds_a_stray_literal(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "x.py").write_text('def f():\n    return "in_progress"\n')
    (tmp_path / "core" / "y.py").write_text('DIR = "completed"  # not a status\n')
    line = 'return "in_progress"'
    assert stray_literals(tmp_path) == [f"{tmp_path.name}/core/x.py:2: {line}"]


def test_statuses_serialise_as_plain_words():
    import json

    assert json.dumps({"s": TaskStatus.IN_PROGRESS, "o": ItemOutcome.PASS}) == \
        '{"s": "in_progress", "o": "PASS"}'
    assert f"{TaskOutcome.NOT_REVERIFIED}" == "not_reverified"

"""Generate a large, valid `.tasks` tree for benchmarks: `python benchmarks/gen_tree.py OUT
--count 10000` writes OUT/.tasks (manifest + one front-matter/Markdown file per task).

Deterministic (seeded). Dependencies only point to lower ids, so the graph is a DAG with
realistic fan-in (0-3 deps, mostly recent tasks) and a mix of statuses, priorities, estimates.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

STATUSES = ["completed"] * 3 + ["pending"] * 5 + ["in_progress", "blocked"]


# `--written`: what people and agents also write in front matter — a folded summary and a
# shell command quoting its argument (the shapes a naive fast path leaves to PyYAML)
WRITTEN = """summary: >-
  A longer summary of {what}
  that wraps onto a second line.
"""


def task_text(tid: str, title: str, status: str, prio: int, deps: list[str], hours: float,
              tags: list[str], phase: str, written: bool = False) -> str:
    run = (f'python -c \\"import {tags[0]}\\" && pytest -q tests/test_{tid.lower()}.py'
           if written else f"pytest -q tests/test_{tid.lower()}.py")
    summary = WRITTEN.format(what=title.lower()) if written else ""
    return f"""---
id: {tid}
title: "{title}"
status: {status}
priority: P{prio}
depends_on: [{", ".join(deps)}]
tags: [{", ".join(tags)}]
phase: {phase}
estimated_hours: {hours}
created_at: "2026-01-15"
{summary}acceptance:
  - criterion: "unit tests for {tid} pass"
    run: "{run}"
    timeout: 120
    inputs: ["src/{tid.lower()}/**/*.py"]
  - criterion: "reviewed by a maintainer"
---

## Description

Implement {title.lower()} so that downstream tasks can build on it.

## Business Context

**Problem**: without {tid} the pipeline cannot proceed.

## Acceptance Criteria

1. [ ] unit tests for {tid} pass
2. [ ] reviewed by a maintainer

## Test Scenarios

### Scenario 1: happy path
```
Given: a configured project
When: {tid} runs
Then: it succeeds
```
"""


def generate(out: Path, count: int, seed: int = 0, written: bool = False) -> Path:
    rng = random.Random(seed)
    root = out / ".tasks"
    (root / "tasks").mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(count)))
    entries = []
    done: set[str] = set()
    for i in range(1, count + 1):
        tid = f"T{i:0{width}d}"
        k = rng.choice([0, 1, 1, 2, 2, 3]) if i > 1 else 0
        deps = sorted({f"T{rng.randint(max(1, i - 200), i - 1):0{width}d}" for _ in range(k)})
        status = rng.choice(STATUSES)
        if status == "completed" and not all(d in done for d in deps):
            status = "pending"
        if status == "completed":
            done.add(tid)
        prio, hours = rng.randint(0, 4), rng.choice([0.5, 1, 2, 3, 5, 8])
        phase = f"phase-{(i - 1) * 10 // count + 1}"
        tags = rng.sample(["data", "model", "infra", "eval", "docs"], 2)
        title = f"Task {i} {tags[0]} work"
        fname = f"tasks/{tid}-task-{i}.yaml"
        (root / fname).write_text(task_text(tid, title, status, prio, deps, hours, tags, phase,
                                            written))
        entries.append({"id": tid, "title": title, "file": fname, "status": status,
                        "priority": f"P{prio}", "phase": phase, "depends_on": deps,
                        "tags": tags, "estimated_hours": hours})
    dependents: dict[str, list[str]] = {}
    for e in entries:
        for d in e["depends_on"]:
            dependents.setdefault(d, []).append(e["id"])
    for e in entries:
        e["blocks"] = dependents.get(e["id"], [])
    manifest = {"project": {"name": f"generated-{count}"}, "tasks": entries}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--written", action="store_true",
                    help="add a folded summary and a quoting shell command to every task")
    a = ap.parse_args()
    root = generate(a.out, a.count, a.seed, a.written)
    print(f"wrote {a.count} tasks to {root}")


if __name__ == "__main__":
    main()

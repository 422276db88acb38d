"""Markdown bodies: sections and acceptance checkboxes, whole-text searches vs line by line.

    python benchmarks/bench_bodies.py [--rounds 40] [--count 2000]

The commands that load bodies (`verify`, `gate`, `report`, `export`, `context`, `show`'s one
task) split each task file's Markdown into `## ` sections and find its acceptance checkboxes
(`core/load/markdown.py`). Both ways run here in one process, alternated, on the same parsed
files: `parse_sections` + `locate_checkboxes` (headings found where a line starts with `##`,
fences from the lines holding a fence run) and the line-by-line reference
(`sections_by_line` + `checkboxes_by_line`). Two sets of files: this checkout's `.tasks/`
(real bodies, no fences) and a generated tree (`gen_tree.py`: every body has a fenced
scenario). Each line: median and best of the rounds, for the whole set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(Path(__file__).parent))
from gen_tree import generate  # noqa: E402

from taskctl.core.load import markdown as md  # noqa: E402
from taskctl.core.load import taskfile  # noqa: E402


def bodies(root: Path) -> list:
    raws = [taskfile.read(p, root, dates_as_strings=True)
            for p in sorted((root / "tasks").iterdir())]
    return [r for r in raws if r is not None and r.body]


def whole(raws: list) -> None:
    for r in raws:
        md.parse_sections(r.body, r.body_line)
        md.locate_checkboxes(r.text)


def by_line(raws: list) -> None:
    for r in raws:
        md.sections_by_line(r.body, r.body_line)
        md.checkboxes_by_line(r.text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--count", type=int, default=2000, help="tasks in the generated tree")
    args = ap.parse_args()
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="taskctl-bench-bodies-") as tmp:
        generate(Path(tmp), args.count)
        sets = {"bundled .tasks": bodies(HERE / ".tasks"),
                f"generated, {args.count:,} tasks": bodies(Path(tmp) / ".tasks")}
        for name, raws in sets.items():
            fenced = sum("```" in r.text or "~~~" in r.text for r in raws)
            times: dict[str, list[float]] = {"line by line": [], "whole text": []}
            for _ in range(args.rounds):
                for way, fn in (("line by line", by_line), ("whole text", whole)):
                    start = time.perf_counter()
                    fn(raws)
                    times[way].append(time.perf_counter() - start)
            print(f"{name}: {len(raws)} bodies, {fenced} with a fence")
            for way, ts in times.items():
                print(f"  {way:<14} median {statistics.median(ts) * 1000:9.2f} ms   "
                      f"best {min(ts) * 1000:9.2f} ms")
            ratio = statistics.median(times["whole text"]) / statistics.median(
                times["line by line"])
            print(f"  ratio (whole text / line by line, medians): {ratio:.2f}")


if __name__ == "__main__":
    main()

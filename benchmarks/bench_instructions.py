"""Instructions, not milliseconds: a deterministic A/B of two versions on a noisy machine.

    python benchmarks/bench_instructions.py --reference DIR [--count 10000] [--rounds 2]
                                            [--scenarios edit,status,cold] [--command "next --json"]
                                            [--bundled]

Wall clock on a shared two-core VM swings by ~1.8x within minutes (the same command's CPU
550-980 ms between consecutive runs), so small changes drown in it. `valgrind --tool=callgrind`
counts the instructions a process executes; for the same work the count repeats to ~0.2 %.
Each run is one whole process started by the console script pip writes from a venv with
nothing installed (`bare.py`: no editable install's finder in the start-up), the
package imported from this checkout or from the reference (`git archive <rev> taskctl | tar -x
-C DIR`) through `PYTHONPATH`, the two alternated, each on its own copy of a generated tree
(`gen_tree.py`), beside that venv's `python -c pass` counted the same way:

- "edit": one task file's title edited, the racy window (2 s) waited out, the command run
  (the stored backlog patched for one file: what an agent pays after its edit);
- "status": one task's status changed in its file alone (pending to in progress, or back),
  the window waited out, the command run: an edit the plan reads, whose entry in the
  manifest now disagrees (a drift warning citing the entry's line);
- "cold": `TASKCTL_NO_CACHE=1 TASKCTL_LOAD_JOBS=1` (a full load in one process).

`--bundled`: this checkout's own `.tasks/` (all of it but `.cache/`: real bodies, acceptance
lists, evidence) instead of a generated tree; `--count` is then unused.

Counts are of the command's own process (not the child that stores the backlog at exit).
Needs valgrind (`apt-get install valgrind`); runs ~40x slower than the command itself.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bare import Bare  # noqa: E402
from gen_tree import generate  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own

HERE = Path(__file__).resolve().parents[1]  # this checkout: its `taskctl` package


def instructions(argv: list[str], cwd: Path, env: dict, out: Path) -> int:
    """Instructions executed by the process `argv` starts (callgrind's `summary:`)."""
    p = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p",
                          *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    p.wait()
    text = Path(f"{out}.{p.pid}").read_text(errors="replace")
    m = re.search(r"^summary: (\d+)", text, re.M)
    if m is None:
        raise SystemExit(f"no callgrind summary for {argv[:3]}")
    return int(m.group(1))


def edit_title(root: Path, k: int) -> None:
    names = sorted(os.listdir(root / "tasks"))
    f = root / "tasks" / names[(k * 97 + 31) % len(names)]
    f.write_text(f.read_text().replace("title: ", "title: x", 1))


def edit_status(root: Path, k: int) -> None:
    """A task's status changed in its file alone (by hand, as agents do): the plan reads it,
    and the manifest entry now disagrees (a drift warning that cites the entry's line)."""
    names = sorted(os.listdir(root / "tasks"))
    f = root / "tasks" / names[(k * 89 + 7919) % len(names)]
    text = f.read_text()
    new = re.sub(r"(?m)^status: pending$", "status: in_progress", text, count=1)
    if new == text:
        new = re.sub(r"(?m)^status: .*$", "status: pending", text, count=1)
    f.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", type=Path, required=True,
                    help="a directory holding another version's taskctl package")
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--scenarios", default="edit,cold")
    ap.add_argument("--command", default="next --json")
    ap.add_argument("--bundled", action="store_true",
                    help="this checkout's .tasks/ instead of a generated tree")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found (apt-get install valgrind)")
    versions = {"reference": str(args.reference), "this checkout": str(HERE)}
    tmp = Path(tempfile.mkdtemp(prefix="taskctl-bench-instr-"))
    try:
        bare = Bare(tmp)
        # the same launcher for both: the versions differ in the package alone
        taskctl = [bare.python, *bare.script("pip script"), *args.command.split()]
        if args.bundled:
            shutil.copytree(HERE / ".tasks", tmp / "base" / ".tasks",
                            ignore=shutil.ignore_patterns(".cache"))
        else:
            generate(tmp / "base", args.count)
        trees = {}
        for i, (name, pkg) in enumerate(versions.items()):
            trees[name] = tmp / f"v{i}"
            shutil.copytree(tmp / "base", trees[name])
            for _ in range(2):  # the caches built and stored (bytecode compiled too)
                time.sleep(2.3)
                subprocess.run(taskctl, cwd=trees[name], env=bare.env(pkg),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = tmp / "cg.out"
        counts: dict[tuple[str, str], list[int]] = {}
        floor = instructions(bare.floor(), tmp, bare.env(HERE), out)
        for r in range(args.rounds):
            for scenario in args.scenarios.split(","):
                order = list(versions.items())
                for name, pkg in (order if r % 2 == 0 else order[::-1]):
                    root = trees[name]
                    run_env = bare.env(pkg)
                    if scenario in ("edit", "status"):
                        (edit_title if scenario == "edit" else edit_status)(root / ".tasks", r)
                        time.sleep(2.3)
                    elif scenario == "cold":
                        run_env.update(TASKCTL_NO_CACHE="1", TASKCTL_LOAD_JOBS="1")
                    else:
                        raise SystemExit(f"unknown scenario {scenario!r} (edit, status, cold)")
                    n = instructions(taskctl, root, run_env, out)
                    counts.setdefault((scenario, name), []).append(n)
                    time.sleep(2.5)  # the child that stores the backlog at exit is done
        size = "the bundled backlog" if args.bundled else f"{args.count:,} tasks"
        print(f"{size}, `{args.command}`, {args.rounds} round(s); "
              f"python -c pass: {floor / 1e6:,.0f} M instructions")
        for scenario in args.scenarios.split(","):
            ref = statistics.median(counts[(scenario, "reference")])
            this = statistics.median(counts[(scenario, "this checkout")])
            spread = max(counts[(scenario, "this checkout")]) / min(
                counts[(scenario, "this checkout")]) - 1
            print(f"  {scenario:5s}  reference {ref / 1e6:9,.0f} M  this checkout "
                  f"{this / 1e6:9,.0f} M  ratio {this / ref:.3f}  "
                  f"({this / floor:.0f}x the floor; spread {spread:.1%})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What an agent's next read costs after it changed one task: whole processes, this checkout
beside a reference version, alternated in the same run.

    python benchmarks/bench_edit.py [--count 10000] [--rounds 5] [--command "next --json"]
                                    [--reference /tmp/main-export] [--serve] [--auto]

Three edits, each followed by one run of the command (the plan cache misses; the per-file cache
holds everything else):
- "file": one task file's title edited in place (a different file each round);
- "manifest": the manifest rewritten (atomically, as `claim`/`set` do) with one entry's title
  changed, by another program;
- "claim": `taskctl claim <id> --force` by the same version (a pending task's status, its task
  file, the manifest with its derived parts, a claim file): an agent's loop. The claim's own
  time is printed apart ("claim itself"). Claims run on a copy of their own (a claim's write
  adds the manifest's derived parts, which would triple the other rows' manifest).
Each round waits out the racy window (2 s) after the edit, as an agent's next call would, so
the previous round's edit is cached again and saved (the cost a real session pays). Then,
a second later, a question not asked before on the unchanged tree ("new question": `list
--json --tag qN`, which no answer cache holds). "file at once": one task file edited and the
command run right after, with no wait (an agent that edits and asks at once).

`--serve` adds this checkout with `taskctl serve` watching its own copy ("served"); the
server's CPU is printed apart (the command's CPU column does not hold it). `--auto` adds this
checkout with the server left to start on its own (`TASKCTL_SERVE=auto`, `cli/autoserve.py`:
the first read of the large store starts it, while the caches are filled), as a person or an
agent gets it; every other version runs with `TASKCTL_SERVE=0`.

Every process starts from a venv with nothing installed, through the console script pip
writes (`bare.py`: the dev venv's editable install adds ≈ 20 ms of imports to each start-up,
the floor's included).
`--reference DIR` holds another version's `taskctl` package (`git archive <rev> taskctl | tar
-x -C DIR`), run by the same script with that package first on `PYTHONPATH`. Each version gets
its own copy of a generated tree (their caches differ). Figures: median wall and CPU of the
process, `python -c pass` measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bare import Bare  # noqa: E402
from bench_table import REPO, measure, rewrite_one_entry  # noqa: E402
from gen_tree import generate  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own


def run(argv: list[str], env: dict) -> tuple[float, float]:
    """(wall s, CPU s) of one process."""
    wall, cpu, _peak = measure(argv, env)
    return wall, cpu


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def edit_file(root: Path, i: int) -> None:
    names = sorted(os.listdir(root / "tasks"))
    f = root / "tasks" / names[(i * 97) % len(names)]
    f.write_text(f.read_text().replace("title: ", "title: x", 1))


def edit_manifest(root: Path, i: int) -> None:
    rewrite_one_entry(root / "manifest.json", i * 131)


def pending_ids(root: Path) -> list[str]:
    import json

    entries = json.loads((root / "manifest.json").read_text())["tasks"]
    return [e["id"] for e in entries if e.get("status") == "pending"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--command", default="next --json")
    ap.add_argument("--reference", type=Path, help="a directory holding another taskctl")
    ap.add_argument("--serve", action="store_true",
                    help="also this checkout with `taskctl serve` watching its copy")
    ap.add_argument("--auto", action="store_true",
                    help="also this checkout with the server started on its own")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="taskctl-bench-edit-"))
    roots: dict[str, Path] = {}
    claimed: dict[str, Path] = {}  # each version's copy that claims are made in
    try:
        generate(tmp / "base", args.count)
        bare = Bare(tmp)
        exe = bare.script("pip script")  # every version: the package on PYTHONPATH differs
        packages: dict[str, Path] = {"this checkout": REPO}
        if args.reference:
            packages["reference"] = args.reference.resolve()
        if args.serve:
            packages["served"] = REPO
        if args.auto:
            packages["auto-served"] = REPO
        envs = {name: bare.env(pkg, {**os.environ, "TASKCTL_SERVE": "auto"
                                     if name == "auto-served" else "0"})
                for name, pkg in packages.items()}
        for name in packages:
            d = tmp / name.replace(" ", "-")
            shutil.copytree(tmp / "base" / ".tasks", d / ".tasks")
            roots[name] = d / ".tasks"
            shutil.copytree(tmp / "base" / ".tasks", d / "claimed" / ".tasks")
            claimed[name] = d / "claimed" / ".tasks"
        server = None
        if args.serve:
            import json
            import subprocess

            out = subprocess.run([*exe, "serve", "start", "--json", "--tasks-dir",
                                  str(roots["served"])], capture_output=True, text=True,
                                 check=True, env=envs["served"]).stdout
            server = json.loads(out)["pid"]
            server_cpu = cpu_of(server)
            subprocess.run([*exe, "serve", "start", "--tasks-dir", str(claimed["served"])],
                           capture_output=True, check=True, env=envs["served"])
        cmd = args.command.split()
        floor = [run(bare.floor(), bare.env(REPO)) for _ in range(5)]
        for name in packages:  # fill each version's caches
            for _ in range(2):
                run([*exe, *cmd, "--tasks-dir", str(roots[name])], envs[name])
                run([*exe, *cmd, "--tasks-dir", str(claimed[name])], envs[name])
        res: dict[tuple[str, str], list] = {}
        pending = pending_ids(tmp / "base" / ".tasks")
        for i in range(1, args.rounds + 1):
            for kind, edit in (("file", edit_file), ("manifest", edit_manifest)):
                for name in packages:
                    edit(roots[name], i)
                time.sleep(2.2)  # past the racy window
                order = list(packages) if i % 2 else list(packages)[::-1]
                for name in order:
                    res.setdefault((kind, name), []).append(
                        run([*exe, *cmd, "--tasks-dir", str(roots[name])],
                            envs[name]))
            tid = pending[(i * 37) % len(pending)]
            for name in (list(packages) if i % 2 else list(packages)[::-1]):  # its own code
                res.setdefault(("claim itself", name), []).append(run(
                    [*exe, "claim", tid, "--agent", "bench", "--force", "--tasks-dir",
                     str(claimed[name])], envs[name]))
            time.sleep(2.2)  # past the racy window
            for name in (list(packages) if i % 2 else list(packages)[::-1]):
                res.setdefault(("claim", name), []).append(
                    run([*exe, *cmd, "--tasks-dir", str(claimed[name])], envs[name]))
            for name in (list(packages) if i % 2 else list(packages)[::-1]):
                time.sleep(1)  # each version's tree quiet before its edit
                edit_file(roots[name], i + 1000)  # then asked at once: no wait at all
                res.setdefault(("file at once", name), []).append(
                    run([*exe, *cmd, "--tasks-dir", str(roots[name])], envs[name]))
            time.sleep(1)  # as an agent's next call: what the last run left behind has landed
            for name in (list(packages) if i % 2 else list(packages)[::-1]):
                res.setdefault(("new question", name), []).append(run(
                    [*exe, "list", "--json", "--tag", f"q{i}", "--tasks-dir",
                     str(roots[name])], envs[name]))
        print(f"{args.count} tasks, `taskctl {args.command}` after one edit, median of "
              f"{args.rounds}; floor `python -c pass` "
              f"{statistics.median(f[0] for f in floor) * 1000:.0f} ms")
        for (kind, name), xs in res.items():
            print(f"  {kind:<12} {name:<14} wall {statistics.median(x[0] for x in xs) * 1000:6.0f}"
                  f" ms  cpu {statistics.median(x[1] for x in xs) * 1000:6.0f} ms", flush=True)
        if server is not None:
            spent = cpu_of(server) - server_cpu
            print(f"  (served: the CPU columns are the command's; the server itself used "
                  f"{spent:.1f} s CPU over the {args.rounds} rounds, "
                  f"{spent / args.rounds * 1000:.0f} ms a round of 4 edits and 4 questions; "
                  "the claims' copy has a server of its own, not counted)")
    finally:
        import subprocess

        for name in ("served", "auto-served"):
            for where in (roots, claimed):
                if name in where:
                    subprocess.run([*exe, "serve", "stop", "--tasks-dir", str(where[name])],
                                   capture_output=True, env=envs[name])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

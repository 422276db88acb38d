"""Every figure of the speed table (issue 15) in one run, beside a bare `python -c pass`.

    python benchmarks/bench_table.py [--runs 9] [--count 10000] [--sync 2000,8000]
                                     [--skip-stale] [--sync-timeout 120] [--sync-warm 1]
                                     [--reference DIR]

Each line: median wall time, median CPU time of the process (and its children), max peak RSS,
and the ratio of the median wall time to the `python -c pass` median measured in the same run
(so a busy machine moves both) in a venv with nothing installed (`bare.py`: the dev venv's
editable install imports `pathlib`, `re`, ... in its own `python -c pass`, ≈ 20 ms that a
regular install does not have). "cold" = TASKCTL_NO_CACHE=1 (nothing cached: every file
parsed, the plan computed); "warm" = a second run with nothing changed.

Figures:
- read commands on the bundled backlog (`.tasks/` of this checkout, copied to a tmp dir),
  started from that bare venv by pip's console script and by uv's (`bare.py`); with
  `--reference DIR`, cold and warm runs through pip's script beside that version's,
  alternated (each version on its own copy);
- `next`, `list --json`, `list` (the table), `validate` on a generated 10,000-task tree, cold,
  with peak memory;
  then one task file edited, then the manifest rewritten with one entry changed;
- `sync` dry run on generated trees of the given sizes (manifest entries): the first run
  (cache empty) and warm ones; with `--reference DIR`, another version's beside it;
- stale items after one real edit of a trainer module (in a tmp git clone; `gate --check`).
The README's main job (`gate --rerun`) takes minutes: `benchmarks/bench_gate.py` times it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bare import SCRIPTS, Bare  # noqa: E402
from gen_tree import generate  # noqa: E402
from proctree import measure as tree_measure  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("taskctl"))
NO_CACHE = {**os.environ, "TASKCTL_NO_CACHE": "1"}
# Runs the `taskctl` package of the folder given first (another version's, `git archive <rev>
# taskctl | tar -x -C DIR`, or this checkout) as its console script would: the editable
# install's finder removed so that the folder's package is imported, then `quick.main` called
# from `__main__` (a version that has `process.leave` then ends through it, as its script does).
LAUNCH = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
          "repr(f).lower()]; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'taskctl'; "
          "from taskctl.cli.quick import main; main()")
TRAINER_EDITS = ("training/ops/sbom.py", "training/data/golden.py", "training/bench/flops.py")


def measure(cmd: list[str], env=None, timeout: float | None = None,
            ok=(0, 1)) -> tuple[float, float, float]:
    """(wall s, CPU s of the process and its waited-for children, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            proc.wait()
            return float("inf"), float("inf"), 0.0
        time.sleep(0.002)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def runs(cmd: list[str], n: int, env=None, **kw) -> tuple[float, float, float]:
    out = [measure(cmd, env, **kw) for _ in range(n)]
    return (statistics.median(o[0] for o in out), statistics.median(o[1] for o in out),
            max(o[2] for o in out))


class Table:
    def __init__(self, floor: float):
        self.floor = floor

    def line(self, label: str, res: tuple[float, float, float], extra: str = "") -> None:
        if res[0] == float("inf"):
            print(f"  {label:<46} did not finish", flush=True)
            return
        print(f"  {label:<46} {res[0] * 1000:8.0f} ms  cpu {res[1] * 1000:7.0f} ms  "
              f"peak {res[2]:6.1f} MiB  {res[0] / self.floor:6.1f}x floor{extra}", flush=True)


def tree(path: Path, count: int, written: bool = False) -> Path:
    """The generated tree of `count` tasks at `path` (made again when it has another count);
    `written`: gen_tree's `--written` shapes (keep such trees at their own path)."""
    root = path / ".tasks"
    if not (root / "manifest.json").exists() or len(list((root / "tasks").iterdir())) != count:
        shutil.rmtree(path, ignore_errors=True)
        generate(path, count, written=written)
    return root


def bundled(t: Table, n: int, tmp: Path, reference: str | None = None) -> None:
    """Each read command cold and warm, started by pip's and by uv's console script from a
    bare venv (`bare.py`: no editable install's finder in the start-up; the floor is that
    venv's `python -c pass`); with `reference`, cold runs only through pip's script, that
    version and this checkout alternated run by run."""
    bare = Bare(tmp)
    copy = tmp / "bundled"
    shutil.copytree(REPO / ".tasks", copy / ".tasks", ignore=shutil.ignore_patterns(".cache"))
    root = str(copy / ".tasks")
    first = sorted((copy / ".tasks" / "tasks").iterdir())[0].name.split("-")[0].split(".")[0]
    print(f"bundled backlog ({len(list((copy / '.tasks' / 'tasks').iterdir()))} task files),"
          f" median of {n}:")
    commands = [["next"], ["next", "--json"], ["ready"], ["list"], ["list", "--json"],
                ["show", first], ["status"], ["critical-path"], ["validate"]]
    if reference is not None:
        versions = {"reference": reference, "this checkout": str(REPO)}
        roots = {name: str(_copy(copy, name)) for name in versions}  # a cache each
        floor, lines = [], []  # `python -c pass` in every round too: a busy spell moves all
        script = bare.script("pip script")
        for c in commands:
            for name in versions:  # each version's drawing stored, the racy window waited out
                measure([*script, *c, "--tasks-dir", roots[name]], bare.env(versions[name]))
            time.sleep(2.1)
            got: dict[tuple[str, str], list] = {}
            for i in range(n):
                floor.append(measure(bare.floor(), bare.env(REPO)))
                for name in (list(versions) if i % 2 else list(versions)[::-1]):
                    for kind, base in (("cold", NO_CACHE), ("warm", None)):
                        got.setdefault((kind, name), []).append(measure(
                            [*script, *c, "--tasks-dir", roots[name]],
                            bare.env(versions[name], base)))
            lines += [(f"{' '.join(c)} {kind}, {name}",
                       (statistics.median(o[0] for o in out),
                        statistics.median(o[1] for o in out), max(o[2] for o in out)))
                      for (kind, name), out in sorted(got.items())]
        t.floor = statistics.median(f[0] for f in floor)
        print(f"  (pip script; floor measured between the runs: {t.floor * 1000:.0f} ms)")
        for label, res in lines:
            t.line(label, res)
        return
    env, cold_env = bare.env(REPO), bare.env(REPO, NO_CACHE)
    floor, lines = [], []  # the floor measured between the runs too: a busy spell moves all
    for c in commands:
        for kind in SCRIPTS:
            cmd = [*bare.script(kind), *c, "--tasks-dir", root]
            floor += [measure(bare.floor(), env) for _ in range(max(1, n // 2))]
            cold = runs(cmd, n, cold_env)
            measure(cmd, env)
            warm = runs(cmd, n, env)
            lines += [(f"{' '.join(c)} cold, {kind}", cold), (f"{' '.join(c)} warm, {kind}", warm)]
    t.floor = statistics.median(f[0] for f in floor)
    print(f"  (floor measured between the runs: {t.floor * 1000:.0f} ms)")
    for label, res in lines:
        t.line(label, res)


def _copy(tree_dir: Path, name: str) -> Path:
    """A copy of the `.tasks` in `tree_dir` for one version (its caches its own)."""
    dest = tree_dir.parent / f"{tree_dir.name}-{name.replace(' ', '-')}" / ".tasks"
    shutil.copytree(tree_dir / ".tasks", dest, ignore=shutil.ignore_patterns(".cache"))
    return dest


def large(t: Table, n: int, count: int) -> None:
    root = tree(Path(f"/tmp/taskctl-bench-{count}"), count)
    print(f"generated tree ({count} tasks), cold = nothing cached, median of {n}; "
          "peak = whole process tree:")
    for c in (["next", "--json"], ["list", "--json"], ["list"], ["validate"]):
        cmd = [EXE, *c, "--tasks-dir", str(root)]
        walls, peaks, cpus = [], [], []
        for _ in range(n):
            shutil.rmtree(root / ".cache", ignore_errors=True)
            w, peak, _code = tree_measure(cmd, NO_CACHE)
            walls.append(w)
            peaks.append(peak)
        cpus = [measure(cmd, NO_CACHE)[1]]
        t.line(f"{' '.join(c)} cold", (statistics.median(walls), cpus[0], max(peaks)))
        measure(cmd)
        first = sorted((root / "tasks").iterdir())[0]
        st = first.stat()
        os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        t.line(f"{' '.join(c)} one file edited", runs(cmd, 1))
        measure(cmd)
        rewrite_one_entry(root / "manifest.json")  # what every `claim` or `set` does
        t.line(f"{' '.join(c)} manifest rewritten", runs(cmd, 1))
        t.line(f"{' '.join(c)} warm", runs(cmd, n))


def rewrite_one_entry(path: Path, index: int | None = None) -> None:
    """Rewrite the manifest with one entry's title changed (the middle one, or the one at
    `index` modulo their number), as an atomic write does (a new inode): what every `claim`
    or `set` does."""
    data = json.loads(path.read_text())
    n = len(data["tasks"])
    e = data["tasks"][n // 2 if index is None else index % n]
    e["title"] = e["title"][:-1] if e["title"].endswith("!") else e["title"] + "!"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def sync(t: Table, sizes: list[int], timeout: float, reference: str | None = None,
         warm: int = 1) -> None:
    """`sync` dry runs: the first run of a tree with an empty cache ("cold"), then `warm` more.
    With `reference`, that version runs beside this checkout, each on its own copy of the
    tree (their caches differ), cold then warm runs alternated."""
    print(f"sync dry run (manifest entries; timeout {timeout:.0f} s):")
    here = [sys.executable, "-c", LAUNCH, str(REPO)]
    versions = {"": here} if reference is None else {
        "reference": [sys.executable, "-c", LAUNCH, reference], "this checkout": here}
    for count in sizes:
        base = tree(Path(f"/tmp/taskctl-bench-{count}"), count)
        roots = {}
        for name in versions:
            if reference is None:
                roots[name] = base
                shutil.rmtree(base / ".cache", ignore_errors=True)
                continue
            copy = Path(f"/tmp/taskctl-bench-{count}-{name.replace(' ', '-')}") / ".tasks"
            shutil.rmtree(copy.parent, ignore_errors=True)
            shutil.copytree(base, copy, ignore=shutil.ignore_patterns(".cache"))
            roots[name] = copy
        res: dict[tuple[str, str], list] = {}
        for kind, n in (("cold", 1), ("warm", warm)):
            for i in range(n):
                for name in (list(versions) if i % 2 == 0 else list(versions)[::-1]):
                    res.setdefault((kind, name), []).append(measure(
                        [*versions[name], "sync", "--tasks-dir", str(roots[name])],
                        timeout=timeout))
        for (kind, name), xs in res.items():
            t.line(f"sync, {count} entries, {kind} {name}".rstrip(),
                   (statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs),
                    max(x[2] for x in xs)))


def _not_ok(clone: Path) -> set[str]:
    out = subprocess.run([EXE, "gate", "--check", "--json"], cwd=clone, capture_output=True,
                         text=True).stdout
    return {t["task"] for t in json.loads(out)["tasks"] if t["outcome"] not in ("ok",
                                                                               "not_reverified")}


def _declared_hits(rev: str, rel: str) -> tuple[int, int]:
    """(completed tasks whose declared `inputs` at `rev` match `rel`, completed tasks): what a
    fingerprint of declared inputs only makes stale, given fresh evidence."""
    import fnmatch

    import yaml

    names = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only",
                            f"{rev}:.tasks/tasks"],
                           capture_output=True, text=True, check=True).stdout.split()
    hits = total = 0
    for name in names:
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:.tasks/tasks/{name}"],
                              capture_output=True, text=True, check=True).stdout
        fm = yaml.safe_load(text.split("---\n")[1])
        if fm.get("status") != "completed":
            continue
        total += 1
        globs = [g for it in fm.get("acceptance") or [] for g in it.get("inputs") or []]
        # `**/` matches zero or more directories, as in Path.glob
        hits += any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(rel, g.replace("**/", ""))
                    for g in globs)
    return hits, total


def stale(clone: Path | None, tmp: Path, before_rev: str) -> None:
    """Tasks `gate --check` newly calls stale after one edit of a trainer module. `clone`: a
    checkout whose evidence is fresh (e.g. after `gate --rerun`); the edits are undone."""
    if clone is None:
        clone = tmp / "clone"
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)],
                       check=True)
    base = _not_ok(clone)
    print(f"stale tasks after one trainer edit ({clone}; {len(base)} not ok before the edit):")
    for rel in TRAINER_EDITS:
        target = clone / rel
        if not target.exists():
            print(f"  {rel}: not in this checkout")
            continue
        hits, total = _declared_hits(before_rev, rel)
        before = target.read_bytes()
        target.write_bytes(before + b"\n# edited by bench_table\n")
        try:
            now = _not_ok(clone) - base
        finally:
            target.write_bytes(before)
        print(f"  edit {rel:<26} declared inputs at {before_rev}: {hits:>2} of {total} stale"
              f"   now (traced + narrowed): {len(now):>2} stale {sorted(now)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--sync", default="2000,8000")
    ap.add_argument("--sync-timeout", type=float, default=120)
    ap.add_argument("--sync-warm", type=int, default=1, help="warm sync runs after the cold one")
    ap.add_argument("--reference", help="another version's taskctl package (sync, and the "
                    "bundled backlog's cold runs): `git archive <rev> taskctl | tar -x -C DIR`")
    ap.add_argument("--skip-stale", action="store_true")
    ap.add_argument("--only", choices=("bundled", "large", "sync", "stale"))
    ap.add_argument("--clone", type=Path, help="a checkout with fresh evidence (for stale)")
    ap.add_argument("--before-rev", default="c61fdc2", help="the backlog before issue 15")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Bare(Path(tmp))
        floor = runs(bare.floor(), a.runs, bare.env(REPO))
        dev = runs([sys.executable, "-c", "pass"], a.runs)
        print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}   python: "
              f"{sys.version.split()[0]}")
        print(f"floor: python -c pass, bare venv                  {floor[0] * 1000:8.0f} ms  "
              f"cpu {floor[1] * 1000:7.0f} ms  peak {floor[2]:6.1f} MiB")
        print(f"(the dev venv's python -c pass, its editable finder: {dev[0] * 1000:.0f} ms; "
              "ratios are to the bare floor)")
        t = Table(floor[0])
        if a.only in (None, "bundled"):
            bundled(t, a.runs, Path(tmp), a.reference)
        if a.only in (None, "large", "sync"):  # run from the dev venv: ratios to its floor
            t.floor = dev[0]
            print(f"(from here on, ratios to the dev venv's python -c pass: {dev[0] * 1000:.0f} "
                  "ms)")
        if a.only in (None, "large"):
            large(t, max(1, a.runs // 3), a.count)
        if a.only in (None, "sync"):
            sync(t, [int(s) for s in a.sync.split(",") if s], a.sync_timeout, a.reference,
                 a.sync_warm)
        if a.only in (None, "stale") and not a.skip_stale:
            stale(a.clone, Path(tmp), a.before_rev)
    print(f"load avg at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

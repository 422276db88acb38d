"""What signed evidence costs `taskctl gate --check` on the bundled backlog.

    .venv/bin/python benchmarks/bench_trust.py [--runs 7] [--base REV]

The repository's tracked files are copied into a tmp dir twice:
- signed:   every record of `.tasks/evidence/` sealed as a DSSE envelope by a throwaway key that
            the copy's `.tasks/trust.yaml` trusts — exactly what `taskctl verify` writes;
- baseline: the same records as plain JSON, the format before signed evidence.
Then, alternating the two so machine load hits both alike, medians of --runs:
1. in-process `load` + `gate --check` (interpreter start-up excluded): signature checking
   versus a policy that only parses the plain record (the pre-signature rule);
2. the whole CLI `taskctl gate --check`: this tree's code on the signed copy versus the code of
   REV (default: the merge base with main, i.e. before signed evidence) on the baseline copy.
Both modes must reach the same verdict on every task; the script checks that.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from taskctl.core.load.loader import load  # noqa: E402
from taskctl.core.verify import attest, evidence, keys, trust  # noqa: E402
from taskctl.core.verify.attest import Rejected  # noqa: E402
from taskctl.core.verify.gate import GateOptions, gate  # noqa: E402


class PlainRecords(trust.Policy):
    """The rule before issue 13: a parseable record of the right task and item counts."""

    def check(self, data, task_id, index, requires=()):
        try:
            rec = json.loads(data)
        except ValueError:
            raise Rejected("unreadable") from None
        if not isinstance(rec, dict) or rec.get("task") != task_id or rec.get("item") != index:
            raise Rejected("wrong subject")
        return rec


def copy_tracked(dst: Path) -> None:
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file() and not src.is_symlink():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


def plain_records(root: Path) -> dict[Path, dict]:
    out = {}
    for p in sorted((root / "evidence").glob("*/item-*.json")):
        data = json.loads(p.read_bytes())
        out[p] = (attest.open_envelope(p.read_bytes())[0]["predicate"]
                  if "payload" in data else data)
    return out


def prepare(tmp: Path, signer: keys.Signer) -> tuple[Path, Path]:
    signed, base = tmp / "signed", tmp / "baseline"
    for d in (signed, base):
        copy_tracked(d)
    for p, rec in plain_records(base / ".tasks").items():
        p.write_text(json.dumps(rec, indent=2))
    root = signed / ".tasks"
    (root / "trust.yaml").unlink(missing_ok=True)
    trust.trust(root, keys.public_text(signer.public), "bench", [])
    repo_id = trust.load(root).repo_id
    for p, rec in plain_records(root).items():
        p.write_bytes(attest.seal(rec, repo_id, signer))
    return signed, base


def base_code(tmp: Path, rev: str) -> Path:
    """The taskctl package as of `rev`, extracted for PYTHONPATH."""
    out = tmp / "base-src"
    data = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev, "taskctl"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tf:
        tf.extractall(out, filter="data")
    return out


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children): CPU time is the
    steadier figure on a shared, loaded machine."""
    def cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
            resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - t0, cpu() - c0


def verdicts(rep) -> dict[str, str]:
    return {t.task: str(t.outcome) for t in rep.tasks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--base", default=None, help="revision of the baseline CLI")
    args = ap.parse_args()
    rev = args.base or subprocess.run(["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
                                      check=True, capture_output=True, text=True).stdout.strip()
    os.environ["TASKCTL_CAPABILITIES"] = ""
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        signer = keys.ephemeral()
        signed, base = prepare(tmp, signer)
        n = len(plain_records(base / ".tasks"))
        pol_plain = PlainRecords(base / ".tasks" / "trust.yaml", "0" * 32, {}, True)
        opts = GateOptions(check=True)

        def core(root: Path, policy):
            evidence._git_states.clear()
            opts.policy = policy
            return gate(load(root), opts)

        a = verdicts(core(signed / ".tasks", None))
        b = verdicts(core(base / ".tasks", pol_plain))
        assert a == b, f"verdicts differ: signed {a} vs plain {b}"
        src = base_code(tmp, rev)
        # run from tmp (not inside a copy, whose own taskctl/ would shadow the code under test)
        cli = [sys.executable, "-m", "taskctl", "gate", "--check", "--tasks-dir"]
        env_new = {**os.environ, "PYTHONPATH": str(REPO)}
        env_old = {**os.environ, "PYTHONPATH": str(src)}
        outs = [subprocess.run([*cli, str(r / ".tasks")], cwd=tmp, env=e, capture_output=True,
                               text=True).stdout for r, e in ((signed, env_new), (base, env_old))]
        assert outs[0] == outs[1], "the CLI reports differ between the two modes"
        t: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("core_sig", "core_plain", "cli_sig", "cli_plain")}
        for _ in range(args.runs):
            t["core_plain"].append(timed(lambda: core(base / ".tasks", pol_plain)))
            t["core_sig"].append(timed(lambda: core(signed / ".tasks", None)))
            t["cli_plain"].append(timed(lambda: subprocess.run(
                [*cli, str(base / ".tasks")], cwd=tmp, env=env_old, capture_output=True)))
            t["cli_sig"].append(timed(lambda: subprocess.run(
                [*cli, str(signed / ".tasks")], cwd=tmp, env=env_new, capture_output=True)))
        print(f"bundled backlog: {len(a)} completed task(s), {n} evidence record(s); "
              f"verdicts and reports identical in both modes; {args.runs} runs each")
        print(f"{'':48}{'plain':>9}{'signed':>9}{'overhead':>10}")
        for label, k in (("gate --check in-process (load+gate)", "core"),
                         (f"taskctl gate --check CLI (vs {rev[:8]})", "cli")):
            for clock, i in (("wall", 0), ("cpu", 1)):
                for stat in ("median", "min"):
                    f = statistics.median if stat == "median" else min
                    p = f(x[i] for x in t[f"{k}_plain"])
                    s = f(x[i] for x in t[f"{k}_sig"])
                    name = f"{label}, {clock} {stat}"
                    print(f"{name:48}{p:8.3f}s{s:8.3f}s{(s / p - 1) * 100:+9.1f}%")


if __name__ == "__main__":
    main()

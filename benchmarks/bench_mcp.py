"""What an agent's MCP `next` call costs on a large store: the `taskctl mcp` server driven by
the official MCP SDK's stdio client, this checkout beside a reference version, in the same run.

    python benchmarks/bench_mcp.py [--count 10000] [--calls 7] [--reference /tmp/main-export]

Each version serves its own copy of a generated tree (their caches differ); after one CLI read
that fills the caches, `--calls` calls of the `next` tool (limit 5) are timed from the client,
round trip included. Printed: the first call and the median of the others, beside `python -c
pass` measured in the same run. No server starts on its own (`TASKCTL_SERVE=0`): the figures
are the MCP server's own work. `--reference DIR` holds another version's `taskctl` package
(`git archive <rev> taskctl | tar -x -C DIR`), run as its console script would
(`bench_table.LAUNCH`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_table import LAUNCH  # noqa: E402
from gen_tree import generate  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own


async def calls(launch: list[str], root: Path, n: int) -> list[float]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=launch[0], env=dict(os.environ),
                                   args=[*launch[1:], "--tasks-dir", str(root), "mcp"])
    out = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        for _ in range(n):
            t = time.perf_counter()
            res = await s.call_tool("next", {"limit": 5})
            out.append(time.perf_counter() - t)
            if res.is_error:
                raise SystemExit(f"next failed: {res.content[0].text}")
    return out


def main() -> None:
    import anyio

    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=7)
    ap.add_argument("--reference", type=Path, help="a directory holding another taskctl")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="taskctl-bench-mcp-"))
    try:
        generate(tmp / "base", args.count)
        versions = {"this checkout": [sys.executable, "-m", "taskctl"]}
        if args.reference:
            versions["reference"] = [sys.executable, "-c", LAUNCH, str(args.reference.resolve())]
        floor = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            floor.append(time.perf_counter() - t)
        print(f"{args.count} tasks, MCP `next` (limit 5), {args.calls} calls; floor `python -c "
              f"pass` {statistics.median(floor) * 1000:.0f} ms")
        for name, launch in versions.items():
            root = tmp / name.replace(" ", "-") / ".tasks"
            shutil.copytree(tmp / "base" / ".tasks", root)
            subprocess.run([*launch, "next", "--json", "--tasks-dir", str(root)],
                           capture_output=True, check=True)  # the caches filled
            got = anyio.run(calls, launch, root, args.calls)
            print(f"  {name:<14} first call {got[0] * 1000:6.0f} ms   then median "
                  f"{statistics.median(got[1:]) * 1000:6.0f} ms", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

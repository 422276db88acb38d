"""What an agent's MCP `next` call costs on a large store: the `taskctl mcp` server driven by
the official MCP SDK's stdio client, this checkout beside a reference version, in the same run.

    python benchmarks/bench_mcp.py [--count 10000] [--calls 7] [--reference /tmp/main-export]
                                   [--edit] [--auto] [--tool next|show|status]

Each version serves its own copy of a generated tree (their caches differ); after one CLI read
that fills the caches, `--calls` calls of the `next` tool (limit 5) are timed from the client,
round trip included. Printed: the first call and the median of the others, beside `python -c
pass` measured in the same run. No server starts on its own (`TASKCTL_SERVE=0`): the figures
are the MCP server's own work. `--reference DIR` holds another version's `taskctl` package
(`git archive <rev> taskctl | tar -x -C DIR`), run as its console script would
(`bench_table.LAUNCH`).

`--edit`: before each call after the first, one task file's title is edited and 0.5 s left
to pass (an agent's edit, then its next question). The copied tree is left 2.1 s before the
read that fills the caches, as a store's files are older than that.
`--auto`: the MCP session runs with `TASKCTL_SERVE` and `CI` unset, so a version that
starts the store's resident process from MCP (`cli/autoserve.py`) does so on the first call;
the timed calls begin once it answers (or after 60 s), and every server is stopped at the end.
`--tool show`: the `show` tool (of the edited task) instead of `next`; `--tool status`: the
`status` tool.
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


def edited(root: Path) -> Path:
    """The task file `edit_one` edits (the eighth); its id is its name's first part."""
    return sorted((root / "tasks").iterdir())[7]


def edit_one(root: Path, i: int) -> None:
    f = edited(root)
    f.write_text(f.read_text().replace("title: ", f"title: E{i} ", 1))


def serving(root: Path, wait: float) -> bool:
    from taskctl.core.resident import channel

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if channel.request(str(root), {"op": "status"}, timeout=2.0) is not None:
            return True
        time.sleep(0.1)
    return False


async def calls(launch: list[str], root: Path, n: int, edit: bool = False,
                auto: bool = False, tool: str = "next") -> list[float]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    env = dict(os.environ)
    if auto:
        env = {k: v for k, v in env.items() if k not in ("TASKCTL_SERVE", "CI")}
    params = StdioServerParameters(command=launch[0], env=env,
                                   args=[*launch[1:], "--tasks-dir", str(root), "mcp"])
    out = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        for i in range(n):
            if i == 1 and auto:
                serving(root, 60.0)
            if i and edit:
                edit_one(root, i)
                time.sleep(0.5)
            t = time.perf_counter()
            args = {"limit": 5} if tool == "next" else {} if tool == "status" else {
                "task_id": edited(root).name.split("-")[0]}
            res = await s.call_tool(tool, args)
            out.append(time.perf_counter() - t)
            if res.is_error:
                raise SystemExit(f"{tool} failed: {res.content[0].text}")
    return out


def main() -> None:
    import anyio

    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=7)
    ap.add_argument("--reference", type=Path, help="a directory holding another taskctl")
    ap.add_argument("--edit", action="store_true", help="a task file edited before each call")
    ap.add_argument("--auto", action="store_true", help="servers may start on their own")
    ap.add_argument("--tool", choices=("next", "show", "status"), default="next")
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
        what = ", a task file edited before each" if args.edit else ""
        what += ", servers on their own" if args.auto else ""
        print(f"{args.count} tasks, MCP `{args.tool}`, {args.calls} calls{what}; floor "
              f"`python -c pass` {statistics.median(floor) * 1000:.0f} ms")
        for name, launch in versions.items():
            root = tmp / name.replace(" ", "-") / ".tasks"
            shutil.copytree(tmp / "base" / ".tasks", root)
            # a store's files are older than the 2 s within which the stored backlog does
            # not trust a file's stat (a copy made just now would be loaded in full until then)
            time.sleep(2.1)
            subprocess.run([*launch, "next", "--json", "--tasks-dir", str(root)],
                           capture_output=True, check=True)  # the caches filled
            try:
                got = anyio.run(calls, launch, root, args.calls, args.edit, args.auto,
                                args.tool)
            finally:
                subprocess.run([*launch, "serve", "stop", "--tasks-dir", str(root)],
                               capture_output=True)
            print(f"  {name:<14} first call {got[0] * 1000:6.0f} ms   then median "
                  f"{statistics.median(got[1:]) * 1000:6.0f} ms  (min {min(got[1:]) * 1000:.0f}, "
                  f"max {max(got[1:]) * 1000:.0f})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`taskctl mcp` as a real subprocess, driven by the official MCP SDK's own stdio client:
list the tools, claim through `next`, `log`, `verify` (and an error comes back as a tool error).

The `mcp` extra is part of `.[dev]` (CI installs it); without it this module is skipped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio  # noqa: E402  (installed with mcp)
import mcp  # noqa: F401,E402 - the mcp extra, installed by .[dev]: missing is a failure, not a skip
import pytest
from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from taskctl.cli import autoserve
from taskctl.core.resident import channel
from tests.taskctl.cli.test_autoserve import serving, stop_servers, wait_serving
from tests.taskctl.core.lifecycle.lifecycle_support import env, independent_tree, tc

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from gen_tree import generate  # noqa: E402

WANTED = {"next", "show", "context", "status", "new", "set", "log", "block", "release",
          "verify", "gate_check"}


def server(repo, env_: dict | None = None) -> StdioServerParameters:
    """`taskctl mcp` for the store of `repo`, as an agent's client starts it."""
    return StdioServerParameters(command=sys.executable, cwd=str(repo),
                                 env=env() if env_ is None else env_,
                                 args=["-m", "taskctl", "--tasks-dir", str(repo / ".tasks"),
                                       "mcp"])


async def session(repo, calls):
    params = server(repo)
    out = {}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        out["tools"] = {t.name: t.description for t in (await s.list_tools()).tools}
        for key, name, args in calls:
            res = await s.call_tool(name, args)
            out[key] = (res.is_error, res.content[0].text)
    return out


def test_mcp_session_claims_logs_and_verifies(tmp_path):
    repo = tmp_path / "repo"
    root = independent_tree(repo, 2, git=True)
    got = anyio.run(session, repo, [
        ("claim", "next", {"claim": True, "agent": "mcp-agent"}),
        ("log", "log", {"task_id": "T001", "message": "started via MCP", "agent": "mcp-agent"}),
        ("context", "context", {"task_id": "T001", "budget": 400}),
        ("verify", "verify", {"task_ids": ["T001"], "agent": "mcp-agent"}),
        ("status", "status", {}),
        ("bad", "block", {"task_id": "T999", "reason": "x"}),
    ])
    assert WANTED <= set(got["tools"])
    assert all(len(d or "") <= 120 for d in got["tools"].values())  # agents pay per token
    err, text = got["claim"]
    assert not err and json.loads(text)["claimed"] == "T001"
    err, text = got["log"]
    assert not err and json.loads(text)["ok"] and "lease_renewed_until" in json.loads(text)
    assert "# T001" in got["context"][1] and "run: `true`" in got["context"][1]
    rep = json.loads(got["verify"][1])
    assert rep["ok"] and rep["tasks"][0] == {"task": "T001", "outcome": "completed",
                                             "items": {"1": "PASS"}}
    assert json.loads(got["status"][1])["by_status"]["completed"] == 1
    err, text = got["bad"]
    assert err and "unknown task id T999" in text and "[exit 2]" in text
    events = [json.loads(p.read_text()) for p in (root / "updates").glob("*.json")]
    assert sorted(e["action"] for e in events) == ["claim", "complete", "log"]
    claim = next(e for e in events if e["action"] == "claim")
    assert claim["by"] == "mcp-agent"
    assert "started via MCP" in next((root / "tasks").glob("T001-*")).read_text()


async def _edit_between(repo, tool, args, edit):
    """`tool` called twice in one MCP session, `edit()` made between the calls."""
    params = server(repo)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        first = (await s.call_tool(tool, args)).content[0].text
        edit()
        second = (await s.call_tool(tool, args)).content[0].text
    return json.loads(first), json.loads(second)


def test_mcp_next_is_the_cli_answer_and_sees_an_edit(tmp_path):
    """`next` through MCP gives the CLI's answer (its answer cache: stored on the first call)
    and, in the same session, sees a task file edited after it."""
    repo = tmp_path / "repo"
    root = independent_tree(repo, 3, git=True)
    cli = json.loads(tc(repo, "next", "--json", "-n", "2", check=0).stdout)["tasks"]
    for p in (root / ".cache").glob("next-*.answer"):
        p.unlink()  # the MCP call stores its own

    def edit():
        f = next((root / "tasks").glob("T001-*"))
        f.write_text(f.read_text().replace("title: ", "title: Renamed ", 1))

    first, second = anyio.run(_edit_between, repo, "next", {"limit": 2}, edit)
    assert [(t["id"], t["title"], t["priority"]) for t in first["free"]] == [
        (t["id"], t["title"], t["priority"]) for t in cli]
    assert list((root / ".cache").glob("next-*.answer"))  # through the CLI's answer cache
    assert second["free"][0]["id"] == "T001" and second["free"][0]["title"].startswith(
        "Renamed ")


async def _twice(repo, env_, tool, tid, edit):
    params = server(repo, env_)
    args = {"limit": 3} if tool == "next" else {} if tool == "status" else {"task_id": tid}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        first = json.loads((await s.call_tool(tool, args)).content[0].text)
        st = wait_serving(repo / ".tasks") if edit is not None else None
        if edit is not None:
            edit()
        second = json.loads((await s.call_tool(tool, args)).content[0].text)
    return first, st, second


@pytest.mark.skipif(not channel.supported(), reason="serve needs Linux")
@pytest.mark.parametrize("tool", ["next", "show", "status"])
@pytest.mark.parametrize(("serve", "tasks", "started"), [
    ("", autoserve.MIN_FILES, True), ("0", autoserve.MIN_FILES, False), ("", 30, False),
    ("1", 30, True)])
def test_mcp_reads_on_a_large_store_start_its_server(tool, serve, tasks, started, tmp_path):
    """As the console script's reads: an MCP `next`, `show` or `status` on a store of `MIN_FILES`
    files starts its resident process (none when told not to, none for a small store unless
    told to), and the call after an edit is answered by it, as a read alone answers."""
    repo = tmp_path / "repo"
    generate(repo, tasks)
    root = repo / ".tasks"
    env_ = {k: v for k, v in env().items() if k not in ("CI", "TASKCTL_SERVE")}
    env_.update({"TASKCTL_SERVE": serve} if serve else {})
    f = sorted((root / "tasks").iterdir())[1]
    tid = f.name.split("-")[0]  # the second task (T002 or T0002: ids as wide as the count)

    def edit():
        f.write_text(f.read_text().replace("title: ", "title: Edited ", 1))

    try:
        first, st, second = anyio.run(_twice, repo, env_, tool, tid,
                                      edit if started else None)
        if not started:
            assert serving(root) is None and not (root / ".cache" / autoserve.TRIED).exists()
            assert first == second
            return
        after = serving(root)
        assert after["pid"] == st["pid"] and after["answered"] > st["answered"]
        argv = {"next": ["next", "-n", "3"], "status": ["status"]}.get(tool, ["show", tid])
        alone = json.loads(tc(repo, *argv, "--json", check=0,
                              extra={"TASKCTL_NO_CACHE": "1"}).stdout)
        if tool == "status":
            assert second["by_status"] == alone["by_status"] and second["held"] == {}
        elif tool == "next":
            assert [(t["id"], t["title"]) for t in second["free"]] == [
                (t["id"], t["title"]) for t in alone["tasks"]]
        else:
            task = alone.get("task", alone)
            assert (second["id"], second["title"]) == (task["id"], task["title"])
            assert second["title"].startswith("Edited ")
    finally:
        stop_servers(root)


async def _show_edit_show(repo, edit):
    params = server(repo)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        first = (await s.call_tool("show", {"task_id": "T002"})).content[0].text
        edit()
        second = (await s.call_tool("show", {"task_id": "T002"})).content[0].text
        bad = await s.call_tool("show", {"task_id": "T999"})
    return json.loads(first), json.loads(second), (bad.is_error, bad.content[0].text)


def test_mcp_show_is_the_cli_answer_and_sees_an_edit(tmp_path):
    """`show` through MCP: the CLI's `show` answer (through its answer cache), its fields as
    the CLI gives them, an edit made during the session seen, an unknown id a tool error."""
    repo = tmp_path / "repo"
    root = independent_tree(repo, 3, git=True)
    cli = json.loads(tc(repo, "show", "T002", "--json", check=0).stdout)
    for p in (root / ".cache").glob("show-*.answer"):
        p.unlink()  # the MCP call stores its own

    def edit():
        f = next((root / "tasks").glob("T002-*"))
        f.write_text(f.read_text().replace("title: ", "title: Renamed ", 1))

    first, second, (err, text) = anyio.run(_show_edit_show, repo, edit)
    task = cli.get("task", cli)
    for key in ("id", "title", "status", "priority", "file"):
        assert first[key] == task[key], key
    assert first["acceptance"] == [{"i": a["index"], "criterion": a["criterion"],
                                    **({"run": a["run"]} if a["run"] else {"manual": True})}
                                   for a in task["acceptance"]]
    assert list((root / ".cache").glob("show-*.answer"))  # through the CLI's answer cache
    assert second["title"].startswith("Renamed ") and second["id"] == "T002"
    assert err and "T999" in text and "[exit 2]" in text


def test_mcp_status_is_the_cli_answer_and_sees_an_edit(tmp_path):
    """`status` through MCP: the CLI's counts (through its answer cache, no load of its own),
    who holds what judged at the call, an edit made during the session seen."""
    repo = tmp_path / "repo"
    root = independent_tree(repo, 3, git=True)
    tc(repo, "claim", "T001", "--agent", "a1", check=0)
    cli = json.loads(tc(repo, "status", "--json", check=0).stdout)
    for p in (root / ".cache").glob("status-*.answer"):
        p.unlink()  # the MCP call stores its own

    def edit():
        f = next((root / "tasks").glob("T003-*"))
        f.write_text(f.read_text().replace("status: pending", "status: blocked", 1))

    first, second = anyio.run(_edit_between, repo, "status", {}, edit)
    assert first["by_status"] == cli["by_status"]
    assert first["held"] == {"T001": {"by": "a1", "state": cli["claims"]["T001"]["state"]}}
    assert list((root / ".cache").glob("status-*.answer"))  # through the CLI's answer cache
    assert second["by_status"].get("blocked") == 1 and second["held"] == first["held"]


@pytest.mark.skipif(not channel.supported(), reason="serve needs Linux")
def test_mcp_reads_start_a_server_despite_a_stale_marker(tmp_path):
    """A marker left by a server that was killed does not keep an MCP read from starting
    one (as it does not keep the CLI's)."""
    repo = tmp_path / "repo"
    generate(repo, 30)
    root = repo / ".tasks"
    (root / ".cache").mkdir(exist_ok=True)
    (root / ".cache" / "serve.marker").write_text("12345\n")
    env_ = {k: v for k, v in env().items() if k != "CI"} | {"TASKCTL_SERVE": "1"}
    try:
        anyio.run(_twice, repo, env_, "next", "", lambda: None)  # waits for the server
    finally:
        stop_servers(root)


def test_mcp_reads_count_the_files_a_read_counts(tmp_path):
    """The files of `.cache/`, `evidence/`, `updates/` and `.git` do not make a store large
    (the CLI's walk leaves them out too): no server for 30 tasks among 2,000 such files."""
    repo = tmp_path / "repo"
    generate(repo, 30)
    root = repo / ".tasks"
    for folder in ("evidence", "updates"):
        (root / folder).mkdir(exist_ok=True)
        for i in range(autoserve.MIN_FILES // 2):
            (root / folder / f"r{i}.json").write_text("{}")
    env_ = {k: v for k, v in env().items() if k not in ("CI", "TASKCTL_SERVE")}
    try:
        first, _st, second = anyio.run(_twice, repo, env_, "next", "", None)
        assert first == second
        assert serving(root) is None and not (root / ".cache" / autoserve.TRIED).exists()
    finally:
        stop_servers(root)


def test_mcp_verify_says_it_left_a_broken_manifest_alone(tmp_path):
    """A completion whose manifest was broken during the run: the result says so, as the
    CLI's `--json` does (tests/taskctl/core/verify/test_verify_manifest.py)."""
    from tests.taskctl.core.verify.test_verify_manifest import BREAK
    from tests.taskctl.core.verify.verify_support import front_matter, make_tree

    root = make_tree(tmp_path, {"T1": {"items": [{"criterion": "breaks the manifest",
                                                  "run": BREAK}]}})
    got = anyio.run(session, tmp_path, [("verify", "verify", {"task_ids": ["T1"]})])
    err, text = got["verify"]
    task = json.loads(text)["tasks"][0]
    assert not err and task["outcome"] == "completed", text
    assert len(task["warnings"]) == 1 and "line 1, column 2" in task["warnings"][0]
    assert front_matter(root, "T1")["status"] == "completed"


def test_mcp_verify_and_gate_say_the_key_is_not_trusted(tmp_path):
    """An agent reads the tool's result, not the server's stderr: a verify that passed with a
    key the tree does not trust (trust.yaml created by it, with no keys) says its records will
    not count (until the key is trusted, as the note says), and `gate_check` before it says
    no stored record counts; with the key trusted, neither result has `notes`."""
    from tests.taskctl.core.verify.verify_support import make_tree, trust_test_key

    make_tree(tmp_path, {"T1": {"items": [{"criterion": "ok", "run": "true"}]},
                         "T2": {"items": [{"criterion": "ok", "run": "true"}]}}, trusted=False)
    got = anyio.run(session, tmp_path, [("gate", "gate_check", {}),
                                        ("verify", "verify", {"task_ids": ["T1"]})])
    gate = json.loads(got["gate"][1])
    assert gate["ok"] and gate["notes"][0].startswith("no .tasks/trust.yaml: no stored record")
    rep = json.loads(got["verify"][1])
    assert rep["ok"] and rep["tasks"][0]["outcome"] == "completed"
    assert rep["notes"][0].startswith("created .tasks/trust.yaml (repo id ")
    assert "is not trusted in .tasks/trust.yaml" in rep["notes"][1]
    trust_test_key(tmp_path / ".tasks")
    got = anyio.run(session, tmp_path, [("verify", "verify", {"task_ids": ["T2"]}),
                                        ("gate", "gate_check", {})])
    rep, gate = json.loads(got["verify"][1]), json.loads(got["gate"][1])
    assert rep["ok"] and "notes" not in rep and "notes" not in gate
    assert gate["ok"] and gate["completed"] == 2 and gate["failing"] == []  # T1's counts now

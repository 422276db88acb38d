"""`taskctl mcp`: the Model Context Protocol over stdio, on the official `mcp` SDK (an optional
extra: `pip install 'taskctl[mcp]'`; only this module imports it).

Tools call the same core functions as the CLI. Outputs are compact JSON text (agents pay for
every token); errors come back as tool errors carrying taskctl's message, hint and exit code.
Claims made here record this server's pid: the server lives as long as the agent's session, so
when the agent goes away its claims can be taken over before their lease ends.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from taskctl import __version__
from taskctl.errors import TaskctlError

INSTRUCTIONS = (
    "taskctl backlog. Loop: next(claim=true, agent=NAME) -> context(task_id) -> work -> "
    "log(...) -> verify([task_id]). Completion is proof-only: only verify completes a task. "
    "block/release when you stop.")


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)


def _agent(agent: str | None) -> str:
    return agent or os.environ.get("TASKCTL_AGENT") or f"mcp-{os.getpid()}"


def serve_later(root: Path) -> None:
    """A large store's resident process started for the questions after the next edit, as
    the console script's reads start it (`cli/autoserve.py`: `autoserve.MIN_FILES` files or
    more in the fingerprint the call's answer lookup just took, `cache.files_seen`). Nothing
    when a server says it serves the store already, or when servers are off (CI,
    `TASKCTL_SERVE=0`)."""
    from taskctl.cli import autoserve
    from taskctl.core.plan import cache

    autoserve.reap()  # a server this process started and that has ended since
    if autoserve.mode() == "off":
        return
    if cache.marked(root):
        from taskctl.core.resident import channel

        if channel.connect(str(root)) is not None:
            return  # one answers (a marker left by a killed server does not count)
    if cache.files_seen(root) >= autoserve.MIN_FILES or os.environ.get(autoserve.ENV):
        autoserve.after_read(root)


def build(tasks_dir: str | None) -> MCPServer:
    """The server with its tools; `tasks_dir` as for the CLI (None: search upward)."""
    srv = MCPServer("taskctl", instructions=INSTRUCTIONS, version=__version__,
                    log_level="WARNING")

    def root() -> Path:
        from taskctl.core.load.discovery import discover

        return discover(tasks_dir)

    def backlog(bodies: bool = True):
        from taskctl.core.load.loader import load

        return load(root(), bodies=bodies)

    def call(fn, *args, **kw) -> str:
        try:
            return _json(fn(*args, **kw))
        except TaskctlError as e:
            hint = f" (hint: {e.hint})" if e.hint else ""
            raise ToolError(f"{e.message}{hint} [exit {e.exit_code}]") from None

    @srv.tool(description="Best actionable tasks (free and held). claim=true atomically claims "
              "the best free one for agent.")
    def next(claim: bool = False, agent: str | None = None, lease: str = "2h",
             limit: int = 5) -> str:
        def run():
            from taskctl.core.files.claims import parse_duration

            if claim:
                from taskctl.core.lifecycle.claiming import claim_next

                out = claim_next(root(), _agent(agent), parse_duration(lease), os.getpid())
                c = out["claim"]
                return {"claimed": out["task"], "by": c["agent"], "expires_at": c["expires_at"],
                        "next_step": f"context('{out['task']}')"}
            from taskctl.cli import answers

            # the CLI's answer: cached, else the store's resident process's, else computed
            where = root()
            rep = answers.planned(where, "next", "auto",
                                  view={"n": max(limit, 1), "explain": False})["report"]
            serve_later(where)
            return {"free": [{"id": r["id"], "title": r["title"], "priority": r["priority"]}
                             for r in rep["tasks"][:max(limit, 1)]],
                    "held": [{"id": r["id"], "by": (r.get("claim") or {}).get("agent")}
                             for r in rep["held"]]}
        return call(run)

    @srv.tool(description="One task: fields, dependencies, acceptance items.")
    def show(task_id: str) -> str:
        def run():
            from taskctl.cli import answers

            # the CLI's `show` answer: cached, else the resident process's, else computed
            where = root()
            r = answers.answer(where, "show", {"task_id": task_id})["report"]["task"]
            serve_later(where)
            keep = ("id", "title", "status", "priority", "phase", "milestone", "depends_on",
                    "estimated_hours", "estimated_tokens", "file", "blockers")
            out = {k: r[k] for k in keep if r.get(k) not in (None, "", [])}
            out["acceptance"] = [{"i": a["index"], "criterion": a["criterion"],
                                  **({"run": a["run"]} if a["run"] else {"manual": True})}
                                 for a in r["acceptance"]]
            return out
        return call(run)

    @srv.tool(description="What you need to start a task, within a token budget.")
    def context(task_id: str, budget: int = 2000) -> str:
        def run():
            from taskctl.core.lifecycle.context import build as ctx_build
            from taskctl.core.load.loader import load_one_body

            return ctx_build(load_one_body(root(), task_id), task_id, budget)["text"]
        try:
            return run()
        except TaskctlError as e:
            raise ToolError(f"{e.message} [exit {e.exit_code}]") from None

    @srv.tool(description="Counts by status, and who holds which task.")
    def status() -> str:
        def run():
            from taskctl.cli import answers
            from taskctl.core.lifecycle.holders import held

            # the CLI's `status` answer: cached, else the resident process's, else computed;
            # who holds what is judged now, from its statuses (as the CLI's `live()` does)
            where = root()
            doc = answers.answer(where, "status", {"weight": "auto"})
            serve_later(where)
            return {"by_status": doc["report"]["by_status"],
                    "held": {tid: {"by": h["agent"], "state": h["state"]}
                             for tid, h in held(where, doc["statuses"]).items()}}
        return call(run)

    @srv.tool(description="Create a task. acceptance: [{criterion, run?}].")
    def new(title: str, depends_on: list[str] | None = None, priority: str | None = None,
            estimate: str | None = None, phase: str | None = None,
            tags: list[str] | None = None, acceptance: list[dict[str, str]] | None = None,
            agent: str | None = None) -> str:
        def run():
            from taskctl.core.lifecycle.create import NewSpec
            from taskctl.core.lifecycle.create import new as core_new

            pairs = [(a.get("criterion", ""), a.get("run")) for a in acceptance or []]
            spec = NewSpec(title, None, priority, list(depends_on or []), estimate, phase,
                           None, list(tags or []), pairs)
            out = core_new(root(), spec, _agent(agent))
            return {"id": out["id"], "file": out["file"]}
        return call(run)

    @srv.tool(name="set", description="Set fields: {title, priority, phase, milestone, tags, "
              "estimate, actual_hours, actual_tokens}.")
    def set_(task_id: str, fields: dict[str, str], agent: str | None = None) -> str:
        from taskctl.core.lifecycle.edit import set_fields

        return call(lambda: set_fields(root(), task_id, [f"{k}={v}" for k, v in fields.items()],
                                       _agent(agent))["changes"])

    @srv.tool(description="Append a line to the task's Progress Log (renews your lease).")
    def log(task_id: str, message: str, agent: str | None = None) -> str:
        from taskctl.core.lifecycle.transitions import log as core_log

        return call(lambda: {"ok": True, **{k: v for k, v in core_log(
            root(), task_id, _agent(agent), message).items() if k == "lease_renewed_until"}})

    def _state(action: str, task_id: str, agent: str | None, reason: str | None) -> str:
        from taskctl.core.lifecycle.transitions import Request, transition

        def run():
            out = transition(root(), Request(action, task_id, _agent(agent), reason))
            return {"task": out["task"], "from": out["from"], "to": out["to"]}
        return call(run)

    @srv.tool(description="Mark a task blocked, with the reason; drops your claim.")
    def block(task_id: str, reason: str, agent: str | None = None) -> str:
        return _state("block", task_id, agent, reason)

    @srv.tool(description="Blocked task back to pending.")
    def unblock(task_id: str, agent: str | None = None) -> str:
        return _state("unblock", task_id, agent, None)

    @srv.tool(description="Give a claimed task back (pending).")
    def release(task_id: str, agent: str | None = None) -> str:
        return _state("release", task_id, agent, None)

    @srv.tool(description="Run tasks' acceptance items; complete those that pass. Returns the "
              "report.")
    def verify(task_ids: list[str], agent: str | None = None) -> str:
        def run():
            from taskctl.core.verify import batch
            from taskctl.render.verify_report import notes

            bl = backlog()
            rep = batch.verify(bl, batch.select(bl, task_ids, False),
                               batch.VerifyOptions(keep_going=True, by=_agent(agent)))
            return {"ok": rep.ok, "tasks": [
                {"task": t.task, "outcome": t.outcome, **({"why": t.message} if t.message
                                                          else {}),
                 "items": {str(i.index): i.status for i in t.items},
                 **({"warnings": t.warnings} if t.warnings else {})} for t in rep.tasks],
                **notes(rep)}
        return call(run)

    @srv.tool(description="CI gate without running anything: is every completed task still "
              "proven?")
    def gate_check() -> str:
        def run():
            from taskctl.core.status import TaskOutcome
            from taskctl.core.verify import gate
            from taskctl.render.verify_report import notes

            rep = gate.gate(backlog(), gate.GateOptions(check=True))
            good = (TaskOutcome.OK, TaskOutcome.NOT_REVERIFIED)
            bad = [{"task": t.task, "outcome": t.outcome, "why": t.message}
                   for t in rep.tasks if t.outcome not in good]
            return {"ok": rep.ok, "spec_errors": len(rep.spec_errors),
                    "completed": len(rep.tasks), "failing": bad, **notes(rep)}
        return call(run)

    return srv


def serve(tasks_dir: str | None) -> None:
    """Run the server on stdin/stdout until the client closes it."""
    build(tasks_dir).run("stdio")

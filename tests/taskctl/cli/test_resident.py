"""The resident server's own rules (`cli/resident.py`), in process: a question sees every change
made before it was asked, a load that a change overtook is not used, and the recent questions
are answered again once the store is quiet."""

from __future__ import annotations

import json

import pytest

from taskctl.cli import answers
from taskctl.cli.resident import Server
from taskctl.core.load import kept
from taskctl.core.resident import channel

pytestmark = pytest.mark.skipif(not channel.supported(), reason="serve needs Linux")
_PLAN_ANSWER = answers.plan_answer  # the real one (a test counts the server's calls)
LIST = {"status": None, "priority": None, "tag": None, "phase": None, "milestone": None}


@pytest.fixture
def server(copy_example, monkeypatch):
    for k in ("TASKCTL_TAG", "TASKCTL_FORMAT", "TASKCTL_NO_CACHE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setattr(kept, "KEEPER", None)
    root = copy_example("agent-mvp")
    srv = Server(root, idle=60)
    yield srv
    srv.close()


def ask(srv: Server, command: str, params: dict) -> tuple[str, dict]:
    reply = srv.reply({"op": "answer", "stamp": srv.stamp, "command": command,
                       "params": params})
    got = json.loads(reply)
    return got["token"], got["doc"]


def alone(srv: Server, command: str, params: dict, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setenv("TASKCTL_NO_CACHE", "1")
        m.setattr(kept, "KEEPER", None)
        return json.loads(json.dumps(answers.compute(srv.root, command, params)))


def _edit(srv: Server, title: str):
    f = srv.root / "tasks" / "T033-early-stopping.yaml"
    f.write_text(f.read_text().replace("title: ", f"title: {title} ", 1))
    return f


def test_a_question_sees_every_change_made_before_it(server, monkeypatch):
    token, doc = ask(server, "list", LIST)
    assert doc == alone(server, "list", LIST, monkeypatch)
    _edit(server, "Seen")  # no select loop in between: the reply itself drains the watcher
    token2 = server.reply({"op": "token", "stamp": server.stamp})["token"]
    assert token2 != token  # a client's drawing or answer kept under `token` is not used
    token3, doc3 = ask(server, "list", LIST)
    assert token3 == token2 and doc3 != doc
    assert doc3 == alone(server, "list", LIST, monkeypatch)


def test_a_load_overtaken_by_a_change_is_not_used(server, monkeypatch):
    from taskctl.core.load import loader

    real, calls = loader.load, []

    def load_then_edit(*a, **kw):
        bl = real(*a, **kw)
        calls.append(1)
        if len(calls) == 1:
            _edit(server, "Meanwhile")  # written while the server was loading
        return bl

    monkeypatch.setattr(loader, "load", load_then_edit)
    _edit(server, "Before")
    server.sync()
    _token, doc = ask(server, "list", LIST)
    assert len(calls) == 2
    assert doc == alone(server, "list", LIST, monkeypatch)


def test_recent_questions_are_answered_again_when_quiet(server):
    ask(server, "next", {"weight": "auto"})
    _edit(server, "Later")
    server.sync()
    assert server.dirty_at is not None and server.bl_changes != server.changes
    server.refresh()
    assert server.dirty_at is None and server.bl_changes == server.changes
    assert json.dumps(["next", {"weight": "auto"}], sort_keys=True) in server.memo


def test_show_parses_the_body_into_a_copy_and_the_kept_task_stays_lean(server, monkeypatch):
    _token, doc = ask(server, "show", {"task_id": "T022"})
    assert doc == alone(server, "show", {"task_id": "T022"}, monkeypatch)
    assert doc["report"]["task"]["sections"]  # the body was there to parse
    kept_task = server.bl.tasks["T022"]
    assert kept_task.sections == {} and kept_task.criteria == []  # not changed by the answer
    f = next((server.root / "tasks").glob("T022*"))
    f.write_text(f.read_text() + "\n## Notes\n\nwritten after the load\n")
    _token, doc2 = ask(server, "show", {"task_id": "T022"})
    assert "written after the load" in json.dumps(doc2)
    assert doc2 == alone(server, "show", {"task_id": "T022"}, monkeypatch)
    got = server.reply({"op": "answer", "stamp": server.stamp, "command": "show",
                        "params": {"task_id": "T999"}})
    assert "UnknownTask" in got["error"]  # its client computes it and says so


def test_what_it_does_not_serve_is_refused(server):
    for command, params in (("show", {"id": "T001"}), ("list", {"weight": "auto"}),
                            ("next", "auto"), ("context", {"task_id": "T001"})):
        got = server.reply({"op": "answer", "stamp": server.stamp, "command": command,
                            "params": params})
        assert "error" in got


def test_a_question_that_fails_does_not_stop_it(server, monkeypatch):
    ask(server, "next", {"weight": "auto"})
    _edit(server, "Boom")
    server.sync()

    def boom(*a, **kw):
        raise RuntimeError("a planner bug")

    monkeypatch.setattr(answers, "plan_answer", boom)
    server.refresh()  # no exception: the question is dropped from the warm set
    assert not server.recent
    got = server.reply({"op": "answer", "stamp": server.stamp, "command": "next",
                        "params": {"weight": "auto"}})
    assert got == {"error": "RuntimeError: a planner bug"}  # its asker computes it alone


def test_a_waiting_client_is_answered_before_the_warm_set(server):
    for tag in ("a", "b", "c"):
        ask(server, "list", {**LIST, "tag": tag})
    _edit(server, "Busy")
    server.sync()
    import socket

    waiting = socket.socket(socket.AF_UNIX)
    waiting.connect(channel.address(str(server.root)))  # queued: the server has not accepted
    try:
        server.refresh()
        assert server.dirty_at is not None  # stopped to answer it, and comes back at once
        assert server.bl_changes != server.changes  # nothing computed for the new state yet
    finally:
        waiting.close()
    server.sock.accept()[0].close()
    server.refresh()
    assert server.dirty_at is None and server.bl_changes == server.changes
    assert len(server.memo) == 3


def test_the_most_asked_question_is_answered_again_first(server, monkeypatch):
    ask(server, "next", {"weight": "auto"})
    ask(server, "next", {"weight": "auto"})
    ask(server, "list", {**LIST, "tag": "late"})  # the latest, asked once
    _edit(server, "Order")
    server.sync()
    order, real = [], server.computed
    monkeypatch.setattr(server, "computed", lambda c, p: order.append(c) or real(c, p))
    server.refresh()
    assert order == ["next", "list"]
    assert server.memo[json.dumps(["next", {"weight": "auto"}], sort_keys=True)][1] is None
    # computed again as data: encoded only when a reader asks for it whole


def test_an_edit_of_bodies_only_keeps_the_answers_and_nothing_else_does(server, monkeypatch):
    """A load without bodies is the same after an edit of a task's Markdown body: the answers
    computed before still hold (but `show`'s, which parses the body) and are not computed
    again; a front-matter edit, or a claim made at the same time, computes them again."""
    import subprocess
    import sys
    from pathlib import Path

    computed = []
    real = answers.plan_answer
    monkeypatch.setattr(answers, "plan_answer",
                        lambda *a, **k: computed.append(a[1]) or real(*a, **k))
    NEXT = {"weight": "auto"}  # noqa: N806
    _t, first = ask(server, "next", NEXT)
    ask(server, "list", LIST)
    ask(server, "show", {"task_id": "T016"})
    assert computed == ["next"]
    f = server.root / "tasks" / "T016-env-snapshot.md"  # front matter and a Markdown body
    f.write_text(f.read_text() + "\n## Notes\n\nprogress written by an agent\n")
    _t, again = ask(server, "next", NEXT)
    assert again == first == alone_plan(server, monkeypatch)
    assert computed == ["next"] and server.kept_answers == 1  # kept, not computed again
    _t, shown = ask(server, "show", {"task_id": "T016"})
    assert "progress written by an agent" in json.dumps(shown)
    _edit(server, "Retitled")
    _t, third = ask(server, "next", NEXT)
    assert computed == ["next", "next"] and third == alone_plan(server, monkeypatch)
    # a front-matter edit that adds no problem (tags: no drift rule) changes `list`
    _t, listed = ask(server, "list", LIST)
    f.write_text(f.read_text().replace("tags: [", "tags: [retagged, ", 1))
    _t, relisted = ask(server, "list", LIST)
    assert relisted != listed and relisted == alone(server, "list", LIST, monkeypatch)
    # a claim file gone (only .tasks/claims/ changes) with a body edit at once: `next`
    # shows who holds what as it is now
    tid = third["report"]["tasks"][0]["id"]
    exe = str(Path(sys.executable).with_name("taskctl"))
    subprocess.run([exe, "claim", tid, "--agent", "a1", "--tasks-dir", str(server.root)],
                   check=True, capture_output=True)
    _t, fourth = ask(server, "next", NEXT)
    held = {row["id"]: row["claim"] for row in fourth["report"]["held"]}
    assert held[tid]["agent"] == "a1"
    (server.root / "claims" / f"{tid}.json").unlink()
    f.write_text(f.read_text() + "\nmore progress\n")
    _t, fifth = ask(server, "next", NEXT)
    assert fifth == alone_plan(server, monkeypatch) and fifth != fourth
    assert {row["id"]: row["claim"] for row in fifth["report"]["held"]}[tid] is None


def alone_plan(srv: Server, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setenv("TASKCTL_NO_CACHE", "1")
        m.setattr(kept, "KEEPER", None)
        return json.loads(json.dumps(_PLAN_ANSWER(srv.root, "next", "auto")))


def test_the_marker_is_left_once_the_first_load_is_done(server):
    """Readers look for the marker before they ask: while the server's first load runs they
    answer alone instead of waiting for it (a server just started on its own,
    `cli/autoserve.py`); it is there once the server answers, and gone when it stops."""
    import threading
    import time

    root = str(server.root)
    assert not channel.marked(root)  # constructed, not loaded yet
    seen: list = []
    load = server.backlog

    def backlog():
        seen.append(channel.marked(root))
        return load()

    server.backlog = backlog

    def client():
        deadline = time.monotonic() + 30
        while not channel.marked(root) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(channel.request(root, {"op": "status"}, timeout=10) is not None)
        channel.request(root, {"op": "stop"}, timeout=10)

    t = threading.Thread(target=client)
    t.start()
    assert server.run() == "asked to stop"  # the main thread: run() sets a signal handler
    t.join(30)
    assert seen[0] is False and seen[-1] is True  # not during the first load; then served
    assert not channel.marked(root)


def test_next_is_sent_in_part_when_the_reader_says_what_it_draws(server):
    """The whole answer once, then the part a view draws: the first n tasks, the tasks not
    listed only with --explain; a view it does not understand gets the whole answer."""
    params = {"weight": "auto"}
    whole = json.loads(server.reply({"op": "answer", "stamp": server.stamp,
                                     "command": "next", "params": params}))["doc"]
    assert len(whole["report"]["tasks"]) > 1 and whole["report"]["not_listed"]

    def part(view):
        return json.loads(server.reply({"op": "answer", "stamp": server.stamp,
                                        "command": "next", "params": params,
                                        "view": view}))["doc"]

    one = part({"n": 1, "explain": False})
    assert one["report"]["tasks"] == whole["report"]["tasks"][:1]
    assert "not_listed" not in one["report"]
    assert {k: v for k, v in one.items() if k != "report"} == {
        k: v for k, v in whole.items() if k != "report"}
    assert part({"n": 0, "explain": True}) == whole
    assert part({"n": 1, "explain": True})["report"]["not_listed"] == whole["report"][
        "not_listed"]
    for odd in ({"n": "2", "explain": False}, {"n": 2}, {}, {"n": True, "explain": False}):
        assert part(odd) == whole
    assert answers.trimmed("list", {"report": {"tasks": [1, 2, 3]}}, {"n": 1,
                                                                        "explain": False}) == {
        "report": {"tasks": [1, 2, 3]}}

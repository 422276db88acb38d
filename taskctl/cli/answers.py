"""The answers of the read commands (`next`, `ready`, `critical-path`, `status`, `list`, `show`,
`validate`): computed once, cached by content, printed by one renderer.

A read command's answer is a JSON document `{"problems": [errors, warnings], "report": ...}`
(validate's report holds every problem: `--strict` and `--verbose` only change how it is
printed). `answer()` returns it from the content-keyed cache (`core/plan/cache.py`: every
watched file's path, size, mtime_ns and inode, plus the parameters that change the answer,
`options.ANSWER_PARAMS`) or computes and stores it. The typer commands and the typer-free fast
entry (`cli/quick.py`) both print it with `render()` (validate: `render_validate()`), so their
output is the same byte for byte. Import-light: the loader and the planners are imported only
on a miss.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from taskctl.cli.options import ANSWER_PARAMS

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any


def params(command: str, opts: dict[str, Any], dialect: str | None = None) -> dict[str, Any]:
    out = {k: opts[k] for k in ANSWER_PARAMS[command]}
    if dialect:  # a forced dialect or tag is part of the question
        out["dialect"] = dialect
    if os.environ.get("TASKCTL_TAG"):
        out["tag_env"] = os.environ["TASKCTL_TAG"]
    return out


def cached(root: Path, command: str, opts: dict[str, Any],
           dialect: str | None = None) -> tuple[str | None, dict | None]:
    """(cache key, the stored answer or None); (None, None) with the cache disabled."""
    from taskctl.core.plan import cache

    k, doc = cache.get(root, command, params(command, opts, dialect))
    if not isinstance(doc, dict) or not {"problems", "report"} <= doc.keys():
        return k, None
    return k, doc


_last: dict[str, dict] = {}  # this process's last computed answer, by its content key
_handed: dict[str, dict] = {}  # see hand_over


def hand_over(root: Path, command: str, opts: dict[str, Any], doc: dict) -> None:
    """The fast entry is about to pass the question to the full CLI (a failing validate),
    which asks it again and must not load the tree a second time. With the cache on, `_last`
    holds the answer under its content key; with `TASKCTL_NO_CACHE=1` there is no key (no
    walk of the store is made for one), so the answer is handed over, by question, to the
    very next `answer()` call (which drops it either way)."""
    from taskctl.core.plan import cache

    _handed.clear()
    if not cache.enabled():
        _handed[_question(root, command, opts, None)] = doc


def _question(root: Path, command: str, opts: dict[str, Any], dialect: str | None) -> str:
    import json

    return json.dumps([str(root), command, params(command, opts, dialect)], sort_keys=True)


def answer(root: Path, command: str, opts: dict[str, Any], dialect: str | None = None,
           resident: Any = None) -> dict:
    """The cached answer, else computed (errors such as an unknown task id propagate, never
    cached) and stored. The last one computed is also kept in the process: when the fast
    entry hands a failing validate to the full CLI, that asks again under the same key and
    must not load the tree a second time (with `TASKCTL_NO_CACHE=1`, see `hand_over`).
    `resident`: the store's resident process (`core/resident/channel.py`), asked first."""
    k, doc = cached(root, command, opts, dialect)
    handed = _handed.pop(_question(root, command, opts, dialect), None) if _handed else None
    _handed.clear()  # for the next question only: never a later one's
    if doc is None:
        doc = _last.get(k) if k is not None else handed
    if doc is None:
        from taskctl.core.plan import cache

        doc = (resident.answer(command, params(command, opts, dialect)) if resident is not None
               else served(root, command, params(command, opts, dialect)))
        if doc is None and k is not None and resident is None:
            doc = _cut_off(root, command, params(command, opts, dialect), k)
        if doc is None:  # a resident process's answer is kept by it: no copy stored here
            doc = compute(root, command, opts, dialect)
            cache.put(root, command, params(command, opts, dialect), k, doc)
        _last.clear()
        if k is not None:
            _last[k] = doc
    return doc


def served(root: Path, command: str, parameters: dict[str, Any],
           view: dict | None = None) -> dict | None:
    """The answer from the store's resident process (`taskctl serve`), when one runs and the
    question is one it answers (the detected dialect, no tag from the environment). `view`:
    only the part drawn with these options (`trimmed`)."""
    from taskctl.core.plan import cache

    if not cache.enabled() or not cache.marked(root):
        return None  # no server says it serves the store (one stat): nothing more is done
    from taskctl.core.resident import channel

    if command not in channel.SERVED or set(parameters) - set(ANSWER_PARAMS[command]):
        return None
    resident = channel.connect(root)
    return resident.answer(command, parameters, view) if resident is not None else None


def planned(root: Path, command: str, weight: str, dialect: str | None = None,
            resident: Any = None, view: dict | None = None) -> dict:
    """The answer of `next`, `ready` or `critical-path` for every caller (the fast entry, the
    typer commands, the MCP server): the cached one, else the store's resident process's
    (`resident` when the caller connected already; `view`: only the part drawn, `trimmed`),
    else computed and stored. A served answer is not stored again (its server keeps it; a
    10,000-task plan is ≈ 1 MB of JSON, and a part must never stand for the whole)."""
    from taskctl.core.plan import cache

    tag = os.environ.get("TASKCTL_TAG")
    params = {"weight": weight, **({"dialect": dialect} if dialect else {}),
              **({"tag": tag} if tag else {})}
    k, doc = cache.get(root, command, params)
    if isinstance(doc, dict) and {"problems", "report"} <= doc.keys():
        return doc
    doc = None
    if not dialect and not tag:
        doc = (resident.answer(command, params, view) if resident is not None
               else served(root, command, params, view))
        if doc is None and k is not None and resident is None:
            doc = _cut_off(root, command, params, k)
            if doc is not None:
                return doc
    if doc is None:
        doc = plan_answer(root, command, weight, dialect)
        cache.put(root, command, params, k, doc)
    return doc


def _cut_off(root: Path, command: str, parameters: dict[str, Any], k: str) -> dict | None:
    """A few task files edited in ways the answer cannot read: the stored answer made right
    and stored under key `k` (`core/plan/replan.py`), without loading or planning again."""
    from taskctl.core.plan import replan

    if command not in replan.COMMANDS:
        return None
    got = replan.patched(root, command, parameters, k)
    if got is None:
        return None
    replan.store(root, command, parameters, k, *got[1:])
    return got[0]


def plan_answer(root: Path, command: str, weight: str, dialect: str | None = None,
                bl: Any = None) -> dict:
    """The answer of `next`, `ready` or `critical-path` (the plan cache's value). `bl`: the
    backlog already loaded without bodies (the resident process's, `cli/resident.py`)."""
    from taskctl.core.plan import cpm
    from taskctl.core.plan import ranking as plan

    if bl is None:
        from taskctl.core.load.loader import load

        bl = load(root, bodies=False, dialect=dialect)  # planning needs front matter only
    kept: list = [bl]
    report = {"next": lambda b, w: plan.next_report(b, w, kept), "ready": plan.waves,
              "critical-path": lambda b, w: cpm.schedule(b, w).to_dict()}[command](bl, weight)
    report.setdefault("tasks_total", len(bl.tasks))
    report.setdefault("dialect", bl.dialect)
    from taskctl.core.load import hold_to_exit

    hold_to_exit(*kept)  # a read answer frees its backlog and plan at its exit: not at all
    return {"problems": [len(bl.errors), len(bl.problems) - len(bl.errors)], "report": report,
            "unread": len(bl.unread)}


def compute(root: Path, command: str, opts: dict[str, Any], dialect: str | None = None,
            bl: Any = None) -> dict:
    """The answer of `status`, `list`, `show` or `validate`. `bl`: as for `plan_answer` (for
    `show`, loaded without bodies: the shown task's body is parsed into a copy of it)."""
    from taskctl.core.plan import progress

    if bl is None and command == "show":  # one body: the shown task's
        from taskctl.core.load.loader import load_one_body

        bl = load_one_body(root, opts["task_id"], dialect)
    elif command == "show":  # a resident process's kept load: the body goes into a copy
        from taskctl.core.load.loader import with_one_body

        view = with_one_body(bl, opts["task_id"])
        if view is None:  # its client computes the answer itself
            raise ValueError(f"the body of {opts['task_id']} cannot be added to the kept load")
        bl = view
    elif bl is None:
        from taskctl.core.load.loader import load

        bl = load(root, bodies=False, dialect=dialect)
    from taskctl.core.load import hold_to_exit

    hold_to_exit(bl)  # a read answer frees its backlog at its exit: not at all
    doc: dict[str, Any] = {"problems": [len(bl.errors), len(bl.problems) - len(bl.errors)],
                           "unread": len(bl.unread)}
    if command == "validate":
        from taskctl.core.load.readers.registry import get
        from taskctl.core.problems import sort_key

        doc["report"] = {
            "tasks": len(bl.tasks), "dialect": bl.dialect, "label": get(bl.dialect).label,
            "root": bl.rel(bl.root),
            "files_not_read": [{"file": bl.rel(p), "reason": why} for p, why in bl.unread],
            "problems": [p.to_dict() for p in sorted(bl.problems, key=sort_key)]}
        return doc
    if command in ("status", "list"):  # who holds what is judged when shown (live())
        doc["statuses"] = {tid: t.status for tid, t in bl.tasks.items()}
    if command == "status":
        doc["report"] = progress.status_report(bl, opts["weight"])
    elif command == "list":
        doc["report"] = {"tasks": [progress.task_row(t) for t in progress.filter_tasks(
            bl, opts["status"], opts["priority"], opts["tag"], opts["phase"], opts["milestone"])]}
    else:
        doc["report"] = {"task": progress.task_report(bl, opts["task_id"])}
    return doc


def validate_failed(doc: dict, strict: bool) -> bool:
    """Does this validate answer fail (errors, or any problem with --strict)?"""
    errors, warnings = doc["problems"]
    return bool(errors or (strict and warnings))


def render_validate(doc: dict, opts: dict[str, Any]) -> bool:
    """Print a validate answer (text or --json); True when it fails (exit 1)."""
    from taskctl.core.problems import Problem, Severity

    rep, strict = doc["report"], opts["strict"]
    failed = validate_failed(doc, strict)
    if opts.get("json"):
        from taskctl.render.jsonout import document

        sys.stdout.write(document({
            "ok": not failed, "strict": strict, "tasks": rep["tasks"], "dialect": rep["dialect"],
            "files_not_read": rep["files_not_read"],
            "summary": {"errors": doc["problems"][0], "warnings": doc["problems"][1]},
            "problems": rep["problems"]}) + "\n")
        sys.stdout.flush()
        return failed
    from taskctl.render import problems as rp

    probs = [Problem(d["code"], d["message"], d["file"], d["line"], d["column"], d["hint"],
                     Severity(d["severity"]), d["task"]) for d in rep["problems"]]
    lines = [f"read {rep['root']} as the {rep['dialect']} dialect: {rep['label']}",
             *rp.lines(probs, strict, opts["verbose"]),
             f"{'FAILED' if failed else 'OK'}: {rep['tasks']} task(s), "
             f"{rp.summary(probs, strict)}"]
    from taskctl.render import plain

    if not plain.write_lines(lines):  # rich: colour, or text it must measure
        from rich.markup import escape

        from taskctl.render.console import stdout

        out = stdout()
        out.print(escape(lines[0]))
        for line in lines[1:-1]:
            out.print(rp.styled(line))
        out.print(lines[-1])
    return failed


def live(root: Path, command: str, doc: dict) -> dict:
    """The answer with claims and leases judged now (they change with the clock, so they are
    never part of a cached answer): `status` gets `claims`, `list` rows get `held_by`."""
    if command not in ("status", "list"):
        return doc
    from taskctl.core.lifecycle.holders import held

    h = held(root, doc.get("statuses", {}))
    rep = dict(doc["report"])
    if command == "status":
        rep["claims"] = h
    else:
        rep["tasks"] = [{**r, "held_by": h.get(r["id"])} for r in rep["tasks"]]
    return {**doc, "report": rep}


TRIMMED = frozenset({"next"})  # answers a resident process sends in part (`trimmed`)


def view(command: str, opts: dict[str, Any]) -> dict | None:
    """The options that decide which part of `command`'s answer is drawn (`trimmed`)."""
    return {"n": opts["n"], "explain": opts["explain"]} if command in TRIMMED else None


def trimmed(command: str, doc: dict, view: dict) -> dict:
    """The part of answer `doc` that drawing it with options `view` reads
    (`render/planning.show`): `next` draws its first `n` tasks (every one when `n` <= 0),
    and the tasks it does not list only with --explain — on 10,000 tasks ≈ 20 KB of the
    ≈ 1 MB answer. A view it does not understand: the whole answer. Never stored: a
    resident process sends it to the reader that drew it (`cli/quick.py`)."""
    n, explain = view.get("n"), view.get("explain")
    if command not in TRIMMED or type(n) is not int or type(explain) is not bool:
        return doc
    rep = dict(doc["report"])
    if n > 0:
        rep["tasks"] = rep["tasks"][:n]
    if not explain:
        rep.pop("not_listed", None)
    return {**doc, "report": rep}


def clock_free(command: str, doc: dict, opts: dict[str, Any]) -> bool:
    """Is the printed answer a function of the files alone (so `cli/replay.py` may keep it)?
    Not when it shows a claim judged now (its age, lease left and state change with the clock,
    and a claim's process may die), nor, for `status` and `list`, a task in progress: who holds
    it comes from update files that the cache key does not watch. `doc` is the view as printed
    (after `live()` for status and list)."""
    from taskctl.core.status import TaskStatus

    rep = doc["report"]
    if command == "next":  # --json gives each claim as recorded; the table judges it now
        return opts.get("json") or not any(r.get("claim") for r in rep.get("held", ()))
    if command == "status":
        return not rep.get("claims") and TaskStatus.IN_PROGRESS not in doc.get(
            "statuses", {}).values()
    if command == "list":
        return not any(r.get("held_by") or r["status"] == TaskStatus.IN_PROGRESS
                       for r in rep["tasks"])
    return True  # ready, critical-path, show, validate: nothing judged by the clock


def render(command: str, doc: dict, opts: dict[str, Any], root: Path | None = None) -> None:
    """Print an answer the way the command's options ask (warnings to stderr)."""
    if root is not None:
        doc = live(root, command, doc)
    from taskctl.render.planning import warn_problems

    warn_problems(doc)  # the report's own warnings are in the view
    rep = doc["report"]
    if opts.get("json"):
        from taskctl.render.jsonout import document

        sys.stdout.write(document(rep) + "\n")
        sys.stdout.flush()
        return
    from taskctl.render import blocks, console, plain
    from taskctl.render.planning import print_rich

    width = plain.width()  # None: rich draws (a terminal in colour, ...)
    w = width or console.width()
    if command == "show":
        from taskctl.render.taskview import task_view

        views, held = [task_view(rep["task"])], {}
    elif command == "list":
        views = [blocks.list_view(rep["tasks"], w)]
        held = {r["id"]: r["held_by"] for r in rep["tasks"] if r.get("held_by")}
    else:
        views = [blocks.status_view(rep, w)]
        held = rep.get("claims") or {}
    if held:
        views.append(blocks.claims(held, w))
    for view in views:
        if width is None or not plain.write(view, width, soft_wrap=False):
            print_rich(view, soft_wrap=False)

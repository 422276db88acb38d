"""`taskctl set ID key=value...` and `taskctl dep add|rm ID DEP...`: edits of a task's fields,
in place in its front matter, mirrored in its manifest entry, with an event each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taskctl.core import records
from taskctl.core.files import claims as cl
from taskctl.core.lifecycle import graph
from taskctl.core.lifecycle import tasks as tk
from taskctl.core.lifecycle.transitions import now_utc
from taskctl.core.lifecycle.values import num as _num
from taskctl.core.lifecycle.values import parse_estimate, priority_label
from taskctl.core.model import Backlog
from taskctl.core.write import frontmatter as fm
from taskctl.core.write import status as sw
from taskctl.core.write.change import Change
from taskctl.errors import UsageError

SETTABLE = ("title", "priority", "phase", "milestone", "tags", "estimate", "estimated_hours",
            "estimated_tokens", "actual_hours", "actual_tokens")
ALIASES = {"estimated_tokens": ("est_tokens",), "estimated_hours": ("estimate_hours",)}
_REFUSED = {
    "status": "status changes are commands (start, claim, block, defer, cancel, reopen); "
              "completion is proof-only (`taskctl verify`)",
    "depends_on": "use `taskctl dep add|rm`", "dependencies": "use `taskctl dep add|rm`",
    "id": "ids do not change (create a new task instead)",
}


def _hours(v: str) -> float:
    key, n = parse_estimate(v)
    if key != "estimated_hours":
        raise UsageError(f"{v!r} is not a duration", "write hours like 2, 2h or 90m")
    return n


def _tokens(v: str) -> float:
    t = v.strip().lower()
    key, n = parse_estimate(t if "token" in t else t + "-tokens")
    return n


def parse_pairs(pairs: list[str]) -> dict[str, Any]:
    """`key=value` strings -> {canonical key: value or None (remove)}; refuses unknown keys."""
    out: dict[str, Any] = {}
    for p in pairs:
        key, eq, val = p.partition("=")
        key, val = key.strip(), val.strip()
        if not eq:
            raise UsageError(f"expected key=value, got {p!r}", f"keys: {', '.join(SETTABLE)}")
        if key in _REFUSED:
            raise UsageError(f"{key} cannot be set", _REFUSED[key])
        if key not in SETTABLE:
            raise UsageError(f"unknown key {key!r}", f"keys: {', '.join(SETTABLE)}")
        if key == "estimate":
            if not val:
                raise UsageError("estimate= needs a value", "e.g. estimate=2h or 30k-tokens")
            k, n = parse_estimate(val)
            out[k] = _num(n)
        elif not val:
            if key == "title":
                raise UsageError("the title cannot be empty",
                                 "give one, e.g. title='Train the tiny model'")
            out[key] = None
        elif key == "title":
            out[key] = fm.one_line(val)
        elif key == "priority":
            out[key] = priority_label(val)
        elif key == "tags":
            out[key] = [t.strip() for t in val.split(",") if t.strip()]
        elif key.endswith("_hours"):
            out[key] = _num(_hours(val))
        elif key.endswith("_tokens"):
            out[key] = _num(_tokens(val))
        else:
            out[key] = fm.one_line(val)
    if not out:
        raise UsageError("nothing to set", f"give key=value pairs; keys: {', '.join(SETTABLE)}")
    return out


def set_fields(root: Path, task_id: str, pairs: list[str], by: str) -> dict:
    """Set fields of one task. Returns {task, changes: {key: {from, to}}, event}."""
    tk.check_agent(by)
    values = parse_pairs(pairs)
    out: dict = {}

    def build() -> Change | None:
        ref = tk.find(root, task_id)
        text, changes = ref.text, {}
        for key, val in values.items():
            before = _current(ref, key)
            if before == val:
                continue
            text = fm.set_key(text, ref.format, key, val, ALIASES.get(key, ()))
            changes[key] = {"from": before, "to": val}
        out.update({"task": ref.id, "changes": changes})
        if not changes:
            return None
        at = cl.fmt_time(now_utc())
        ev = sw.event(ref.id, "set", ref.task.status, ref.task.status, by, None, at,
                      changes=changes)
        ch = Change("set", ref.id, [(ref.rel, text), ev], warnings=tk.left_alone(ref))
        if ref.entry is not None:
            ch.entries[ref.id] = {k: v["to"] for k, v in changes.items()}
            if "phase" in changes:
                ch.phases[ref.id] = changes["phase"]["to"]
        out["event"] = ev[0]
        return ch

    return tk.said(out, tk.run(root, build, task_id))


def _current(ref: tk.TaskRef, key: str) -> Any:
    """The task's value of `key` as a load merges it: the file's, else (the file says
    nothing) its manifest entry's — which `set key=` then removes from the entry."""
    v = _value(ref.task, key)
    if v is None and ref.entry:
        from taskctl.core.load import specs

        v = _value(specs.from_mapping(ref.entry, "entry", ref.id)[0], key)
    return v


def _value(t: Any, key: str) -> Any:
    if key == "priority":
        return t.priority_label if t.priority is not None else None
    v = getattr(t, key)
    if key == "tags":
        return list(v) or None
    return _num(v) if isinstance(v, float) else (v or None)


def deps(root: Path, task_id: str, names: list[str], add: bool, by: str) -> dict:
    """Add or remove dependencies of one task; a cycle is refused with the cycle printed."""
    tk.check_agent(by)
    if not names:
        raise UsageError("name at least one dependency", "e.g. taskctl dep add T002 T001")
    out: dict = {}

    def build() -> Change | None:
        from taskctl.core.load import loader  # the whole tree: a cycle check needs every edge

        ref = tk.find(root, task_id)
        bl = loader.load(root, bodies=False)
        t = bl.tasks.get(ref.id) or ref.task
        before = list(t.depends_on)
        if add:
            unknown = [d for d in names if d not in bl.tasks and d not in bl.deferred]
            if unknown:
                raise UsageError(f"unknown dependency: {', '.join(unknown)}",
                                 "depend on existing task ids (`taskctl list`)")
            if ref.id in names:
                raise UsageError(f"{ref.id} cannot depend on itself",
                                 "name the tasks it waits on (`taskctl list`)")
            after = before + [d for d in dict.fromkeys(names) if d not in before]
            graph_deps = {x.id: list(x.depends_on) for x in bl.tasks.values()}
            graph_deps[ref.id] = after
            if cyc := graph.cycle_through(graph_deps, ref.id):
                raise UsageError(f"dependency cycle: {graph.show(cyc)}",
                                 "not added; drop one of these edges instead")
        else:
            missing = [d for d in names if d not in before]
            if missing:
                raise UsageError(f"{ref.id} does not depend on {', '.join(missing)}",
                                 f"its dependencies: {', '.join(before) or 'none'}")
            after = [d for d in before if d not in names]
        out.update({"task": ref.id, "depends_on": after, "before": before})
        if after == before:
            return None
        text = fm.set_key(ref.text, ref.format, "depends_on", after,
                          ("dependencies", "blocked_by"))
        at = cl.fmt_time(now_utc())
        action = "dep_add" if add else "dep_rm"
        ev = sw.event(ref.id, action, t.status, t.status, by, None, at,
                      dependencies=[d for d in names])
        ch = Change(action, ref.id, [(ref.rel, text), ev], warnings=tk.left_alone(ref))
        if bl.manifest is not None and ref.entry is not None:
            ch.entries[ref.id] = {"depends_on": after}
            view = Backlog(root=root, tasks={**bl.tasks, ref.id: records.replace(
                t, depends_on=after)}, manifest=None, deferred=bl.deferred)
            for d in set(before) ^ set(after):
                if d in bl.tasks and d in ref.others:
                    ch.entries[d] = {"blocks": graph.blocks_of(view, d)}
        out["event"] = ev[0]
        return ch

    return tk.said(out, tk.run(root, build, task_id))

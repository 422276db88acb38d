"""The manifest's `phases` lists (the form `[{name, tasks}]`) kept in step with the tasks'
phases: by a one-task write (`change.py`) and by `sync`."""

from __future__ import annotations


def move_phase(data: dict, tid: str, name: str | None) -> None:
    """Keep the manifest's `phases` list (the form `[{name, tasks}]`) in step with a task's
    phase: out of the others, into its own (created when missing). `mvp.phases` is a chosen
    subset and is left alone."""
    ph = data.get("phases")
    if not isinstance(ph, list) or not any(isinstance(p, dict) for p in ph):
        return  # no list of phase objects (names only, or none): nothing to keep in step
    home = None
    for p in ph:
        if not isinstance(p, dict):
            continue
        if p.get("name") == name:
            home = p  # a phase named but listing no tasks yet gets its list below
        elif isinstance(p.get("tasks"), list) and tid in p["tasks"]:
            p["tasks"].remove(tid)
    if name is None:
        return
    if home is None:
        home = {"name": name, "tasks": []}
        ph.append(home)
    if not isinstance(home.get("tasks"), list):
        home["tasks"] = []
    if tid not in home["tasks"]:
        home["tasks"].append(tid)

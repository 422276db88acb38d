"""Turn raw YAML/JSON mappings (task front matter, manifest entries) into `Task` objects.

Problems are returned as (rule name, key path, message) so the caller can attach the location
that fits the source (task file line, or manifest entry line).
"""

from __future__ import annotations

from typing import Any

from taskctl.core.files.paths import repo_relative_problem
from taskctl.core.load import normalize as n
from taskctl.core.load import schema
from taskctl.core.model import AcceptanceItem, Task
from taskctl.core.status import TaskStatus

Finding = tuple[str, tuple, str]  # (rule name, key path, message)


def from_mapping(data: dict[str, Any], kind: str, fallback_id: str = "",
                 schema_errors: list | None = None) -> tuple[Task, list[Finding]]:
    """Normalise one task mapping. `kind` is "task" (a spec file) or "entry" (manifest).
    `schema_errors`: the task schema's findings for `data` when already known (cached)."""
    findings: list[Finding] = []
    data = n.stringify_dates(data)
    if kind == "task":
        if schema_errors is None:
            schema_errors = schema.errors("task", data)
        for path, msg in schema_errors:
            rule = "acceptance-item" if path[:1] == ("acceptance",) else "task-schema"
            findings.append((rule, path, msg))
    notes: list[n.Alias] = []
    d = n.canonical_keys(data, notes)
    tid = d.get("id") if isinstance(d.get("id"), str) and d.get("id") else fallback_id
    t = Task(id=tid)
    t.title = d["title"] if isinstance(d.get("title"), str) else ""
    try:
        raw = d.get("status", TaskStatus.PENDING)
        t.status = n.status(raw, ("status",), notes) or TaskStatus.PENDING
    except n.UnknownValue as e:
        findings.append(("unknown-status", e.path, f"{e}"))
    try:
        t.priority, t.mvp = n.priority(d.get("priority"), ("priority",), notes)
    except n.UnknownValue as e:
        findings.append(("unknown-priority", e.path, f"{e}"))
    t.depends_on = n.dependencies(d, notes)
    t.blocks = n.id_list(d.get("blocks"))
    tags = d.get("tags")
    t.tags = [str(x) for x in tags] if isinstance(tags, list) else []
    if t.mvp and "mvp" not in t.tags:
        t.tags.append("mvp")
    if isinstance(d.get("phase"), (str, int)) and not isinstance(d.get("phase"), bool):
        t.phase = str(d["phase"])
    if isinstance(d.get("milestone"), str):
        t.milestone = d["milestone"]
    for key in n.ESTIMATE_KEYS:
        setattr(t, key, n.number(d.get(key)))
    for key in n.TIME_KEYS:
        v = d.get(key)
        setattr(t, key, v if isinstance(v, str) else None)
    if isinstance(d.get("description"), str):
        t.description = d["description"]
    t.acceptance = acceptance_items(d.get("acceptance"), d.get("secret_env"))
    findings.extend(_confinement(t.acceptance))
    t.extra = {k: v for k, v in d.items() if k not in n.KNOWN_KEYS}
    t.front_matter = data
    findings.extend(("alias-spelling", a.path, a.message) for a in notes)
    return t, findings


def _confinement(items: list[AcceptanceItem]) -> list[Finding]:
    """`inputs` globs and `cwd` must stay inside the repository (never read outside it)."""
    out: list[Finding] = []
    for item in items:
        for j, g in enumerate(item.inputs):
            if (why := repo_relative_problem(g)) is not None:
                out.append(("acceptance-item", ("acceptance", item.index - 1, "inputs", j),
                            f"acceptance item {item.index}: {why}"))
        if item.cwd and (why := repo_relative_problem(item.cwd, "cwd")) is not None:
            out.append(("acceptance-item", ("acceptance", item.index - 1, "cwd"),
                        f"acceptance item {item.index}: {why}"))
    return out


def acceptance_items(value: Any, task_secrets: Any = None) -> list[AcceptanceItem]:
    """Well-typed fields only; the schema check reports the rest. Keeps spec order."""
    if not isinstance(value, list):
        return []
    secrets = ([s for s in task_secrets if isinstance(s, str)]
               if isinstance(task_secrets, list) else [])
    out = []
    for i, raw in enumerate(value, 1):
        if not isinstance(raw, dict):
            continue
        run = raw.get("run")
        timeout = raw.get("timeout")
        env = raw.get("env")
        item_secrets = raw.get("secret_env")
        out.append(AcceptanceItem(
            index=i,
            criterion=str(raw.get("criterion") or ""),
            run=run if isinstance(run, str) and run.strip() else None,
            timeout=float(timeout) if isinstance(timeout, (int, float))
            and not isinstance(timeout, bool) and timeout > 0 else None,
            cwd=raw["cwd"] if isinstance(raw.get("cwd"), str) else None,
            env={str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {},
            inputs=[x for x in raw.get("inputs") or [] if isinstance(x, str)]
            if isinstance(raw.get("inputs"), list) else [],
            requires=[x for x in raw.get("requires") or [] if isinstance(x, str)]
            if isinstance(raw.get("requires"), list) else [],
            secret_env=secrets + ([s for s in item_secrets if isinstance(s, str)]
                                  if isinstance(item_secrets, list) else []),
            raw=raw,
        ))
    return out

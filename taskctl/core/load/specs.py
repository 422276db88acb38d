"""Turn raw YAML/JSON mappings (task front matter, manifest entries) into `Task` objects.

Problems are returned as (rule name, key path, message) so the caller can attach the location
that fits the source (task file line, or manifest entry line).
"""

from __future__ import annotations

from taskctl.core.files.paths import repo_relative_problem
from taskctl.core.load import normalize as n
from taskctl.core.load import schema
from taskctl.core.load import taskplain as tp
from taskctl.core.model import AcceptanceItem, Task
from taskctl.core.status import TaskStatus

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

Finding = tuple[str, tuple, str]  # (rule name, key path, message)


_PRIORITIES = {f"P{p}": p for p in range(5)}  # as written canonically: no note, no mvp
_STATUSES = frozenset(str(s) for s in TaskStatus)  # as written canonically (plain strs)
_NUMBER = (int, float)
_ALIASED = frozenset(n.KEY_ALIASES)
_OTHER_DEPENDENCY_KEYS = frozenset(n.DEPENDENCY_KEYS) - {"depends_on"}


def from_mapping(data: dict[str, Any], kind: str, fallback_id: str = "",
                 schema_errors: list | None = None) -> tuple[Task, list[Finding]]:
    """Normalise one task mapping. `kind` is "task" (a spec file) or "entry" (manifest).
    `schema_errors`: the task schema's findings for `data` when already known (cached).

    Runs for every task file and manifest entry of a cold load (20,000 mappings on a
    10,000-task tree): the canonical spellings are taken on the spot, anything else goes
    through `normalize.py`, which says what it read and how; the `Task` is built from its
    field values at once rather than by its `__init__` and its default factories."""
    findings: list[Finding] = []
    data = n.stringify_dates(data)
    if kind == "task":
        if schema_errors is None:
            schema_errors = schema.errors("task", data)
        for path, msg in schema_errors:
            rule = "acceptance-item" if path[:1] == ("acceptance",) else "task-schema"
            findings.append((rule, path, msg))
    notes: list[n.Alias] = []
    keys = data.keys()
    d = data if keys.isdisjoint(_ALIASED) else n.canonical_keys(data, notes)
    get = d.get
    tid = get("id")
    if not (isinstance(tid, str) and tid):
        tid = fallback_id
    title = get("title")
    raw = get("status", TaskStatus.PENDING)
    if type(raw) is str and raw in _STATUSES:
        status = raw
    else:
        try:
            status = n.status(raw, ("status",), notes) or TaskStatus.PENDING
        except n.UnknownValue as e:
            findings.append(("unknown-status", e.path, f"{e}"))
            status = TaskStatus.PENDING
    p = get("priority")
    if type(p) is str and p in _PRIORITIES:
        priority, mvp = _PRIORITIES[p], False
    else:
        try:
            priority, mvp = n.priority(p, ("priority",), notes)
        except n.UnknownValue as e:
            findings.append(("unknown-priority", e.path, f"{e}"))
            priority, mvp = None, False
    deps = get("depends_on")
    if type(deps) is list and keys.isdisjoint(_OTHER_DEPENDENCY_KEYS) \
            and all(type(x) is str for x in deps):
        depends_on = list(dict.fromkeys(deps))  # order kept, duplicates dropped
    else:
        depends_on = n.dependencies(d, notes)
    tags = get("tags")
    tags = [str(x) for x in tags] if isinstance(tags, list) else []
    if mvp and "mvp" not in tags:
        tags.append("mvp")
    phase = get("phase")
    milestone = get("milestone")
    description = get("description")
    acceptance = acceptance_items(get("acceptance"), get("secret_env"))
    t = Task.__new__(Task)
    f = t.__dict__
    f["id"] = tid
    f["title"] = title if isinstance(title, str) else ""
    f["status"], f["priority"] = status, priority
    blocks = get("blocks")
    f["depends_on"] = depends_on
    f["blocks"] = (blocks.copy() if type(blocks) is list and all(type(x) is str for x in blocks)
                   else n.id_list(blocks))
    f["tags"] = tags
    f["phase"] = str(phase) if isinstance(phase, (str, int)) and not isinstance(phase, bool) \
        else None
    f["milestone"] = milestone if isinstance(milestone, str) else None
    f["mvp"] = mvp
    for key in n.ESTIMATE_KEYS:
        v = get(key)
        f[key] = v if isinstance(v, _NUMBER) and not isinstance(v, bool) and v >= 0 else None
    for key in n.TIME_KEYS:
        v = get(key)
        f[key] = v if isinstance(v, str) else None
    f["description"] = description if isinstance(description, str) else ""
    f["acceptance"] = acceptance
    f["criteria"], f["scenarios"], f["sections"] = [], [], {}
    unknown = d.keys() - n.KNOWN_KEYS  # kept in the mapping's order
    f["extra"] = ({} if not unknown else {k: d[k] for k in unknown} if len(unknown) == 1
                  else {k: v for k, v in d.items() if k in unknown})
    f["path"], f["format"], f["front_matter"] = None, "front-matter", data
    findings.extend(_confinement(acceptance))
    findings.extend(("alias-spelling", a.path, a.message) for a in notes)
    return t, findings


# The keys a manifest entry is usually written with: `entry_plain` reads such an entry on the
# spot when each holds the type it should (anything else goes through `from_mapping`)
_PLAIN_ENTRY_KEYS = frozenset({"id", "title", "file", "status", "priority", "phase",
                               "milestone", "depends_on", "blocks", "tags", *n.ESTIMATE_KEYS})


def entry_plain(data: dict[str, Any], fallback_id: str = "") -> tuple[tuple, list[Finding]]:
    """`(taskplain.to_plain(task), findings)` for `task, findings = from_mapping(data,
    "entry", fallback_id)`. A cold load normalises every manifest entry (10,000 on a
    10,000-task tree) and keeps only this plain data; an entry written the usual way (the
    keys above, canonical status and priority, lists of strings, typed scalars) is read
    straight into it — no `Task` built and taken apart again, no finding possible. Any other
    goes through `from_mapping` (tests/taskctl/core/load/test_specs.py holds both equal)."""
    get = data.get
    status, p, deps = get("status"), get("priority"), get("depends_on")
    blocks, tags, title = get("blocks"), get("tags"), get("title")
    phase, milestone, file = get("phase"), get("milestone"), get("file")
    if (data.keys() <= _PLAIN_ENTRY_KEYS
            and type(status) is str and status in _STATUSES
            and type(p) is str and p in _PRIORITIES
            and (type(deps) is list and all(type(x) is str for x in deps)
                 or deps is None)  # absent or null: no dependency, as from_mapping reads it
            and (blocks is None or type(blocks) is list and all(type(x) is str for x in blocks))
            and (tags is None or type(tags) is list and all(type(x) is str for x in tags))
            and (title is None or type(title) is str)
            and (phase is None or type(phase) is str or type(phase) is int)
            and (milestone is None or type(milestone) is str)
            and (file is None or type(file) is str)):
        tid = get("id")
        values = (
            tid if isinstance(tid, str) and tid else fallback_id,
            title or "",
            _PRIORITIES[p],
            list(dict.fromkeys(deps)) if deps is not None else [],
            blocks.copy() if blocks is not None else [],
            tags.copy() if tags is not None else [],
            str(phase) if phase is not None else None,
            milestone,
            False,  # mvp: only a priority such as `P1-mvp` says so
            *[v if isinstance(v, _NUMBER) and not isinstance(v, bool) and v >= 0 else None
              for v in map(get, n.ESTIMATE_KEYS)],
            None, None, None, None,  # the TIME_KEYS: not among the keys read here
            "",  # description
            {"file": file} if "file" in data else {},  # the only key here the model does not know
        )
        return (status, False, values, ()), []
    task, findings = from_mapping(data, "entry", fallback_id)
    return tp.to_plain(task), findings


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
        get = raw.get  # one lookup each, positional arguments: this runs for every item of
        # every task file of a cold load (≈ 40 % less than keyword arguments and double gets)
        run, timeout, cwd = get("run"), get("timeout"), get("cwd")
        env, inputs, requires, item_secrets = (get("env"), get("inputs"), get("requires"),
                                               get("secret_env"))
        out.append(AcceptanceItem(
            i,
            str(get("criterion") or ""),
            run if isinstance(run, str) and run.strip() else None,
            float(timeout) if isinstance(timeout, (int, float))
            and not isinstance(timeout, bool) and timeout > 0 else None,
            cwd if isinstance(cwd, str) else None,
            {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {},
            [x for x in inputs if isinstance(x, str)] if isinstance(inputs, list) else [],
            [x for x in requires if isinstance(x, str)] if isinstance(requires, list) else [],
            secrets + ([s for s in item_secrets if isinstance(s, str)]
                       if isinstance(item_secrets, list) else []),
            raw,
        ))
    return out

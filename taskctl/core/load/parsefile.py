"""Parse one task file into a `Task` (or the problems that stop it), for the loader.

Front matter comes from the per-file cache when the file is unchanged (`cached`), else from
`taskfile.read`; a normalised result is rebuilt from plain data rather than normalised again.
"""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load import ids, schema, specs, taskfile
from taskctl.core.load import taskplain as tp
from taskctl.core.load.markdown import find_section
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.load.taskpaths import id_from_filename, rel_parts
from taskctl.core.model import Task
from taskctl.core.problems import problem


def _fill_body(task: Task, raw: taskfile.RawTaskFile) -> None:
    sections, boxes, scenarios = taskfile.parse_body(raw)
    task.sections, task.criteria, task.scenarios = sections, boxes, scenarios
    if not task.description:
        sec = find_section(sections, "description", "summary", "overview")
        task.description = sec.body if sec else ""


def fill_body(task: Task, root: Path) -> bool:
    """Parse the Markdown body of one task of a backlog loaded without bodies, as a load with
    bodies would have (`show` needs one task's body, not every task's). False when its file
    no longer holds the front matter it was loaded from: the caller then loads with bodies."""
    if task.path is None or task.format != "front-matter":
        return True  # no body a load would parse (a manifest entry, a plain YAML file)
    in_completed = rel_parts(task.path, root)[1]
    try:
        raw = taskfile.read(task.path, root, require_front_matter=not in_completed,
                            dates_as_strings=True)
    except FileIssue:
        return False
    if raw is None or raw.format != "front-matter" or raw.data != task.front_matter:
        return False
    _fill_body(task, raw)
    return True


def parse_file(path: Path, root: Path, bodies: bool, cached: tuple | None = None,
               fresh: dict | None = None) -> tuple:
    """(path, task | None, raw | None, problems) for one task file.

    `cached`: (front matter, normalised task, its findings (schema ones included), format)
    from the per-file cache; `fresh` (a dict) receives them under "value" when this call
    computed them (for the cache)."""
    rel = None  # the display path, worked out when a problem names the file
    if cached is not None:  # unchanged since it was cached: its text is read on demand
        raw = taskfile.CachedTaskFile(path, root, cached[0], cached[3])
        if "id" not in raw.data and rel_parts(path, root)[1]:
            return path, None, None, []  # a completion summary, not a task
    else:
        rel, in_completed = rel_parts(path, root)
        try:
            raw = taskfile.read(path, root, require_front_matter=not in_completed,
                                dates_as_strings=True)
        except FileIssue as e:
            return path, None, None, [
                problem(i.rule, i.message, file=rel, line=i.line, column=i.column,
                        **({"hint": i.hint} if i.hint else {}))
                for i in getattr(e, "issues", [e])]
        if raw is None or (in_completed and "id" not in raw.data):
            return path, None, None, []  # a completion summary, not a task
    data = raw.data
    if type(data.get("id")) is int:  # read as a string; reported once per tree (readers/tasks)
        data = {**data, "id": str(data["id"])}
    if cached is not None:  # normalised before: rebuild the Task from plain data
        task = tp.from_plain(cached[1], dict(data))  # no dates: cached as strings
        findings = [(r, tuple(k), m) for r, k, m in cached[2]]
    else:
        serrs = schema.errors("task", data)  # read with dates as strings
        tid = data.get("id")  # the file name's id only stands in for a missing one
        fallback = "" if type(tid) is str and tid else id_from_filename(path)
        task, findings = specs.from_mapping(data, "task", fallback, serrs)
        if raw.duplicates:
            findings = [("duplicate-key", (k,), f"key {k!r} is set twice (lines {a} and {b}); "
                         "the last one is read") for k, a, b in raw.duplicates] + findings
        if fresh is not None:
            fresh["value"] = (raw.data, tp.to_plain(task), findings, raw.format)
    if (why := ids.id_problem(task.id)) is not None:
        # never let a hostile id into the backlog: it names files under .tasks/
        line, col = raw.locate(("id",))
        return path, None, raw, [problem("bad-id", why, file=rel or rel_parts(path, root)[0],
                                         line=line or 1, column=col, hint=ids.ID_HINT)]
    task.path, task.format = path, raw.format
    if data is not raw.data:
        task.front_matter = raw.data
    if bodies:
        _fill_body(task, raw)
    problems = []
    if findings and rel is None:
        rel = rel_parts(path, root)[0]
    for rule, key, msg in findings:
        line, col = raw.locate(key)
        problems.append(problem(rule, f"{task.id}: {msg}", file=rel, line=line, column=col,
                                task=task.id))
    return path, task, raw, problems

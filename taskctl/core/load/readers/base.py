"""The reader interface and the builder every non-canonical reader shares.

A reader is one dialect of task store: `detect(root, top)` answers from a few stat calls (and
the listing of the store's top folder, `top`) whether the store is in its shape; `load(...)`
reads it into the common model, giving every field a location; `write_status(...)` writes a
status change back in the dialect, touching only the bytes it changes, or raises NotWritable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from taskctl.core import order
from taskctl.core.load import checks, markdown, safeyaml, specs
from taskctl.core.load.readers import scan, words
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.model import Backlog, Source, Task
from taskctl.core.problems import problem
from taskctl.core.records import field, record
from taskctl.core.status import TaskStatus
from taskctl.errors import NotWritable

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from taskctl.core.load.readers import jsonpos


class Top:
    """The store's top folder, listed once: names of files and of folders."""

    def __init__(self, root: Path):
        self.root = root
        self.files: set[str] = set()
        self.dirs: set[str] = set()
        try:
            with os.scandir(root) as it:
                for e in it:
                    (self.dirs if e.is_dir() else self.files).add(e.name)
        except OSError:
            pass

    def first_in(self, sub: str, suffixes: tuple[str, ...]) -> str | None:
        """Suffix of the first file in `sub` with one of `suffixes` (a lazy scan: cheap)."""
        try:
            with os.scandir(self.root / sub) as it:
                for e in it:
                    for s in suffixes:
                        if e.name.endswith(s):
                            return s
        except OSError:
            return None
        return None


class Reader:
    """One dialect. Subclasses set `name`, `label` and implement `detect` and `load`."""

    name = ""
    label = ""  # one line for `validate`/`status` and docs
    writable = False  # can a status change be written back?

    def detect(self, root: Path, top: Top) -> bool:
        raise NotImplementedError

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        raise NotImplementedError

    def known(self, rel_parts: tuple[str, ...]) -> bool:
        """A file of the store that is not a task (config, index): never listed as unread."""
        return False

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return f"not where the {self.name} dialect keeps its tasks"

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        """Write `status` back into the store. True if a file changed."""
        raise NotWritable(f"the {self.name} dialect cannot be written back by taskctl "
                          f"({task.id} unchanged)",
                          "convert the tree with `taskctl convert --to tasks` to record "
                          "status changes")


JSON_KEYS = {  # canonical key <- the keys JSON task stores use
    "title": ("title", "name", "summary"), "status": ("status", "state"),
    "priority": ("priority",), "description": ("description", "desc", "details"),
    "depends_on": ("depends_on", "dependencies", "dependsOn", "blockedBy", "blocked_by",
                   "deps", "requires", "prerequisites"),
    "tags": ("tags", "labels"), "phase": ("phase", "epic", "feature", "milestone_name"),
    "estimated_hours": ("estimated_hours", "estimatedHours", "estimate_hours", "hours",
                        "estimate"),
    "created_at": ("created_at", "createdAt", "created"),
    "completed_at": ("completed_at", "completedAt", "completed_date")}


def json_task(obj: dict, doc=None) -> tuple[dict[str, Any], dict[str, int]]:
    """(canonical mapping, key -> line) of a task object in a JSON store; unknown keys are
    kept under their own names (they end up in `extra`)."""
    data: dict[str, Any] = {"id": obj.get("id", obj.get("taskId", obj.get("key")))}
    lines: dict[str, int] = {}
    used = {"id", "taskId", "key"}
    for canon, keys in JSON_KEYS.items():
        for k in keys:
            if k in obj and obj[k] not in (None, ""):
                if canon == "depends_on":
                    data[canon] = [*data.get(canon, []), *refs(obj[k])]
                else:
                    data.setdefault(canon, obj[k])
                used.add(k)
                if doc is not None and canon not in lines:
                    lines[canon] = doc.line_of(obj, k)
    for link in obj.get("links") or [] if isinstance(obj.get("links"), list) else []:
        # typed links: {"target_id": 4, "type": "blocked_by"}; parent/child/related are kept
        if isinstance(link, dict):
            kind = str(link.get("type", "")).lower().replace("-", "_")
            target = link.get("target_id", link.get("target", link.get("id")))
            if kind in ("blocked_by", "depends_on", "dependency", "requires"):
                data["depends_on"] = [*data.get("depends_on", []), *refs(target)]
            elif kind == "blocks":
                data["blocks"] = [*data.get("blocks", []), *refs(target)]
    if data["id"] in (None, "") and isinstance(obj.get("name"), str) \
            and re.fullmatch(r"[A-Za-z0-9][\w.-]*", obj["name"]):
        data["id"] = obj["name"]  # `name: data_reading` is an identifier, not a sentence
    if doc is not None:
        lines["id"] = doc.line_of(obj, "id")
    for k, v in obj.items():
        if k not in used and k not in data and isinstance(k, str):
            data[k] = v
    if not isinstance(data.get("estimated_hours"), (int, float)):
        data.pop("estimated_hours", None)
    if isinstance(data.get("tags"), str):
        data["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
    return data, {k: v for k, v in lines.items() if v}


@record
class Record:
    """One task as a reader found it: canonical keys, and where each value sits."""

    data: dict[str, Any]
    path: Path
    lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    text: str | None = None  # the whole file, when its checkboxes are the task's
    extra_where: Callable[[tuple], tuple] | None = None


def refs(value: Any, known: dict[str, str] | None = None) -> list[str]:
    """Dependency ids from a list or free text ("Task 01, #3", "TASK-001 and TASK-002").

    A token that names a known id is that id; a bare number matches the one known id with
    that number ("3" -> "03" or "TASK-003"); other tokens of free text count only if they hold
    a digit (words like "none" or "and" are not ids) — a list's items are ids as written
    (`["A", "bd-abcd"]`: a JSON store's ids need no digit)."""
    if value is None:
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    listed = isinstance(value, list)
    if listed:
        toks = [str(v if not isinstance(v, float) or not v.is_integer() else int(v)).strip()
                for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    elif isinstance(value, str):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", value)  # [TASK-1](link) -> TASK-1
        toks = [t.strip("#`*[]().:") for t in re.split(r"[,;\s]+", text)]
    else:
        return []
    known = known or {}
    out: list[str] = []
    for tok in toks:
        if not tok or tok.lower() in ("none", "n/a", "-", "—", "aucune", "ninguna", "keine"):
            continue
        tid = tok if tok in known.values() else known.get(tok.lower())
        if tid is None and tok.isdigit():
            tid = known.get(str(int(tok)))
        if tid is None and not listed and not any(c.isdigit() for c in tok):
            continue
        tid = tid or tok
        if tid not in out:
            out.append(tid)
    return out


def number_index(ids) -> dict[str, str]:
    """lower-cased id -> id, plus each id's number -> id when that number is unique."""
    out: dict[str, str] = {str(i).lower(): str(i) for i in ids}
    nums: dict[str, list[str]] = {}
    for i in ids:
        m = re.search(r"(\d+)(?!.*\d)", str(i))
        if m:
            nums.setdefault(str(int(m.group(1))), []).append(str(i))
    for n, found in nums.items():
        if len(found) == 1:
            out.setdefault(n, found[0])
    return out


def report_int_ids(bl: Backlog, ids: list[str]) -> None:
    """One warning for the whole tree (never one per file) when ids are written as numbers."""
    if not ids:
        return
    shown = ", ".join(order.natural(ids)[:5])
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    bl.problems.append(problem("alias-spelling", f"{len(ids)} task id(s) written as numbers "
                               f"({shown}{more}); read as strings (quote them: id: \"12\")"))


SIDECAR = Path(".taskctl") / "acceptance.yaml"


def sidecar_acceptance(bl: Backlog) -> None:
    """Executable acceptance for stores whose format has no place for it: `.taskctl/
    acceptance.yaml` beside the store maps task ids to `acceptance:` lists (the canonical
    item shape). A task's own runnable items come first; the sidecar's replace them."""
    path = bl.repo_root / SIDECAR
    if not path.is_file():
        return
    try:
        data = safeyaml.load(safeyaml.read_text(path, bl.repo_root))
    except FileIssue as e:
        bl.problems.append(problem(e.rule, e.message, file=bl.rel(path), line=e.line))
        return
    if not isinstance(data, dict):
        bl.problems.append(problem("task-schema", "acceptance sidecar must map task ids to "
                                   "lists of acceptance items", file=bl.rel(path), line=1))
        return
    for key, items in data.items():
        task = bl.tasks.get(str(key))
        if task is None:
            bl.problems.append(problem("dangling-dependency", f"acceptance sidecar names "
                                       f"unknown task {key}", file=bl.rel(path),
                                       line=safeyaml.locate(path.read_text(encoding="utf-8"),
                                                            (key,))[0]))
            continue
        task.acceptance = specs.acceptance_items(items)


class Build:
    """Turns Records into a Backlog: normalise, locate, check, list what was not read."""

    def __init__(self, root: Path, reader: Reader, int_ids_normal: bool = False):
        self.root = root
        self.reader = reader
        self.bl = Backlog(root=root, tasks={}, manifest=None, dialect=reader.name)
        self.int_ids_normal = int_ids_normal
        self.int_ids: list[str] = []

    def rel(self, p: Path) -> str:
        return self.bl.rel(p)

    def read(self, *paths: Path) -> None:
        """Mark files as used (loaded, or known parts of the store)."""
        self.bl.files_read.update(map(str, paths))

    def problem(self, name: str, message: str, path: Path | None = None,
                line: int | None = None, task: str | None = None) -> None:
        self.bl.problems.append(problem(name, message, file=self.rel(path) if path else None,
                                        line=line, task=task))

    def text(self, path: Path, limit: int | None = None) -> str | None:
        """The file's text, or None after reporting why it cannot be read."""
        self.read(path)
        try:
            return safeyaml.read_text(path, self.root, **({"limit": limit} if limit else {}))
        except FileIssue as e:
            self.problem(e.rule, e.message, path, e.line)
            return None

    def json(self, path: Path) -> jsonpos.Doc | None:
        """The parsed JSON file (with positions), or None after reporting the syntax error."""
        from taskctl.core.load.readers import jsonpos  # JSON dialects only (2 dataclasses)

        text = self.text(path, safeyaml.MAX_MANIFEST_BYTES)
        if text is None:
            return None
        try:
            return jsonpos.parse(text)
        except jsonpos.JsonError as e:
            line, col = jsonpos.line_col(text, e.pos)
            self.bl.problems.append(problem("json-syntax", f"JSON syntax error: {e.msg}",
                                            file=self.rel(path), line=line, column=col))
            return None

    def add(self, rec: Record, bodies: bool = True) -> Task | None:
        """Normalise one record into a Task. The dialect's words are read without warnings."""
        d = dict(rec.data)
        self.read(rec.path)
        tid = d.get("id")
        if isinstance(tid, bool) or tid in (None, ""):
            self.problem("task-schema", "task has no id", rec.path, rec.lines.get("id", 1))
            return None
        if isinstance(tid, (int, float)):
            tid = str(int(tid)) if float(tid).is_integer() else str(tid)
            self.int_ids.append(tid)
        d["id"] = str(tid).strip()
        if "depends_on" in d:
            d["depends_on"] = refs(d["depends_on"])
        if isinstance(d.get("tags"), str):  # "Labels: refactor, infra"
            d["tags"] = [t.strip() for t in d["tags"].split(",") if t.strip()]
        line = rec.lines.get
        raw_status = d.get("status")
        st = words.status_of(raw_status) if raw_status is not None else None
        if raw_status is not None and st is None:
            self.problem("unknown-status", f"{d['id']}: unknown status {raw_status!r}", rec.path,
                         line("status"), d["id"])
        d["status"] = st or TaskStatus.PENDING
        raw_prio = d.pop("priority", None)
        task, findings = specs.from_mapping(d, "entry", d["id"])
        task.priority = words.priority_of(raw_prio)
        if raw_prio not in (None, "") and task.priority is None:
            task.extra["priority"] = raw_prio  # kept, not a scheduling priority we know
        for rule, key, msg in findings:
            if rule != "alias-spelling":  # the dialect's normal spelling
                self.problem(rule, f"{task.id}: {msg}", rec.path, line(key[0] if key else "id"),
                             task.id)
        task.path, task.format = rec.path, self.reader.name
        task.front_matter = rec.data
        if bodies and rec.body:
            task.sections = markdown.parse_sections(rec.body, rec.body_line)
            if rec.text is not None and "[" in rec.body:
                task.criteria = markdown.locate_checkboxes(rec.text)
            if not task.description:
                sec = markdown.find_section(task.sections, "description", "summary",
                                            "overview", "objective", "goal")
                task.description = sec.body if sec else ""
        if task.id in self.bl.tasks:
            first = self.bl.tasks[task.id]
            self.problem("duplicate-id", f"task id {task.id} is also used by "
                         f"{self.rel(first.path) if first.path else 'another task'}", rec.path,
                         line("id") or 1, task.id)
            return None
        self.bl.tasks[task.id] = task
        lines = dict(rec.lines)
        self.bl.sources[task.id] = Source(self.rel(rec.path),
                                          lambda key, ln=lines: (ln.get(key[0], 1) if key else 1,
                                                                 None))
        return task

    def finish(self) -> Backlog:
        """Report integer ids once, check the graph, list unread files, order naturally."""
        if not self.int_ids_normal:
            report_int_ids(self.bl, self.int_ids)
        sidecar_acceptance(self.bl)
        self.bl.tasks = {k: self.bl.tasks[k] for k in order.natural(self.bl.tasks)}
        index = number_index(self.bl.tasks)
        for t in self.bl.tasks.values():  # "3" -> "03" / "TASK-003" where that is unique
            t.depends_on = list(dict.fromkeys(
                d if d in self.bl.tasks else index.get(d.lower(), index.get(
                    str(int(d)) if d.isdigit() else d, d)) for d in t.depends_on))
        checks.run(self.bl)
        scan.report_unread(self.bl, self.reader)
        return self.bl

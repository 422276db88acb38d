"""The data model: plain records (`core/records.py`) the loader makes, used everywhere else."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.records import field, record
from taskctl.core.status import DONE, REMAINING, TaskStatus

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:  # annotations only: one-task writes never build a Problem
    from typing import Any

    from taskctl.core.problems import Problem


@record
class Checkbox:
    """A Markdown checklist line: `1. [x] text` or `- [ ] text`."""

    text: str
    checked: bool
    line: int  # 1-based line in the task file


@record
class Scenario:
    """A `### Heading` scenario inside a body section: its title and text (line 0: unknown)."""

    title: str
    body: str
    line: int


@record
class Section:
    """A `## Heading` block of the Markdown body, kept verbatim."""

    title: str
    body: str
    line: int


@record
class AcceptanceItem:
    """One executable (or manual) acceptance item from the front matter `acceptance:` list."""

    index: int  # 1-based position in the spec
    criterion: str
    run: str | None = None
    timeout: float | None = None
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    secret_env: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def manual(self) -> bool:
        return self.run is None


@record
class Task:
    """One task: its spec (front matter, manifest entry) and its Markdown body, normalised."""

    id: str
    title: str = ""
    status: str = TaskStatus.PENDING
    priority: int | None = None  # 0 (most urgent) .. 4
    depends_on: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    phase: str | None = None
    milestone: str | None = None
    mvp: bool = False
    estimated_hours: float | None = None
    estimated_tokens: float | None = None
    actual_hours: float | None = None
    actual_tokens: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    description: str = ""
    acceptance: list[AcceptanceItem] = field(default_factory=list)
    criteria: list[Checkbox] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown front-matter keys, kept
    path: Path | None = None  # absolute path of the task file (None: manifest only)
    format: str = "front-matter"  # or "yaml" (plain document), "manifest", or a dialect name
    front_matter: dict[str, Any] = field(default_factory=dict)  # as written, un-normalised

    @property
    def priority_label(self) -> str:
        return f"P{self.priority}" if self.priority is not None else "-"

    def __getattr__(self, name: str) -> Any:
        """A task restored from the stored backlog (`taskplain.from_row`) holds its acceptance
        items and front matter packed (marshal bytes) until something reads one of them: a
        plan answer reads neither, and unpacking 10,000 tasks' costs ~60 ms. Only called for an
        attribute the instance lacks; a field assigned meanwhile is kept."""
        d = self.__dict__
        if name in _PACKED:
            packed = d.get("_packed")
            if packed is not None:
                import marshal

                items, front_matter = marshal.loads(packed)
                d.setdefault("acceptance", [AcceptanceItem(*item) for item in items])
                d.setdefault("front_matter", front_matter)
                d.pop("_packed", None)  # last: a thread reading meanwhile finds both
            if name in d:  # unpacked, here or by another thread since its lookup failed
                return d[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def remaining(self) -> bool:
        return self.status in REMAINING

    @property
    def done(self) -> bool:
        return self.status in DONE


_PACKED = frozenset({"acceptance", "front_matter"})  # what `Task.__getattr__` unpacks


@record
class Phase:
    """A phase of the manifest: its name, its task ids and its hours as written."""

    name: str
    tasks: list[str]
    hours: str | None = None


@record
class Milestone:
    """A milestone: the tasks it gathers and its definition of done."""

    id: str
    title: str = ""
    tasks: list[str] = field(default_factory=list)
    definition_of_done: list[str] = field(default_factory=list)
    description: str = ""
    path: Path | None = None


@record
class ManifestEntry:
    """One entry of the manifest's `tasks` list, with its 1-based line."""

    id: str
    data: dict[str, Any]
    line: int | None


@record
class Manifest:
    """The manifest file: its data, its task entries and the deferred ids."""

    path: Path
    data: dict[str, Any]
    entries: list[ManifestEntry]
    deferred: set[str] = field(default_factory=set)


@record
class Source:
    """Where a task was read from: its file (if any) and its manifest entry (if any)."""

    file: str | None = None  # display path
    locate: Any = None  # callable(key_path) -> (line, column) in the task file
    manifest_file: str | None = None
    manifest_line: Any = None  # callable(key or None) -> line of the entry / its key

    def where(self, key: tuple = ()) -> dict:
        """Problem location kwargs: the task file when there is one, else the manifest entry."""
        if self.file and self.locate:
            line, col = self.locate(key) if key else (1, None)
            if line is not None or not self.manifest_file:
                return {"file": self.file, "line": line or 1, "column": col}
        if self.manifest_file:
            return {"file": self.manifest_file,
                    "line": self.manifest_line(key[0] if key else None)}
        return {}


@record
class Backlog:
    """Everything loaded from one `.tasks` directory, plus every problem met on the way."""

    root: Path  # the .tasks directory
    tasks: dict[str, Task]
    manifest: Manifest | None
    phases: list[Phase] = field(default_factory=list)
    mvp: list[str] = field(default_factory=list)  # the manifest's MVP subset (task ids)
    milestones: dict[str, Milestone] = field(default_factory=dict)
    deferred: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    # id -> where the task came from, to place problems found later (graph checks)
    sources: dict[str, Source] = field(default_factory=dict)
    dialect: str = "tasks"  # the reader that loaded it (taskctl/core/load/readers/)
    # every file a reader used, as text (hashing 10,000 Paths into a set costs ≈ 20 ms)
    files_read: set[str] = field(default_factory=set)
    unread: list[tuple[Path, str]] = field(default_factory=list)  # task-like, not read: why
    # the tasks whose id is written as a number, when the loader knows them without reading
    # every task's front matter (a restored backlog: `core/load/snapshot.py`); None: look
    int_ids: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def repo_root(self) -> Path:
        return self.root.parent

    def rel(self, path: Path) -> str:
        """A path as shown to users: relative to the repo root (the tasks dir's parent)."""
        try:
            return str(path.relative_to(self.repo_root))
        except ValueError:
            return str(path)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity.value == "error"]

"""A normalised `Task` as plain data that `marshal` holds, and back (for the per-file cache).

Normalising a task file's front matter (`specs.from_mapping`) costs ~0.1 ms per file; rebuilding
the same `Task` from a tuple of its field values costs a few microseconds. Only the fields that
`from_mapping` sets are kept: the body, path and format are filled by the loader as before.
The status keeps its type (`TaskStatus` or the plain string the normaliser returned) so that the
rebuilt task is the same value of the same types, and every output stays byte-identical.
"""

from __future__ import annotations

import marshal
from operator import attrgetter

from taskctl.core.model import AcceptanceItem, Task
from taskctl.core.status import TaskStatus

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

# The fields `specs.from_mapping` sets, in order; `acceptance` and `status` are converted.
FIELDS = ("id", "title", "priority", "depends_on", "blocks", "tags", "phase", "milestone",
          "mvp", "estimated_hours", "estimated_tokens", "actual_hours", "actual_tokens",
          "created_at", "updated_at", "started_at", "completed_at", "description", "extra")
ITEM_FIELDS = ("index", "criterion", "run", "timeout", "cwd", "env", "inputs", "requires",
               "secret_env", "raw")


_VALUES = attrgetter(*FIELDS)  # C-level: ~1 µs a task, not ~6 µs as a generator of getattr
_ITEM_VALUES = attrgetter(*ITEM_FIELDS)


def to_plain(task: Task) -> tuple:
    """(status, status is a TaskStatus, field values, acceptance items as tuples)."""
    return (str(task.status), type(task.status) is TaskStatus, _VALUES(task),
            tuple(map(_ITEM_VALUES, task.acceptance)))


def status_of(plain: Any) -> Any:
    """The status of `to_plain`'s data as `from_plain` gives it, without building a `Task`
    (the loader merges a manifest entry into its task file's task from the plain data)."""
    return TaskStatus(plain[0]) if plain[1] else plain[0]


def from_plain(plain: Any, front_matter: dict) -> Task:
    """The `Task` that `to_plain` was given, with `front_matter` as its un-normalised data."""
    status, is_enum, values, items = plain
    t = _bare(status, is_enum, values)
    d = t.__dict__
    d["acceptance"] = [AcceptanceItem(*item) for item in items]
    d["front_matter"] = front_matter
    return t


def _bare(status: str, is_enum: bool, values: tuple) -> Task:
    """A `Task` with its field values, without acceptance items or front matter (no body).
    Task's __init__ with its default factories is the costly part: the fields are set
    directly."""
    t = Task.__new__(Task)
    d = t.__dict__
    d.update(zip(FIELDS, values, strict=True))
    d["status"] = TaskStatus(status) if is_enum else status
    d["criteria"], d["scenarios"], d["sections"] = [], [], {}
    d["path"], d["format"] = None, "front-matter"
    return t


def to_row(task: Task) -> tuple[tuple, bytes]:
    """The stored backlog's form of a task (`snapshot.py`): (status, status is a TaskStatus,
    field values, id written as an integer) and, packed as marshal bytes, its acceptance items
    and front matter — a plan answer reads neither (`stored.plan_view` reads the first part)."""
    return head_of(task), marshal.dumps((tuple(map(_ITEM_VALUES, task.acceptance)),
                                         task.front_matter))


def head_of(task: Task) -> tuple:
    """The first part of `to_row`."""
    return (str(task.status), type(task.status) is TaskStatus, _VALUES(task),
            type(task.front_matter.get("id")) is int)


def from_row(head: Any, packed: bytes) -> Task:
    """The `Task` that `to_row` was given; its acceptance items and front matter are unpacked
    when first read (`Task.__getattr__`)."""
    status, is_enum, values, _int_id = head
    t = _bare(status, is_enum, values)
    t.__dict__["_packed"] = packed
    return t

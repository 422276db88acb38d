"""The stored backlog's files (`snapshot.py` writes and restores them) and what a plan answer's
early cutoff reads of them (`light.py`, `core/plan/replan.py`): their names, the header that
ties them to this taskctl and this tree, sealed reads and writes, and each task file's *plan
basis* — what a plan reads of the merged task (`plan_view`), its title, its problem counts.
Apart from `snapshot.py` so that a cutoff imports none of the loader's restore and merge
machinery it does not run.
"""

from __future__ import annotations

import marshal
import sys
from pathlib import Path

from taskctl import __version__
from taskctl.core.files import codestamp, sealed
from taskctl.core.load import filecache
from taskctl.core.load import taskplain as tp

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

HEAD, NAME, DELTA = "backlog-head.marshal", "backlog.marshal", "backlog-delta.marshal"
PLAN = "backlog-plan"  # what a plan answer's early cutoff reads (`core/load/light.py`), sharded
FORMAT = "taskctl-backlog/2"  # 2: tasks stored as `taskplain.to_row`


def header(root: Path) -> tuple:
    """What a stored file was written by and for: a file with another header is not read."""
    return (FORMAT, __version__, sys.version, filecache._yaml_stamp(), codestamp.stamp(),
            str(root))


def write(root: Path, name: str, value: Any) -> bool:
    """Store `value` sealed as `.cache/<name>` under this header; False when not stored."""
    try:
        payload = marshal.dumps((header(root), value))
    except ValueError:  # a value marshal cannot hold: nothing stored
        return False
    return sealed.write(root, name, payload)


def read(root: Path, name: str) -> Any:
    """The value stored as `.cache/<name>`, or None (missing, forged, another header)."""
    payload = sealed.read(root, name, filecache.MAX_BYTES)
    if payload is None:
        return None
    try:
        stamp, value = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return value if stamp == header(root) else None


def plan_shard(i: int) -> str:
    """The name of shard `i` of the task files' plan basis (`filecache.shard_of` of a file's
    path): a cutoff reads the shards of the files it parses again, not ~4 MB on 10,000."""
    return f"{PLAN}-{i:02d}.marshal"


_FIELD_AT = {f: i for i, f in enumerate(tp.FIELDS)}
# the merged task's fields a plan answer (`next`, `ready`, `critical-path`: ranking, CPM,
# estimates; `status`: progress by phase and milestone) or the cross-file checks read,
# besides its id and title
_PLANNED_AT = tuple(_FIELD_AT[f] for f in (
    "priority", "depends_on", "blocks", "milestone", "phase", "estimated_hours",
    "estimated_tokens"))


def plan_view(head: Any) -> tuple:
    """What a plan answer reads of one merged task (the head of `taskplain.to_row`), its title
    aside: equal views give equal plans (`core/plan/replan.py`). The id written as an integer
    is part of it (the reader reports those ids)."""
    values = head[2]
    return (head[0], head[1], *(values[i] for i in _PLANNED_AT), head[3])


def counts(problems: list) -> tuple[int, int]:
    """(errors, problems) of stored problem rows (`snapshot._problem`)."""
    return sum(p[6] == "error" for p in problems), len(problems)


def file_basis(row: tuple, slots: dict, s: str, i: int) -> tuple | None:
    """One task file's plan basis from its stored task row and problem slots: (plan view,
    title, errors, problems) of the file's slot and its merge's; None when a slot is not
    known (a delta that did not record it)."""
    fs, ms = slots.get(("file", s)), slots.get(("entry-file", i))
    if fs is None or ms is None:
        return None
    (fe, fn), (me, mn) = counts(fs), counts(ms)
    return (plan_view(row[1]), row[1][2][_FIELD_AT["title"]], fe + me, fn + mn)


def plan_basis(state: dict) -> list[dict]:
    """What a plan answer's early cutoff needs of each task file merged with its entry alone
    (`files`): (id, entry index, entry data, `file_basis`), in `filecache.SHARDS` shards."""
    rows = {r[0]: r for r in state["tasks"]}
    slots = {tuple(slot): ps for slot, ps in state["slots"]
             if slot[0] in ("file", "entry-file")}
    shards: list[dict] = [{"id": state["id"], "files": {}} for _ in range(filecache.SHARDS)]
    for s, (tid, i, blob) in state["files"].items():
        row = rows.get(tid)
        if row is not None and row[3] == s:
            shards[filecache.shard_of(s)]["files"][s] = (tid, i, blob,
                                                        file_basis(row, slots, s, i))
    return shards

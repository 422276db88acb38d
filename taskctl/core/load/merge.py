"""How a task file and its manifest entry are merged (the loader's, and a stored backlog's
patch, `snapshot.py`): **the task file wins** for every field it sets, the entry fills the
fields the file leaves empty, and a field both set differently is drift (W110); ids that
disagree between the entry, the file and its name are reported (docs/format.md)."""

from __future__ import annotations

from collections.abc import Callable

from taskctl.core.load import specs
from taskctl.core.load import taskplain as tp
from taskctl.core.load.parsefile import parse_file
from taskctl.core.load.taskpaths import filename_matches
from taskctl.core.model import Task

DRIFT_FIELDS = ("status", "title", "priority", "depends_on", "estimated_hours", "estimated_tokens")
_FILLED = ("phase", "milestone", "actual_hours", "actual_tokens", "created_at", "started_at",
           "completed_at")  # from the manifest entry when the task file leaves them empty


def entry_findings(add: Callable[..., None], eid: str, findings, mpath: str, mline) -> None:
    """An entry's own findings (aliases, unknown values), located in the manifest."""
    for rule, key, msg in findings:
        add(rule, f"{eid}: {msg} (manifest)", file=mpath, line=mline(key[0] if key else None),
            task=eid)


def file_with_entry(add: Callable[..., None], rel: Callable, root, path, tid: str,
                    entry_data: dict, mpath: str, mline) -> tuple | None:
    """The task file at `path` read again and merged with its manifest entry (`entry_data`,
    the entry's mapping) as a load does: (task, raw file, the file's own problems), the
    merge's findings sent to `add`; None when the file is no task of id `tid` now (a full
    load decides then). A stored backlog's patch (`snapshot.py`) and the plan cutoff's
    comparison (`plan/replan.py`) both use it."""
    _p, task, raw, problems = parse_file(path, root, False)
    if task is None or task.id != tid:
        return None
    eid = entry_data["id"]
    etask, _findings = specs.from_mapping(entry_data, "entry", eid)
    check_ids(add, rel, eid, task, raw, path, mpath, mline)
    merge(add, task, tp.to_plain(etask), entry_data, raw, mpath, mline)
    return task, raw, problems


def check_ids(add: Callable[..., None], rel: Callable, entry_id, ftask, raw, path, mpath,
              mline) -> None:
    name_ok = filename_matches(path, ftask.id)
    if ftask.id != entry_id or not name_ok:
        parts = [f"file says id {ftask.id}", f"file name {path.name}",
                 f"manifest entry says {entry_id} ({mpath}:{mline('id')})"]
        add("id-mismatch", "id disagreement: " + ", ".join(parts),
            file=rel(path), line=raw.locate(("id",))[0], task=ftask.id)


def merge(add: Callable[..., None], ftask: Task, entry: tuple, entry_data: dict, raw,
          mpath: str, mline) -> None:
    """Fill `ftask` from its manifest entry's normalised task (`entry`: `taskplain.to_plain`'s
    tuple; the task file wins) and report drift to `add`. Reads and writes the task's
    `__dict__`, and the entry's field values by position: this runs for every task on every
    load (a dict of the entry's fields per task: ≈ 3 µs of a 10,000-task load's each)."""
    task = ftask.__dict__
    values = entry[2]
    file_has, entry_has = _set_keys(raw.data), _set_keys(entry_data)
    for field, at in _DRIFT:
        if field not in entry_has:
            continue
        ev = values[at] if at is not None else tp.status_of(entry)
        if field not in file_has:
            task[field] = ev
            continue
        fv = task[field]
        if field == "depends_on":
            fv, ev = sorted(fv), sorted(ev)
        if fv != ev and ev not in (None, "", []):
            add("manifest-drift", f"{ftask.id} {field}: file says {_show(field, fv)}, "
                f"manifest says {_show(field, ev)} (file wins)", file=mpath,
                line=mline(field), task=ftask.id)
    if "blocks" not in file_has:
        task["blocks"] = values[_BLOCKS]
    for field, at in _FILLED_AT:
        if task[field] in (None, "") and (ev := values[at]) not in (None, ""):
            task[field] = ev
    if not task["tags"]:
        task["tags"] = values[_TAGS]


_AT = {f: i for i, f in enumerate(tp.FIELDS)}  # a field's position in `to_plain`'s values
# status (None: `taskplain.status_of`) is kept apart; any other field must have a position
_DRIFT = tuple((f, None if f == "status" else _AT[f]) for f in DRIFT_FIELDS)
_FILLED_AT = tuple((f, _AT[f]) for f in _FILLED)
_BLOCKS, _TAGS = _AT["blocks"], _AT["tags"]
_ALIASES = frozenset(specs.n.KEY_ALIASES)
_DEPENDENCY_KEYS = frozenset(specs.n.DEPENDENCY_KEYS) - {"depends_on"}  # the other names


def _set_keys(d: dict) -> set[str] | dict:
    """The fields a task file or manifest entry sets, by canonical name (aliases such as
    `est_tokens` renamed; any dependency key counts as `depends_on`). Set operations rather
    than a renamed copy of the mapping: this runs for every task on every load."""
    keys = d.keys()
    if keys.isdisjoint(_ALIASES) and keys.isdisjoint(_DEPENDENCY_KEYS):
        return keys  # canonical names only (`depends_on` included): the common case
    out = set(keys)
    out.update(specs.n.KEY_ALIASES[k] for k in keys & _ALIASES)
    if not keys.isdisjoint(_DEPENDENCY_KEYS):
        out.add("depends_on")
    return out


def _show(field: str, v) -> str:
    if field == "priority":
        return f"P{v}" if v is not None else "none"
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    return repr(v)



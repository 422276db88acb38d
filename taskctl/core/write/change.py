"""One lifecycle change as a unit: a write-ahead intent, then the files, then the manifest.

Every lifecycle command (new, set, dep, start/claim/.../reopen, log, archive) builds a `Change`
and applies it under the tree lock:

1. the intent `.locks/intent.json` (everything below, written atomically);
2. `writes`, in order. The FIRST write is the commit point (usually the task file);
3. `removes` (a released claim, an archived file's old path);
4. the manifest entries are patched and the derived data regenerated (under the manifest lock);
5. the intent is removed.

A process killed anywhere leaves every file whole (atomic writes). The next lifecycle command
finds the intent (`recover`): if the commit point holds the intended bytes the change is rolled
forward (the remaining writes, removes and manifest patch are idempotent), else nothing of it
had been written and it is dropped. So a task is created, claimed or edited completely or not at
all, and manifest and task files agree again after the next command.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.core.files import atomic, locks
from taskctl.core.model import Backlog
from taskctl.core.write import sync

INTENT = "intent.json"


@dataclass
class Change:
    """What one command writes. Paths are relative to the tasks directory."""

    op: str
    task: str
    writes: list[tuple[str, str]] = field(default_factory=list)  # (path, text); [0] commits
    removes: list[str] = field(default_factory=list)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {key: value|None}
    order: list[str] = field(default_factory=list)  # ids to append as new entries, in order
    phases: dict[str, str | None] = field(default_factory=dict)  # id -> its manifest phase

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _inside(root: Path, rel: str) -> Path:
    p = Path(os.path.normpath(root / rel))
    if p != root and root not in p.parents:
        raise ValueError(f"path {rel!r} leaves the tasks directory")
    return p


def apply(root: Path, ch: Change) -> None:
    """Write `ch` (call under `locks.tree_lock`)."""
    first = ch.writes[0] if ch.writes else None
    intent = {**ch.to_dict(), "commit": [first[0], _sha(first[1])] if first else None}
    atomic.write_json(locks.lock_dir(root) / INTENT, intent, indent=None)
    _finish(root, ch)


def _finish(root: Path, ch: Change) -> None:
    for rel, text in ch.writes:
        path = _inside(root, rel)
        try:
            if path.read_text("utf-8") == text:
                continue  # rolled forward: already there
        except (OSError, UnicodeDecodeError):
            pass
        atomic.write_text(path, text)
    for rel in ch.removes:
        try:
            _inside(root, rel).unlink()
        except FileNotFoundError:
            pass
    if ch.entries or ch.phases:
        patch_manifest(root, ch.entries, ch.order, ch.phases)
    try:
        (root / locks.LOCK_DIR / INTENT).unlink()
    except FileNotFoundError:
        pass


def recover(root: Path) -> str | None:
    """Finish or drop a change a killed process left behind. Returns what was done, if any.
    Call under `locks.tree_lock`."""
    path = root / locks.LOCK_DIR / INTENT
    try:
        d = json.loads(path.read_text("utf-8"))
        ch = Change(d["op"], d["task"], [tuple(w) for w in d["writes"]], list(d["removes"]),
                    dict(d["entries"]), list(d.get("order") or []), dict(d.get("phases") or {}))
        commit = d.get("commit")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)  # an intent is written atomically: unreadable = foreign
        return "dropped an unreadable intent"
    if commit:
        try:
            done = _sha(_inside(root, commit[0]).read_text("utf-8")) == commit[1]
        except (OSError, UnicodeDecodeError, ValueError):
            done = False
        if not done:
            path.unlink(missing_ok=True)
            return f"dropped an unfinished {ch.op} of {ch.task} (nothing of it was written)"
    _finish(root, ch)
    return f"finished an interrupted {ch.op} of {ch.task}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def patch_manifest(root: Path, patches: dict[str, dict[str, Any]], order: list[str],
                   phases: dict[str, str | None] | None = None) -> bool:
    """Apply entry patches (a value of None removes the key), move tasks between the
    manifest's `phases` lists, and regenerate the derived data from the patched entries.
    No manifest (or an unreadable one): nothing to do, False."""
    path = root / "manifest.json"
    if not path.exists():
        return False
    with locks.manifest_lock(root):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False  # `taskctl validate` reports it; the task files stay the truth
        if not isinstance(data, dict) or not isinstance(data.get("tasks", []), list):
            return False
        entries = data.setdefault("tasks", [])
        where = {e.get("id"): e for e in entries if isinstance(e, dict)}
        for tid in order:
            if tid not in where:
                where[tid] = {"id": tid}
                entries.append(where[tid])
        for tid, patch in patches.items():
            e = where.get(tid)
            if e is None:
                continue
            for k, v in patch.items():
                if v is None:
                    e.pop(k, None)
                else:
                    e[k] = v
            _canonical_order(e)
        for tid, name in (phases or {}).items():
            _move_phase(data, tid, name)
        data.update(derived_from_entries(root, data))
        atomic.write_json(path, data)
    return True


def _move_phase(data: dict, tid: str, name: str | None) -> None:
    """Keep the manifest's `phases` list (the form `[{name, tasks}]`) in step with a task's
    phase: out of the others, into its own (created when missing). `mvp.phases` is a chosen
    subset and is left alone."""
    ph = data.get("phases")
    if not isinstance(ph, list) or not ph:
        return
    home = None
    for p in ph:
        if not isinstance(p, dict) or not isinstance(p.get("tasks"), list):
            continue
        if p.get("name") == name:
            home = p
        elif tid in p["tasks"]:
            p["tasks"].remove(tid)
    if name is None:
        return
    if home is None:
        home = {"name": name, "tasks": []}
        ph.append(home)
    if tid not in home["tasks"]:
        home["tasks"].append(tid)


def _canonical_order(e: dict) -> None:
    keys = ["id", *(k for k in sync.ENTRY_FIELDS if k in e)]
    rest = [k for k in e if k not in keys]
    items = [(k, e[k]) for k in keys + rest]
    e.clear()
    e.update(items)


def derived_from_entries(root: Path, data: dict) -> dict:
    """`sync.derived` computed from the manifest entries (kept equal to the task files by
    every taskctl write), so a one-task change need not load every task file."""
    from taskctl.core.load import manifest as mf
    from taskctl.core.load import specs

    tasks = {}
    for e in data.get("tasks", []):
        if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"] not in tasks:
            tasks[e["id"]] = specs.from_mapping(e, "entry", e["id"])[0]
    bl = Backlog(root=root, tasks=tasks, manifest=None, deferred=mf.deferred_ids(data))
    return sync.derived(bl)

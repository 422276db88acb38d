"""Read `manifest.json`: entries, deferred ids, phases and milestones, with line numbers."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from taskctl.core.files import jsonread
from taskctl.core.load import safeyaml
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.model import Manifest, ManifestEntry, Milestone, Phase

_NEWLINE = re.compile("\n")
_TASKS_KEY = re.compile(r'"tasks"\s*:\s*\[')


@dataclass
class LineIndex:
    """Maps task-entry indexes and keys to lines, computed only when a problem needs one."""

    text: str
    _spans: list[tuple[int, int]] = field(default_factory=list)

    @cached_property
    def spans(self) -> list[tuple[int, int]]:
        # the top-level "tasks" array is the one whose elements are objects with ids
        # (phases and milestones also have "tasks" keys, holding id lists)
        for m in _TASKS_KEY.finditer(self.text):
            spans = self._spans_from(m.end())
            if spans and self.text[spans[0][0]] == "{":
                return spans
        return []

    def _spans_from(self, pos: int) -> list[tuple[int, int]]:
        dec, out = json.JSONDecoder(), []
        t = self.text
        while True:
            while pos < len(t) and t[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(t) or t[pos] == "]":
                return out
            try:
                _, end = dec.raw_decode(t, pos)
            except ValueError:
                return out
            out.append((pos, end))
            pos = end

    @cached_property
    def _newlines(self) -> list[int]:
        # scanned in C (a 3 MB manifest: ~25 ms; a Python loop over its characters: ~120 ms)
        return [m.start() for m in _NEWLINE.finditer(self.text)]

    def line_of_pos(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    def entry(self, index: int, key: str | None = None) -> int | None:
        if index >= len(self.spans):
            return None
        start, end = self.spans[index]
        if key is not None:
            k = self.text.find(f'"{key}"', start, end)
            if k >= 0:
                return self.line_of_pos(k)
        return self.line_of_pos(start)

    def key(self, key: str) -> int | None:
        k = self.text.find(f'"{key}"')
        return self.line_of_pos(k) if k >= 0 else None


def read(path: Path, root: Path) -> tuple[Manifest, LineIndex]:
    text = safeyaml.read_text(path, root, limit=safeyaml.MAX_MANIFEST_BYTES)
    try:
        data = jsonread.loads(text)
    except jsonread.JsonLimit as e:
        raise FileIssue("json-syntax", e.message, e.line, e.column) from None
    if not isinstance(data, dict):
        raise FileIssue("manifest-schema", "manifest must be a JSON object", 1, 1)
    index = LineIndex(text)
    entries = []
    tasks = data.get("tasks")
    if isinstance(tasks, list):
        for e in tasks:
            if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]:
                entries.append(ManifestEntry(e["id"], e, None))
            else:
                entries.append(ManifestEntry("", e if isinstance(e, dict) else {}, None))
    return Manifest(path, data, entries, deferred_ids(data)), index


def deferred_ids(data: dict[str, Any]) -> set[str]:
    d = data.get("deferred_tasks")
    out: set[str] = set()
    if isinstance(d, dict):
        out.update(_ids(d.get("tasks")))
        cats = d.get("categories")
        if isinstance(cats, dict):
            for cat in cats.values():
                if isinstance(cat, dict):
                    out.update(_ids(cat.get("tasks")))
    elif isinstance(d, list):
        out.update(_ids(d))
    return out


def _ids(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _mvp_phases(data: dict[str, Any]) -> list:
    mvp = data.get("mvp")
    return mvp["phases"] if isinstance(mvp, dict) and isinstance(mvp.get("phases"), list) else []


def mvp_tasks(data: dict[str, Any]) -> list[str]:
    """The MVP subset (`mvp.phases[].tasks`): a selection across phases, not phases of its own."""
    return list(dict.fromkeys(i for p in _mvp_phases(data) if isinstance(p, dict)
                              for i in _ids(p.get("tasks"))))


def phases(data: dict[str, Any]) -> list[Phase]:
    """The manifest's phases. `mvp.phases` group the MVP subset (the same tasks again, under
    other names): they are phases only in a manifest that has no top-level `phases`."""
    out: list[Phase] = []
    ph = data.get("phases")
    if isinstance(ph, list):
        src = ph
    elif isinstance(ph, dict):
        src = [{"name": k, **(v if isinstance(v, dict) else {"tasks": v})} for k, v in ph.items()]
    else:
        src = _mvp_phases(data)
    if src:
        for p in src:
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                hours = p.get("hours")
                out.append(Phase(p["name"], _ids(p.get("tasks")),
                                 str(hours) if hours is not None else None))
    return out


def milestones(data: dict[str, Any]) -> list[Milestone]:
    ms = data.get("milestones")
    items: list[tuple[str | None, Any]] = []
    if isinstance(ms, list):
        items = [(None, m) for m in ms]
    elif isinstance(ms, dict):
        items = list(ms.items())
    out = []
    for key, m in items:
        if not isinstance(m, dict):
            continue
        mid = m.get("id") or key
        if not isinstance(mid, str):
            continue
        dod = m.get("definition_of_done")
        out.append(Milestone(mid, str(m.get("title") or ""), _ids(m.get("tasks")),
                             [str(x) for x in dod] if isinstance(dod, list) else [],
                             str(m.get("description") or "")))
    return out

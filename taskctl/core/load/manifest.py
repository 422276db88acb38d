"""Read `manifest.json`: entries, deferred ids, phases and milestones, with line numbers."""

from __future__ import annotations

import bisect
import json
import re
from functools import cached_property
from pathlib import Path

from taskctl.core.files import jsonread
from taskctl.core.load import safeyaml
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.model import Manifest, ManifestEntry, Milestone, Phase
from taskctl.core.records import record

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

_NEWLINE = re.compile("\n")
_TASKS_KEY = re.compile(r'"tasks"\s*:\s*\[')
_DECODER = json.JSONDecoder()
JUMP_AFTER = 64  # entries past the last decoded from which `LineIndex._jump` is tried


@record
class LineIndex:
    """Maps task-entry indexes and keys to lines, computed only when a problem needs one:
    entries are decoded one by one only up to the last one asked for (a drift warning on
    entry 100 of 10,000 decodes 101), and lines are counted from the last one asked."""

    text: str
    _counted: int = 0  # characters scanned to count lines (see line_of_pos)
    _cursor: tuple[int, int] = (0, 1)  # the last position asked and its line

    @cached_property
    def _array(self) -> tuple[int | None, list[tuple[int, int]]] | None:
        """(where the next entry starts, the spans decoded so far) of the top-level "tasks"
        array: the one whose first element is an object (phases and milestones also have
        "tasks" keys, holding id lists)."""
        for m in _TASKS_KEY.finditer(self.text):
            pos, first = self._next_span(m.end())
            if first is not None and self.text[first[0]] == "{":
                return first[1], [first]
        return None

    def _next_span(self, pos: int) -> tuple[int, tuple[int, int] | None]:
        t = self.text
        while pos < len(t) and t[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(t) or t[pos] == "]":
            return pos, None
        try:
            _, end = _DECODER.raw_decode(t, pos)
        except ValueError:
            return pos, None
        return end, (pos, end)

    def span(self, index: int, expect: Any = None) -> tuple[int, int] | None:
        """(start, end) of entry `index` in the text, or None. With `expect` (the entry's
        decoded data, known to the caller) an entry far past those decoded is looked up
        by `_jump` first."""
        if self._array is None:
            return None
        pos, spans = self._array
        if expect is not None and index >= len(spans) + JUMP_AFTER:
            found = self._jump(index, expect)
            if found is not None:
                return found
        while len(spans) <= index and pos is not None:
            pos, found = self._next_span(pos)
            if found is None:
                pos = None
            else:
                spans.append(found)
        self._array = (pos, spans)
        return spans[index] if index < len(spans) else None

    @cached_property
    def _starts(self) -> list[int]:
        """Where the lines that open an object at the first entry's indentation open it: a
        guess at every entry's start for a manifest written one entry per block of lines
        (`json.dumps(indent=...)`, as taskctl and the tools seen write it), found by
        `str.find` (a 3 MB manifest: ≈ 2 ms; decoding its entries one by one: ≈ 65 ms)."""
        t, first = self.text, self._array[1][0][0]
        nl = t.rfind("\n", 0, first)
        indent = t[nl + 1:first]
        if nl < 0 or indent.strip():
            return []
        opener = "\n" + indent + "{"
        out, at = [first], t.find(opener, first)
        while at >= 0:
            out.append(at + len(opener) - 1)
            at = t.find(opener, at + len(opener))
        return out

    def _jump(self, index: int, expect: Any) -> tuple[int, int] | None:
        """Entry `index`'s span from the guessed starts, taken only when the object there
        decodes to the entry's data (`expect`); None sends the caller to the exact scan.
        The guess shifts when an entry shares a line with another or an object inside an
        entry opens a line at the entries' indentation; it is then wrong only if the
        object it lands on equals the entry asked for — the same entry twice in the
        manifest (a duplicate id, an error reported anyway) or an object in some entry
        equal to the whole of it."""
        jumped = self._jumped  # a patched entry's lines are asked key by key (id, status, ...)
        if index in jumped:
            got, end = jumped[index]
        else:
            starts = self._starts
            if index >= len(starts):
                return None
            try:
                got, end = _DECODER.raw_decode(self.text, starts[index])
            except ValueError:
                return None
            jumped[index] = got, end
        return (self._starts[index], end) if got == expect else None

    @cached_property
    def _jumped(self) -> dict[int, tuple[Any, int]]:
        """Entry index -> (the object decoded at its guessed start, where it ends)."""
        return {}

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Every entry's (start, end)."""
        while self._array is not None and self._array[0] is not None:
            self.span(len(self._array[1]))
        return self._array[1] if self._array is not None else []

    @cached_property
    def _newlines(self) -> list[int]:
        # scanned in C (a 3 MB manifest: ~35 ms; a Python loop over its characters: ~120 ms)
        return [m.start() for m in _NEWLINE.finditer(self.text)]

    def line_of_pos(self, pos: int) -> int:
        """The 1-based line of text position `pos`. Counted from the last position asked (the
        loader asks in entry order: all of a 3 MB manifest's lines ≈ 3 ms of counting); the
        index of every newline is built (≈ 35 ms) only once the counting has scanned more
        than the text's length twice over (positions asked out of order)."""
        if "_newlines" in self.__dict__ or self._counted > 2 * len(self.text):
            return bisect.bisect_left(self._newlines, pos) + 1
        at, line = self._cursor
        if pos >= at:
            line += self.text.count("\n", at, pos)
        else:
            line -= self.text.count("\n", pos, at)
        self._counted += abs(pos - at)
        self._cursor = (pos, line)
        return line

    def entry(self, index: int, key: str | None = None, expect: Any = None) -> int | None:
        span = self.span(index, expect)
        if span is None:
            return None
        start, end = span
        if key is not None:
            k = self.text.find(f'"{key}"', start, end)
            if k >= 0:
                return self.line_of_pos(k)
        return self.line_of_pos(start)

    def key(self, key: str) -> int | None:
        k = self.text.find(f'"{key}"')
        return self.line_of_pos(k) if k >= 0 else None


def read(path: Path, root: Path) -> tuple[Manifest, LineIndex]:
    return parse(path, read_bytes(path, root))


def read_bytes(path: Path, root: Path) -> bytes:
    """The manifest's bytes, read as a task file is (inside `root`, a regular file, within
    `MAX_MANIFEST_BYTES`)."""
    return safeyaml.read_bytes(path, root, limit=safeyaml.MAX_MANIFEST_BYTES)


def parse(path: Path, data: bytes) -> tuple[Manifest, LineIndex]:
    """The manifest at `path` from its bytes `data`. Raises FileIssue."""
    text = safeyaml.decode(data)
    try:
        doc = jsonread.loads(text)
    except jsonread.JsonLimit as e:
        raise FileIssue("json-syntax", e.message, e.line, e.column) from None
    if not isinstance(doc, dict):
        raise FileIssue("manifest-schema", "manifest must be a JSON object", 1, 1)
    return Manifest(path, doc, entries_of(doc), deferred_ids(doc)), LineIndex(text)


def entries_of(data: dict[str, Any]) -> list[ManifestEntry]:
    """The task entries of a manifest's data (an entry without an id keeps its place)."""
    entries = []
    tasks = data.get("tasks")
    if isinstance(tasks, list):
        for e in tasks:
            if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]:
                entries.append(ManifestEntry(e["id"], e, None))
            else:
                entries.append(ManifestEntry("", e if isinstance(e, dict) else {}, None))
    return entries


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

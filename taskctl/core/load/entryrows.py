"""The manifest's entries, checked and normalised once per distinct content.

A manifest is rewritten by every `claim` or `set`, usually with one entry changed. Each entry's
schema findings (against the manifest schema's `$defs/entry`) and its normalisation are kept
as one row of the per-file cache's content-keyed table (`filecache.recall`): valid while the
entry's `marshal` bytes are equal (Python's `==` would take `1`, `1.0` and `true` for the same
value, which the schema and the normaliser do not; key order shows in the output too), so a
rewritten 10,000-entry manifest re-does one entry, not all of them (~0.5 s). Reordered
entries keep their rows; their findings are renumbered to where they sit now. The rest of the
document is small and checked every time.
"""

from __future__ import annotations

import marshal

from taskctl.core.load import schema, specs
from taskctl.core.model import Manifest

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

TABLE = "manifest#entries"


def check(cache, m: Manifest) -> tuple[list, dict[int, tuple | None]]:
    """(schema findings of the whole manifest, sorted by path; entry index -> the normalised
    entry as plain data, or None where it has no id)."""
    tasks = m.data.get("tasks")
    if not isinstance(tasks, list):
        return schema.errors("manifest", m.data), {}
    idents, rows, misses = set(), [], 0
    keyed = cache.enabled  # without the cache (TASKCTL_NO_CACHE) no row is kept or looked up
    for i, e in enumerate(tasks):
        ident = _ident(e, i)
        if ident in idents:  # a duplicate id (reported by the loader): its own row
            ident = f"#{i}"
        idents.add(ident)
        # typed: `1`, `1.0` and `true` are equal as Python values, not as marshal bytes
        blob = marshal.dumps(e) if keyed else b""
        rows.append((ident, e, blob, row := cache.recall(TABLE, ident, blob) if keyed else None))
        misses += row is None
    # More than one entry to check (a first load, or many changed): the document is checked
    # once without its entries, then each entry — one written the usual way is told valid by
    # its types (`schema.usual_entry`), any other by the compiled check; nearly every manifest
    # passes, and then no entry needs the explaining (slow) check.
    valid = misses > 1 and schema.valid("manifest", {**m.data, "tasks": []}) and all(
        schema.valid("manifest-entry", e) for e in tasks)
    found = [] if valid else schema.errors("manifest", {**m.data, "tasks": []})
    normalised: dict[int, tuple | None] = {}
    for i, (ident, e, blob, row) in enumerate(rows):
        if row is None:
            norm = None
            if not ident.startswith("#"):  # an entry with an id: normalised (plain data)
                norm = specs.entry_plain(e, ident)
            row = ([] if valid else schema.errors("manifest-entry", e, ("tasks", i)), norm)
            cache.remember(TABLE, ident, blob, row)
        errs, normalised[i] = row
        if errs and errs[0][0][1] != i:  # cached where it sat then: renumber
            errs = [_moved(k, msg, i) for k, msg in errs]
        found += errs
    return sorted(found, key=lambda e: [str(p) for p in e[0]]), normalised


def located(cache, m: Manifest, index) -> tuple[list[tuple[str, int | None]], dict]:
    """`check`'s findings as (message, line in the manifest) — what a load reports as
    `manifest-schema` problems — and the normalised entries. `index`: the manifest's
    `LineIndex`. Used by a full load and by a stored backlog patched for a rewritten manifest
    (`snapshot.py`), so both say the same."""
    found, normalised = check(cache, m)
    return lines(found, index), normalised


def lines(found: list, index) -> list[tuple[str, int | None]]:
    """Schema findings (path, message) as (message, line in the manifest)."""
    out = []
    for key, msg in found:
        key = tuple(key)
        line = index.entry(key[1], key[2] if len(key) > 2 and isinstance(key[2], str)
                           else None) if key[:1] == ("tasks",) and len(key) > 1 else (
            index.key(key[0]) if key else 1)
        out.append((msg, line))
    return out


def recheck(m: Manifest, changed: list[int]) -> list:
    """`check`'s findings for a manifest whose other entries had none and are unchanged:
    the document without its entries, and the `changed` entries (sorted as `check` sorts)."""
    tasks = m.data.get("tasks")
    if not isinstance(tasks, list):
        return schema.errors("manifest", m.data)
    found = schema.errors("manifest", {**m.data, "tasks": []})
    for i in changed:
        found += schema.errors("manifest-entry", tasks[i], ("tasks", i))
    return sorted(found, key=lambda e: [str(p) for p in e[0]])


def recheck_entries(changed: dict[int, Any]) -> list:
    """`check`'s findings for a manifest whose document and other entries had none and are
    unchanged but for derived parts written valid (a journal record's word, `journal.py`):
    the `changed` entries' (index -> entry), sorted as `check` sorts."""
    found = []
    for i, e in changed.items():
        found += schema.errors("manifest-entry", e, ("tasks", i))
    return sorted(found, key=lambda e: [str(p) for p in e[0]])


def _ident(entry: Any, i: int) -> str:
    """An entry's row name: its id, else its position."""
    tid = entry.get("id") if isinstance(entry, dict) else None
    return tid if isinstance(tid, str) and tid else f"#{i}"


def _moved(key: tuple, msg: str, i: int) -> tuple[tuple, str]:
    """A cached finding, renumbered to the entry's position now (messages start with the
    dotted path, see schema._message)."""
    new = ("tasks", i, *key[2:])
    old_where, new_where = ".".join(map(str, key)), ".".join(map(str, new))
    return new, new_where + msg[len(old_where):] if msg.startswith(old_where) else msg

"""What taskctl's own writes changed in the manifest, so that a read need not find it out.

Every `claim`, `set`, completion and reopen rewrites `manifest.json` under the manifest lock:
one entry (or a few) changed, and the derived parts (`DERIVED`) computed again. A stored
backlog (`snapshot.py`) built from the manifest before that write would parse the whole new
manifest (4.3 MB at 10,000 tasks once it has derived parts: ≈ 55 ms) and compare its entries
with the stored ones (≈ 25 ms) to find the one that changed. The writer knows which one. After
it writes, it appends a record to `.cache/manifest.journal` (sealed like every cache file):

    (digest of the bytes it read, digest of the bytes it wrote, the number of entries,
     the changed entries as (index, JSON text), what is known of the derived parts: `FROM_ENTRIES`
     — they are what taskctl computes from the entries —, `KEPT` — they are the first bytes'
     byte for byte)

A record is a fact about two contents, not about files or times: the bytes with the first
digest and the bytes with the second hold the same number of entries, equal but for the ones
given, and the same document but for the derived parts, whoever wrote them and whenever. A
reader whose stored backlog was built from the bytes with digest A, and who now reads bytes
with digest B, follows the records from A to B (`changes`); with no such chain (another
program wrote the manifest, or `sync`, or the journal is gone) it parses as before. A digest
is BLAKE2b of 32 bytes (CPython's built-in `_blake2`: ≈ 7 ms for 4.3 MB, no OpenSSL import),
taken only when a record could apply. The records are valid for one taskctl and one tree
(`stored.header`) and are never written for bytes a load would refuse (`vouches`).

The derived parts do not reach a load except through the document's schema check, where they
need only be objects (`sync.derived` writes objects); a reader takes the journal's word only
when the manifest it stored had no schema finding (`snapshot.Restored.rewritten`).
"""

from __future__ import annotations

import json

from taskctl.core.files import jsonread
from taskctl.core.load import stored

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

NAME = "manifest.journal"
KEEP = 32  # records kept: a read more than this many writes behind parses the manifest
MAX_ENTRIES = 256  # entries one record may name; a write that changed more records nothing
DERIVED = frozenset({"dependency_graph", "stats", "critical_path"})  # `sync.derived`'s keys
FROM_ENTRIES, KEPT = 1, 2  # a record's word on the derived parts (flags)


def digest(data: bytes) -> bytes:
    """The digest that names a manifest's content (BLAKE2b, 32 bytes)."""
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - a CPython built without its own hashes
        from hashlib import blake2b
    return blake2b(data, digest_size=32).digest()


def vouches(after: bytes) -> bool:
    """May a record name the bytes `after` — can a load read them as they were written? Not
    with a non-finite number in them (`jsonwrite` writes `NaN`, `Infinity`; the loader
    refuses them: the manifest must be parsed to say so). Conservative: the words inside a
    string count too."""
    return b"Infinity" not in after and b"NaN" not in after


def record(root: Path, old: bytes, new: bytes, count: int, changed: dict[int, Any],
           from_entries: bool = False, kept: bool = False) -> None:
    """Note that the manifest went from the bytes with digest `old` to those with digest
    `new` (both `count` entries) changing only the entries `changed` (index -> new entry)
    and the derived parts; `from_entries`: those parts are what `derived_from_entries`
    computes from the new entries (`entries_derived`); `kept`: they are the old bytes' (a
    read that found another program's edit of one entry: `manifestdiff.py`). Called by the
    writer under the manifest lock, after its write (which `vouches` for), or by that read;
    nothing when the cache cannot be written or the write changed more than `MAX_ENTRIES`
    entries (the next read parses the manifest). Two processes recording at once may lose
    one record: a fact not told, which costs the next read a parse, never a wrong answer."""
    if old == new or len(changed) > MAX_ENTRIES:
        return
    entries = tuple((i, json.dumps(e, ensure_ascii=False)) for i, e in sorted(changed.items()))
    records = _records(root) or []
    records.append((old, new, count, entries,
                    (FROM_ENTRIES if from_entries else 0) | (KEPT if kept else 0)))
    stored.write(root, NAME, records[-KEEP:])


def entries_derived(root: Path, now: bytes) -> bool:
    """Does the journal say that the manifest with digest `now` was written with derived
    parts computed from its entries (a writer may then patch them: `change.py`)?"""
    for rec in reversed(_records(root) or []):
        if rec[1] == now:
            return bool(rec[4] & FROM_ENTRIES)
    return False


def derived_kept(root: Path, since: bytes, until: bytes) -> bool:
    """Do the records lead from the manifest with digest `since` to the one with `until`
    through writes that each kept the derived parts byte for byte (the same bytes: True)?"""
    if since == until:
        return True
    steps = _steps(_records(root) or [], since, until, None)
    return steps is not None and all(r[4] & KEPT for r in steps)


def changes(root: Path, since: bytes | None, data: bytes,
            count: int | None) -> tuple[dict[int, Any] | None, bytes | None]:
    """(the entries (index -> entry) in which the manifest's bytes `data` differ from the
    manifest with digest `since`, both of `count` entries (None: as many as the records
    say) and otherwise equal but for the derived parts, as the journal's records tell, or
    None when they do not tell it; the digest of `data`, or None when no record starts at
    `since`: then it is not taken, as another program's write has none)."""
    records = _records(root) if since is not None else None
    if not records or not any(r[0] == since for r in records):
        return None, None
    now = digest(data)
    return _chain(records, since, now, count), now


def between(root: Path, since: bytes, until: bytes) -> dict[int, Any] | None:
    """`changes` between the manifests with digests `since` and `until` (no bytes read):
    {} when they are the same; None when the records do not tell it."""
    if since == until:
        return {}
    records = _records(root)
    return _chain(records, since, until, None) if records else None


def _chain(records: list, since: bytes, now: bytes, count: int | None) -> dict[int, Any] | None:
    if since == now:
        return {}
    steps = _steps(records, since, now, count)
    if steps is None:
        return None
    told: dict[int, str] = {}
    for r in steps:
        told.update(r[3])
    try:
        return {i: jsonread.loads(text) for i, text in told.items()}
    except ValueError:  # an entry not JSON (`_records` kept records of this shape only)
        return None


def _steps(records: list, since: bytes, now: bytes, count: int | None) -> list | None:
    """The records that lead from digest `since` to `now`, in order; None when none do."""
    out, at = [], since
    for r in records:  # in order written: each step a fact
        if r[0] != at:
            continue
        if count is None:
            count = r[2]  # every step of one chain: the same number of entries
        if r[2] != count:
            return None
        out.append(r)
        at = r[1]
        if at == now:
            return out
    return None


def _records(root: Path) -> list | None:
    """The records, as the stored backlog's files are read (`stored.read`: sealed, and
    written by this taskctl for this tree — a record's flags are the word of the
    code that computed the derived parts)."""
    records = stored.read(root, NAME)
    return [r for r in records if _shaped(r)] if isinstance(records, list) else None


def _shaped(r: Any) -> bool:
    """A record as `record` writes it."""
    return (type(r) is tuple and len(r) == 5 and type(r[0]) is bytes and type(r[1]) is bytes
            and type(r[2]) is int and type(r[3]) is tuple and type(r[4]) is int
            and 0 <= r[4] <= FROM_ENTRIES | KEPT
            and all(type(x) is tuple and len(x) == 2 and type(x[0]) is int
                    and type(x[1]) is str for x in r[3]))

"""What another program changed in the manifest, found from its bytes alone: a copy of the
bytes a plan answer was computed from, kept with where each entry lies in them, is compared
with the bytes now. When they differ only within one entry's place, the manifest now is that
one as it was with that entry's text replaced: JSON is context free, so a text that parses as
exactly one value in place of another leaves every other value of the document as it was.

A read then need not parse 4.3 MB (10,000 tasks with derived parts: ≈ 55 ms) and compare
10,000 entries with stored ones: it parses one entry. `core/plan/restatus.py` takes the one
changed entry (as taskctl's own writes' records are taken: `journal.py`), and records it in
the journal, so later reads follow it as they follow taskctl's own writes. The copy is kept
by the stored backlog (`snapshot._store`, from the bytes a load parsed) and by that cutoff
(the bytes it read), sealed like every cache file (`stored.py`) with the digest of its bytes.

Anything else — the bytes changed in two entries, between entries, outside the `tasks` list
(the derived parts, the phases), an entry whose new text is not one JSON value within the
limits (`jsonread`: nesting counted from the entry's depth), no copy of the bytes the answer
was computed from — gives None: the reader parses the manifest as before.
"""

from __future__ import annotations

import bisect
import json

from taskctl.core.files import jsonread
from taskctl.core.load import stored

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

NAME = "manifest-copy.marshal"
DEPTH = 2  # an entry's nesting within the document: the object, then its `tasks` list
_BLOCK = 1 << 16


def spans(data: bytes) -> list[int] | None:
    """The byte offsets where each entry of the document's `tasks` list begins and ends
    (start, end, start, end, …), for bytes a load parsed (`manifest.parse` accepted them);
    None when the document is not an object whose one `tasks` key holds a list."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    bom = 1 if text.startswith("\ufeff") else 0

    def refuse(name: str) -> Any:
        raise ValueError(name)

    scan = json.JSONDecoder(parse_constant=refuse).scan_once
    space = json.decoder.WHITESPACE.match
    key_of = json.decoder.scanstring
    out: list[int] | None = None
    try:
        at = space(text, bom).end()
        if text[at:at + 1] != "{":
            return None
        at = space(text, at + 1).end()
        if text[at:at + 1] == "}":
            return None  # no `tasks`
        while True:
            if text[at:at + 1] != '"':
                return None
            key, at = key_of(text, at + 1)
            at = space(text, at).end()
            if text[at:at + 1] != ":":
                return None
            at = space(text, at + 1).end()
            if key == "tasks":
                if out is not None or text[at:at + 1] != "[":
                    return None  # a second `tasks` (the last one counts), or not a list
                out, at = _elements(text, at, scan, space)
                if text.find('"tasks"', at) < 0 and text.find("\\u", at) < 0:
                    break  # no second `tasks` key (written plainly or escaped) after it
            else:
                _value, at = scan(text, at)
            at = space(text, at).end()
            if text[at:at + 1] == "}":
                break
            if text[at:at + 1] != ",":
                return None
            at = space(text, at + 1).end()
    except (StopIteration, ValueError, RecursionError):
        return None
    return None if out is None else _bytes_at(text, out)


def _elements(text: str, at: int, scan: Any, space: Any) -> tuple[list[int], int]:
    """The (start, end) character offsets of the elements of the list at `at`, and the
    offset after it."""
    out: list[int] = []
    at = space(text, at + 1).end()
    if text[at:at + 1] == "]":
        return out, at + 1
    while True:
        _value, end = scan(text, at)
        out += (at, end)
        at = space(text, end).end()
        c = text[at:at + 1]
        if c == "]":
            return out, at + 1
        if c != ",":
            raise ValueError("list")
        at = space(text, at + 1).end()


def _bytes_at(text: str, offsets: list[int]) -> list[int]:
    """Character offsets in `text` as byte offsets in its UTF-8."""
    if text.isascii():
        return offsets
    out, was, pos = [], 0, 0
    for o in offsets:
        pos += len(text[was:o].encode("utf-8", "surrogatepass"))
        was = o
        out.append(pos)
    return out


def keep(root: Path, data: bytes, digest: bytes, where: list[int] | None = None) -> bool:
    """Keep a copy of the manifest's bytes `data` (digest `digest`: `journal.digest`), with
    where its entries lie (`where`, else found: `spans`), for the next read's comparison."""
    if where is None:
        where = spans(data)
    return where is not None and stored.write(root, NAME, (digest, data, where))


def changed(root: Path, then: bytes, data: bytes) -> tuple[dict, list[int], dict] | None:
    """({index: entry now}, where the entries lie now, {index: entry then}) when the
    manifest's bytes `data` differ from those with digest `then` (of which a copy was kept)
    in the text of that one entry alone, and it parses, within the limits, as one JSON
    object; ({}, where, {}) when they are the same bytes; else None."""
    kept = stored.read(root, NAME)
    if not (type(kept) is tuple and len(kept) == 3 and kept[0] == then
            and type(kept[1]) is bytes and type(kept[2]) is list):
        return None
    _digest, old, where = kept
    n = min(len(old), len(data))
    head = _prefix(old, data, n)
    if head == len(old) == len(data):
        return {}, where, {}
    tail = _suffix(old, data, n - head)
    k = bisect.bisect_right(where, head) - 1
    if k < 0 or k % 2:
        k -= 1  # `head` at or past an entry's end: the entry is the one that began before
    if k < 0 or len(old) - tail > where[k + 1]:
        return None  # the change reaches outside one entry's text
    grow = len(data) - len(old)
    start, end = where[k], where[k + 1] + grow
    try:
        entry = jsonread.loads(data[start:end].decode("utf-8"), jsonread.MAX_DEPTH - DEPTH)
        was = jsonread.loads(old[start:where[k + 1]].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(entry, dict):
        return None
    return ({k // 2: entry}, where[:k + 1] + [end] + [x + grow for x in where[k + 2:]],
            {k // 2: was})


def _prefix(a: bytes, b: bytes, n: int) -> int:
    """The length of the common prefix of `a` and `b`, at most `n`."""
    return _agree(a, b, n, _front)


def _suffix(a: bytes, b: bytes, n: int) -> int:
    """The length of the common suffix of `a` and `b`, at most `n`."""
    return _agree(a, b, n, _back)


def _front(x: bytes, i: int, j: int) -> bytes:
    return x[i:j]


def _back(x: bytes, i: int, j: int) -> bytes:
    """The bytes `i` to `j` counted from the end (`i` < `j`)."""
    return x[len(x) - j:len(x) - i]


def _agree(a: bytes, b: bytes, n: int, part: Any) -> int:
    """How many bytes, at most `n`, `a` and `b` have in common from one end (`part` cuts
    them): compared a block at a time, then halved within the first block that differs."""
    at = 0
    while at < n:
        step = min(_BLOCK, n - at)
        if part(a, at, at + step) != part(b, at, at + step):
            lo, hi = at, at + step  # they agree on lo bytes and differ within hi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if part(a, lo, mid) == part(b, lo, mid):
                    lo = mid
                else:
                    hi = mid
            return lo
        at += step
    return n

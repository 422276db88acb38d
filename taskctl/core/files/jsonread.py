"""THE way taskctl reads a JSON state file (manifest, evidence, markers, events, caches):
one set of limits for all of them.

- size: a file over its byte limit is not read at all;
- nesting: the C decoder stops at Python's recursion limit; that RecursionError becomes a
  `JsonLimit` (never a crash), and documents nested deeper than `MAX_DEPTH` are refused;
- numbers: `NaN`, `Infinity`, `-Infinity`, floats that overflow to infinity and integers of more
  than `MAX_INT_DIGITS` digits are refused (they break arithmetic and CPython's int parser).
"""

from __future__ import annotations

import errno
import json
import math
import re
from pathlib import Path

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

MAX_RECORD_BYTES = 4 << 20  # an evidence record or marker: a few KB in practice
MAX_STATE_BYTES = 64 << 20  # the manifest of a very large backlog
MAX_DEPTH = 64
MAX_INT_DIGITS = 30


class JsonLimit(ValueError):
    """A JSON text taskctl refuses: carries a message and a 1-based position when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _position(text: str, needle: str) -> tuple[int | None, int | None]:
    i = text.find(needle)
    if i < 0:
        return None, None
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


# What `loads` checks of a text is read off its bytes in C (translate, replace, `in`): ≈ 5 ms
# a MB, where a walk of the parsed values (≈ 7 ms a MB) and a Python hook per number (≈ 9 ms
# a MB of a manifest) cost more than the C decoder's parse itself (≈ 7 ms a MB). The tests
# hold both to the walk and the hooks they replace.
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}')
_NUMERIC = bytes.maketrans(b"123456789E", b"000000000e")


def _nesting(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of `raw`, a JSON text the decoder accepted (up to `limit` + 1): the
    number of rounds that take every innermost bracket pair off its brackets outside strings.

    Escapes go first: pairs of backslashes, left to right as the decoder pairs them, then a
    backslash before a quote (every backslash left starts an escape). Of the rest only quotes
    and brackets are kept; quotes then alternate open/close, so adjacent `""` pairs can go (an
    empty string, or the nothing between two strings) and, of what is left split at its
    quotes, the even parts are outside strings."""
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"")
    if b'\\"' in raw:
        raw = raw.replace(b'\\"', b"")
    s = raw.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in s:
        s = b"".join(s.split(b'"')[::2])
    depth = 0
    while s and depth <= limit:
        depth += 1  # each round's pairs marked first: a pair it uncovers waits for the next
        s = s.replace(b"[]", b"\0").replace(b"{}", b"\0").translate(None, b"\0")
    return depth


def _plain_numbers(raw: bytes) -> bool:
    """No number literal in `raw` that the limits below could refuse: none with more than
    `MAX_INT_DIGITS` digits in a row and no exponent of three digits (the only ways to an
    integer over the limit or a float that overflows: a finite mantissa of at most 30 digits
    needs an exponent over 277). Conservative: digits inside strings count too, and then the
    exact check per number runs."""
    u = raw.translate(_NUMERIC)
    return (b"0" * (MAX_INT_DIGITS + 1) not in u and b"0e000" not in u
            and b"0e+000" not in u)


def loads(text: str, depth: int = MAX_DEPTH) -> Any:
    """Parse `text` under the limits (`depth`: the nesting allowed; less for a part of a
    document). Raises JsonLimit (a ValueError) on any refusal."""
    def constant(name: str) -> Any:
        raise JsonLimit(f"non-finite number {name} is not allowed", *_position(text, name))

    def number(s: str) -> float:
        f = float(s)
        if not math.isfinite(f):
            raise JsonLimit(f"number {s[:20]} is out of range", *_position(text, s))
        return f

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > MAX_INT_DIGITS:
            raise JsonLimit(f"integer of {len(s.lstrip('-')):,} digits (at most "
                            f"{MAX_INT_DIGITS})", *_position(text, s[:40]))
        return int(s)

    raw = text.encode("utf-8", "surrogatepass")
    # a hook per number only where a number could be refused (otherwise they change nothing)
    hooks = {} if _plain_numbers(raw) else {"parse_float": number, "parse_int": integer}
    try:
        data = json.loads(text, parse_constant=constant, **hooks)
    except json.JSONDecodeError as e:
        raise JsonLimit(f"JSON syntax error: {e.msg}", e.lineno, e.colno) from None
    except RecursionError:
        raise JsonLimit(f"JSON nested too deeply (more than {MAX_DEPTH} levels)", 1, 1) from None
    if isinstance(data, dict | list) and _nesting(raw, depth) > depth:
        m = re.search(r"[\[{]\s*" * 8, text)
        raise JsonLimit(f"JSON nested too deeply (more than {depth} levels)",
                        *(_position(text, m.group(0)) if m else (1, 1)))
    return data


def load(path: Path, limit: int = MAX_STATE_BYTES) -> Any:
    """Read and parse one JSON file. Raises OSError (unreadable) or JsonLimit (refused)."""
    return from_bytes(read(path, limit))


def read(path: Path, limit: int = MAX_STATE_BYTES) -> bytes:
    """One JSON file's bytes, for `from_bytes`. Raises OSError (unreadable) or JsonLimit
    (over `limit`)."""
    from taskctl.core.files.regular import NotRegular, read_bytes

    try:  # a regular file only: a committed link to /dev/zero or a FIFO is refused
        return read_bytes(path, limit)
    except NotRegular as e:
        if e.errno == errno.EFBIG:
            raise JsonLimit(f"file is over the {limit:,}-byte limit", 1, 1) from None
        raise


def from_bytes(data: bytes) -> Any:
    """Parse a JSON file's bytes (UTF-8, a byte-order mark dropped) under the limits. Raises
    JsonLimit."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise JsonLimit(f"not valid UTF-8 (byte 0x{data[e.start]:02x})") from None
    return loads(text.removeprefix("\ufeff"))

"""The one JSON writer: every --json document carries `schema_version`.

Documents are written as `json.dumps(..., indent=2, ensure_ascii=False, default=str)` writes
them. CPython 3.11's C encoder cannot indent, so `json.dumps` with an indent runs its
pure-Python encoder, one generator step per token: a 10,000-task `list --json` (3.7 MB) took
≈ 210 ms of a ≈ 1.7 s command. `pretty` writes the same text with the C string escaper and one
Python step per value, falling back to `json.dumps` for anything it does not handle
(tests/taskctl/render/test_jsonout.py holds the two equal, hypothesis-generated documents
included).
"""

from __future__ import annotations

import json
from json import encoder as _encoder

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1

_ESC = _encoder.c_encode_basestring or _encoder.py_encode_basestring  # ensure_ascii=False
_CONST = {None: "null", True: "true", False: "false"}
_INF = float("inf")


class _Unusual(Exception):
    """A value `pretty` leaves to `json.dumps`."""


def document(payload: dict[str, Any]) -> str:
    return pretty({"schema_version": SCHEMA_VERSION, **payload})


def error(message: str, hint: str | None, code: int) -> str:
    return document({"error": message, "hint": hint, "exit_code": code})


def pretty(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False, default=str)`, faster."""
    out: list[str] = []
    try:
        _write(value, 0, out.append)
    except (_Unusual, RecursionError):  # another type, a non-text key, a cycle, very deep
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return "".join(out)


def _float(v: float) -> str:
    if v != v:
        return "NaN"
    if v == _INF:
        return "Infinity"
    return "-Infinity" if v == -_INF else float.__repr__(v)


def _scalar(v: Any) -> str | None:
    """A leaf's text as json writes it (exact types only), or None for a container."""
    t = type(v)
    if t is str:
        return _ESC(v)
    if t is int:
        return int.__repr__(v)
    if v is None or t is bool:
        return _CONST[v]
    if t is float:
        return _float(v)
    if t is dict or t is list:
        return None
    # json's own order and rules for the rest: subclasses (a str enum is its text), then
    # `default=str` for any other object; tuples and container subclasses are left to it
    if isinstance(v, str):
        return _ESC(v)
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, (list, tuple, dict)):
        raise _Unusual
    text = str(v)
    if type(text) is not str:
        raise _Unusual
    return _ESC(text)


def _write(v: Any, level: int, put) -> None:
    text = _scalar(v)
    if text is not None:
        put(text)
        return
    inner = "\n" + "  " * (level + 1)
    if not v:
        put("{}" if type(v) is dict else "[]")
        return
    if type(v) is dict:
        sep = "{" + inner
        for k, x in v.items():
            if type(k) is not str:
                raise _Unusual
            put(sep)
            put(_ESC(k))
            put(": ")
            text = _scalar(x)
            if text is None:
                _write(x, level + 1, put)
            else:
                put(text)
            sep = "," + inner
        put("\n" + "  " * level + "}")
        return
    if all(type(x) is str for x in v):  # a list of texts: joined in C
        put("[" + inner + ("," + inner).join(map(_ESC, v)) + "\n" + "  " * level + "]")
        return
    sep = "[" + inner
    for x in v:
        put(sep)
        _write(x, level + 1, put)
        sep = "," + inner
    put("\n" + "  " * level + "]")

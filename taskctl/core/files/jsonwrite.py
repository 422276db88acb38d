"""THE indented JSON writer: the text `json.dumps(value, indent=n, ensure_ascii=False[,
default=...])` gives, made faster. State files (the manifest, claims: `atomic.write_json`) and
every --json document (`render/jsonout.py`, with `default=str`) are written with it.

Why: with an indent, CPython (3.11, 3.12) leaves the C encoder aside and encodes in Python, one
generator step per token. A 10,000-task manifest after its first `claim` (4.3 MB, with its
derived `dependency_graph`) took ≈ 150–200 ms of the claim, under the manifest lock, so
sixteen agents claiming at once waited on it in turn; a 10,000-task `list --json` (3.7 MB)
≈ 210 ms of the command. This encoder knows the data those hold — dicts with text keys,
lists, text, numbers, booleans, None — and writes each container's items with one `join` (a
list of texts, most of a manifest, with the C string escaper mapped over it), in the order
and by the rules `json`'s own encoder uses (a `str` subclass is its text, an `int` subclass its
number). Anything else (a key that is not text, a tuple or a container subclass, a value
`default` turns into something other than text, a value nested too deeply or circular) is left
to `json.dumps` itself, so the text, or the error, is the same in every case
(tests/taskctl/core/files/test_jsonwrite.py and tests/taskctl/render/test_jsonout.py compare
them on the examples' manifests and on generated documents).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # C's; escapes only what JSON must (no ASCII)

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_INF = float("inf")


class _Other(Exception):
    """A value this encoder leaves to `json.dumps`."""


def dumps(value: Any, indent: int = 2, default: Callable[[Any], Any] | None = None) -> str:
    """`json.dumps(value, indent=indent, ensure_ascii=False, default=default)`."""
    try:
        return _value(value, "\n", " " * indent, default)
    except (_Other, RecursionError):
        return json.dumps(value, indent=indent, ensure_ascii=False, default=default)


def _float(f: float) -> str:
    if f != f:  # noqa: PLR0124 - NaN, as `json.dumps` writes it (allow_nan)
        return "NaN"
    if f == _INF:
        return "Infinity"
    if f == -_INF:
        return "-Infinity"
    return float.__repr__(f)


def _value(o: Any, nl: str, step: str, default: Any) -> str:
    """`o` encoded, its items on lines that start with `nl` plus one `step`."""
    t = type(o)
    if t is str:
        return encode_basestring(o)
    if t is list:
        return _list(o, nl, step, default) if o else "[]"
    if t is dict:
        return _dict(o, nl, step, default) if o else "{}"
    if t is int:
        return int.__repr__(o)
    if t is float:
        return _float(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    # json's own order for the rest: subclasses, then `default`
    if isinstance(o, str):
        return encode_basestring(o)
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    if isinstance(o, list | tuple | dict) or default is None:
        raise _Other  # a tuple or a container subclass; with no `default`, json's error
    text = default(o)
    if type(text) is not str:
        raise _Other
    return encode_basestring(text)


def _list(o: list, nl: str, step: str, default: Any) -> str:
    inner = nl + step
    if all(type(x) is str for x in o):  # ids, tags, paths: most of a manifest
        return "[" + inner + ("," + inner).join(map(encode_basestring, o)) + nl + "]"
    return "[" + inner + ("," + inner).join([_value(x, inner, step, default)
                                             for x in o]) + nl + "]"


def _dict(o: dict, nl: str, step: str, default: Any) -> str:
    inner = nl + step
    deeper = inner + step
    sep = "," + deeper
    parts = []
    for k, v in o.items():
        if type(k) is not str and not isinstance(k, str):
            raise _Other  # a number, a boolean, None: json turns them into keys its way
        t = type(v)  # the common values inline: a call each costs more than their text
        if t is str:
            text = encode_basestring(v)
        elif t is list and v and all(type(x) is str for x in v):
            text = "[" + deeper + sep.join(map(encode_basestring, v)) + inner + "]"
        elif t is float:
            text = _float(v)
        elif t is int:
            text = int.__repr__(v)
        else:
            text = _value(v, inner, step, default)
        parts.append(encode_basestring(k) + ": " + text)
    return "{" + inner + ("," + inner).join(parts) + nl + "}"

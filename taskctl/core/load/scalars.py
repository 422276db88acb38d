"""YAML 1.1 plain scalars as PyYAML reads them, without importing PyYAML for the usual ones.

`fastyaml` resolves every plain scalar (`pending`, `5`, `2026-01-15`, `yes`) the way PyYAML's
implicit resolvers do, and builds the non-strings as PyYAML's SafeConstructor does. Importing
`yaml` for its tables costs ~13 ms, a tenth of a read of the bundled backlog after an edit.
So the resolver table is a copy of PyYAML's (`yaml/resolver.py`: the same patterns, flags,
first characters and order; tests/taskctl/core/load/test_scalars.py holds it equal to the
installed PyYAML's), and the common values are built here: booleans, nulls, decimal integers,
plain decimal floats and dates. Anything else a resolver names (`0x1F`, `017`, `1:30`,
`1_000`, `1.0e+3`, `.inf`, a timestamp with a time) is built by PyYAML's own constructor,
imported then.
"""

from __future__ import annotations

import re
from functools import cache

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

STR = "tag:yaml.org,2002:str"
BOOL, FLOAT, INT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:int"
NULL, TIMESTAMP = "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"

# (tag, pattern, flags, first characters), in PyYAML's order of `add_implicit_resolver`
RESOLVERS: list[tuple[str, str, int, str]] = [
    (BOOL, r'''^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$''', re.X, "yYnNtTfFoO"),
    (FLOAT, r'''^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$''', re.X, "-+0123456789."),
    (INT, r'''^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$''', re.X, "-+0123456789"),
    ("tag:yaml.org,2002:merge", r'^(?:<<)$', 0, "<"),
    (NULL, r'''^(?: ~
                    |null|Null|NULL
                    | )$''', re.X, "~nN\0"),  # "\0": the empty string's entry ('')
    (TIMESTAMP, r'''^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$''', re.X, "0123456789"),
    ("tag:yaml.org,2002:value", r'^(?:=)$', 0, "="),
    ("tag:yaml.org,2002:yaml", r'^(?:!|&|\*)$', 0, "!&*"),
]


@cache
def table() -> dict[str, list[tuple[str, re.Pattern]]]:
    """First character ('' for the empty string) -> [(tag, compiled pattern)], as PyYAML's
    `Resolver.yaml_implicit_resolvers`; compiled on first use."""
    out: dict[str, list[tuple[str, re.Pattern]]] = {}
    for tag, pattern, flags, firsts in RESOLVERS:
        regexp = re.compile(pattern, flags)
        for ch in firsts:
            out.setdefault("" if ch == "\0" else ch, []).append((tag, regexp))
    return out


_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# The resolvers other than FLOAT, INT and TIMESTAMP match exact words; those three start with
# one of `_NUMERIC`. So a value that is none of the words and starts otherwise is a string,
# and the usual numbers and dates are classified here, each as PyYAML's first matching
# resolver does (FLOAT needs a `.`, so a decimal integer is INT; a `YYYY-MM-DD` date matches
# neither FLOAT nor INT): the table (≈ 3 ms to compile) is built only for the rest.
_WORDS = {**dict.fromkeys("yes Yes YES no No NO true True TRUE false False FALSE on On ON off "
                          "Off OFF".split(), BOOL),
          **dict.fromkeys(("~", "null", "Null", "NULL", ""), NULL),
          "<<": "tag:yaml.org,2002:merge", "=": "tag:yaml.org,2002:value",
          **dict.fromkeys("!&*", "tag:yaml.org,2002:yaml")}
_NUMERIC = frozenset("-+0123456789.")


def resolve(value: str) -> str:
    """The tag PyYAML gives the plain scalar `value` (its table has no entry for None)."""
    tag = _WORDS.get(value)
    if tag is not None:
        return tag
    if value[-1:] != "\n":  # `$` also matches before a final newline: the table decides those
        if value[:1] not in _NUMERIC:
            return STR
        if _DECIMAL.fullmatch(value):
            return INT
        if _DECIMAL_FLOAT.fullmatch(value):
            return FLOAT
        if _DATE.fullmatch(value):
            return TIMESTAMP
    for tag, regexp in table().get(value[:1], ()):
        if regexp.match(value):
            return tag
    return STR


_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def construct(tag: str, value: str) -> Any:
    """The value PyYAML's SafeConstructor builds for plain scalar `value` resolved as `tag`
    (not a string). Raises ValueError where PyYAML would fail (a date like 2026-02-30)."""
    if tag == BOOL:
        return _BOOLS[value.lower()]
    if tag == NULL:
        return None
    if tag == INT and _DECIMAL.fullmatch(value):
        return int(value)
    if tag == FLOAT and _DECIMAL_FLOAT.fullmatch(value):
        return float(value)
    if tag == TIMESTAMP and len(value) == 10:  # the date-only form: YYYY-MM-DD
        import datetime as dt  # here: a read with no unquoted date does not import it

        return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    constructor, node = _pyyaml()
    return constructor.yaml_constructors[tag](constructor, node(tag, value))


@cache
def _pyyaml():
    """PyYAML's SafeConstructor and scalar node class, for the values built by it."""
    from yaml.constructor import SafeConstructor
    from yaml.nodes import ScalarNode

    return SafeConstructor(), ScalarNode

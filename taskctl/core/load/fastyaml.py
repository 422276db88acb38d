"""A fast parse of the common front-matter shape; anything else is declined (-> PyYAML).

Why: with PyYAML's CSafeLoader the C scanner is quick but the Python construction of every
node (`construct_object`, `resolve`, ...) is about a third of a cold load of a large tree.
Task front matter is almost always the same restricted YAML: block mappings of
`key: scalar`, one-line flow lists of scalars, block lists of scalars or of small mappings,
plain literal or folded block scalars (`run: |`, `description: >-`).
This module reads exactly that shape line by line and returns what `yaml.load(text,
CSafeLoader)` returns for it, or `DECLINE` for anything it does not fully understand
(block scalars with blank, comment or more-indented lines, keep or indentation indicators,
multi-line strings, escapes other than `\\"`, `\\\\`, `\\/`, `\\n` and `\\t`,
comments after values, anchors, tags, flow mappings, tabs, duplicate keys, non-string keys,
documents that are not a mapping, numbers the value limits refuse, ...).
The caller then parses with PyYAML, so errors, positions and limits stay PyYAML's.

Plain scalars are resolved with PyYAML's implicit resolvers (YAML 1.1: `yes`/`no`, `017`
octal, `1_000`, `2026-01-15` dates, `~`; `scalars.py` holds a copy of PyYAML's table that a
test keeps equal to the installed one) and, when not strings, built as PyYAML's
SafeConstructor builds them (the usual ones in `scalars.py`, the rest by PyYAML itself).
tests/taskctl/core/load/test_fastyaml.py checks both against PyYAML (fixtures + hypothesis).
"""

from __future__ import annotations

import math
import re

from taskctl.core.load import limits, scalars

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

DECLINE: Any = object()  # "not my shape": parse with PyYAML

_STR = scalars.STR
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +|$)")
_KEY_REST = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +|$)(.*)", re.S)  # and what follows
# what PyYAML's reader refuses (it would raise: let it); compiled on the first non-ASCII text
# (~5 ms: the class spans all of Unicode)
_NON_PRINTABLE = "[^\x09\x0a\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")  # line breaks to YAML 1.1, not to str.split
_PLAIN_BAD_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BAD = frozenset("[]{}#:,'\"")  # inside a plain flow item
# `<<`, `=`, `!`: tags with no constructor in PyYAML's safe loader (let it say so)
_UNBUILT = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value",
                      "tag:yaml.org,2002:yaml"})
_MEMO: dict[str, Any] = {}  # plain scalar text -> value (immutable values only)
_STR_KEYS: set[str] = set()  # keys known to resolve as strings
# a `key: value` line (indent stripped) -> (key, value): its meaning does not depend on where
# it stands, and trees repeat many (`status: pending`, `priority: P2`, `tags: [infra]`, an
# acceptance item's `timeout: 120`). Values are scalars or flat lists of them (copied out).
_LINES: dict[str, tuple[str, Any]] = {}
_MEMO_MAX = 50_000
# only short texts are remembered: the ones that repeat (`status: pending`, `timeout: 120`)
# are short, and 50,000 long unique lines (one-line descriptions) would hold megabytes
_MEMO_LEN = 80


# Each level this parser reads but the top mapping and a flow list adds at least one column of
# indentation (a nested mapping or list: one; an indentless list and its item's mapping: two
# levels in two columns), so a document indented at most this much nests at most
# `limits.MAX_DEPTH` levels.
_DEEPEST = limits.MAX_DEPTH - 4


class _Decline(Exception):
    pass


class _Items(list):
    """The lines that are neither blank nor comments: (indent, text, line number); `lines`:
    every line of the text (a block scalar's content is read from them)."""

    lines: list[str]


def parse(text: str) -> Any:
    """The parsed mapping, or DECLINE. Never raises for any input."""
    if "\t" in text or "\r" in text:
        return DECLINE
    if text.isascii():  # the common case, checked in C: no control characters but "\n"
        if not text.replace("\n", "").isprintable():
            return DECLINE
    elif re.search(_NON_PRINTABLE, text) is not None or _YAML_BREAKS.search(text):
        return DECLINE  # refused by PyYAML's reader, or a line break to YAML (NEL, LS, PS)
    lines = text.split("\n")
    items = _Items([(len(ln) - len(s), s.rstrip(" "), no) for no, ln in enumerate(lines)
                    if (s := ln.lstrip(" ")) and s[0] != "#"])
    items.lines = lines
    if not items or items[0][0] != 0:
        return DECLINE
    if max(items)[0] > _DEEPEST:  # the largest indentation (tuples compare it first)
        return DECLINE  # it might nest deeper than the limit: PyYAML's path checks (limits.py)
    try:
        i, value = _mapping(items, 0, 0)
    except (_Decline, RecursionError, ValueError, TypeError):
        return DECLINE
    if i != len(items):
        return DECLINE
    return value


def _mapping(items: list, i: int, ind: int) -> tuple[int, dict]:
    out: dict = {}
    n = len(items)
    while i < n and items[i][0] == ind:
        s = items[i][1]
        known = _LINES.get(s)
        if known is not None:
            key, value = known
            if key in out:
                raise _Decline
            out[key] = value.copy() if type(value) is list else value
            i += 1
            continue
        m = _KEY_REST.match(s)
        if m is None:
            raise _Decline
        key, rest = m.groups()
        if key in out:
            raise _Decline  # a duplicate: PyYAML keeps the last one; let it
        if key not in _STR_KEYS:
            if scalars.resolve(key) != _STR:
                raise _Decline  # `yes:`, `null:`, `2026-01-01:` are not string keys
            if len(_STR_KEYS) < _MEMO_MAX:
                _STR_KEYS.add(key)
        i += 1
        if rest in _BLOCK:  # `key: |`, `key: >-`: a block scalar
            i, out[key] = _block(items, i, ind, rest)
            continue
        if rest:
            if rest[0] == '"' and rest.find('"', 1) == len(rest) - 1 and "\\" not in rest:
                value = rest[1:-1]  # `_inline`'s commonest case, without its two calls
            else:
                value = _inline(rest)
            out[key] = value
            if len(s) <= _MEMO_LEN and len(_LINES) < _MEMO_MAX:
                _LINES[s] = (key, value.copy() if type(value) is list else value)
            continue
        if i < n and items[i][0] > ind:
            if items[i][1].startswith("- "):
                i, out[key] = _sequence(items, i, items[i][0])
            else:
                i, out[key] = _mapping(items, i, items[i][0])
        elif i < n and items[i][0] == ind and items[i][1].startswith("- "):
            i, out[key] = _sequence(items, i, ind)  # an indentless list (`key:\n- a`)
        else:
            out[key] = None
    if i < n and items[i][0] > ind:
        raise _Decline  # a continuation line (multi-line plain scalar) or bad indentation
    return i, out


# block scalar indicators read here -> (what joins the lines, what ends the value): literal or
# folded, clipped or stripped; keep (`+`), indentation indicators and comments are declined
_BLOCK = {"|": ("\n", "\n"), "|-": ("\n", ""), ">": (" ", "\n"), ">-": (" ", "")}


def _block(items: _Items, i: int, ind: int, indicator: str) -> tuple[int, str]:
    """The block scalar whose header ended the line before item `i`, in a mapping indented
    `ind`: read only when its lines are all indented alike, hold no blank or comment line
    (both are content to YAML) and no trailing space, and what follows them up to the next
    key is blank. Folding such lines joins them with spaces; anything else is declined."""
    joiner, ending = _BLOCK[indicator]
    lines, n = items.lines, len(items)
    if i >= n or items[i][0] <= ind or items[i][2] != items[i - 1][2] + 1:
        raise _Decline  # empty, or a blank or comment line first
    col, first = items[i][0], items[i][2]
    texts = []
    j = i
    while j < n and items[j][0] > ind:
        indent, text, no = items[j]
        if indent != col or no != first + len(texts) or len(lines[no]) != indent + len(text):
            raise _Decline  # more indented, a blank or comment line within, trailing spaces
        texts.append(text)
        j += 1
    last, stop = first + len(texts) - 1, items[j][2] if j < n else len(lines)
    if last + 1 >= len(lines) or any(len(lines[k]) > col for k in range(last + 1, stop)):
        # no line break after it (end of text); a comment after it; or spaces beyond its
        # indentation on an empty line after it (content to YAML: kept, with a line break)
        raise _Decline
    return j, joiner.join(texts) + ending


def _sequence(items: list, i: int, ind: int) -> tuple[int, list]:
    out: list = []
    n = len(items)
    while i < n and items[i][0] == ind and items[i][1].startswith("- "):
        s = items[i][1]
        rest = s[2:].lstrip(" ")
        if not rest or rest[0] == "#":
            raise _Decline
        if _KEY.match(rest):  # `- key: value` opens a mapping at the column of `key`
            items[i] = (ind + len(s) - len(rest), rest, items[i][2])
            i, value = _mapping(items, i, items[i][0])
            out.append(value)
        else:
            out.append(_inline(rest))
            i += 1
    if i < n and items[i][0] > ind:
        raise _Decline
    return i, out


def _inline(rest: str) -> Any:
    c = rest[0]
    if c == '"' or c == "'":
        value, end = _quoted(rest, 0)
        if end != len(rest):
            raise _Decline  # a comment or text after the closing quote
        return value
    if c == "[":
        return _flow(rest)
    if c in _PLAIN_BAD_START or ": " in rest or " #" in rest or rest[-1] == ":":
        raise _Decline
    return _plain(rest)


# the double-quoted escapes read here (shell commands quote with `\"`); any other (`\x41`,
# `\u00e9`, `\0`, a line-ending `\`, ...) is declined to PyYAML
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t"}


def _quoted(s: str, start: int) -> tuple[str, int]:
    """(value, index after the closing quote) of a one-line quoted scalar."""
    q = s[start]
    if q == '"':
        end = s.find('"', start + 1)
        if end < 0:
            raise _Decline
        if "\\" in s[start:end]:
            return _escaped(s, start)
        return s[start + 1:end], end + 1
    j = start + 1
    while True:
        k = s.find("'", j)
        if k < 0:
            raise _Decline
        if s[k + 1:k + 2] == "'":
            j = k + 2
            continue
        return s[start + 1:k].replace("''", "'"), k + 1


def _escaped(s: str, start: int) -> tuple[str, int]:
    """`_quoted` of a double-quoted scalar holding backslash escapes."""
    out, i = [], start + 1
    while True:
        close, esc = s.find('"', i), s.find("\\", i)
        if close < 0:
            raise _Decline
        if esc < 0 or close < esc:
            out.append(s[i:close])
            return "".join(out), close + 1
        out.append(s[i:esc])
        code = _ESCAPES.get(s[esc + 1:esc + 2])
        if code is None:
            raise _Decline
        out.append(code)
        i = esc + 2


def _flow(s: str) -> list:
    """A one-line flow list of scalars: `[a, "b", 'c']`."""
    if s[-1] != "]":
        raise _Decline
    out: list = []
    i, end = 1, len(s) - 1
    while True:
        while i < end and s[i] == " ":
            i += 1
        if i >= end:
            if out:
                raise _Decline  # `[a, ]`: let PyYAML decide
            return out
        if s[i] in "\"'":
            value, i = _quoted(s, i)
            out.append(value)
        else:
            j = s.find(",", i, end)
            j = end if j < 0 else j
            tok = s[i:j].rstrip(" ")
            if not tok or tok[0] in _PLAIN_BAD_START or any(ch in _FLOW_BAD for ch in tok):
                raise _Decline
            out.append(_plain(tok))
            i = j
        while i < end and s[i] == " ":
            i += 1
        if i >= end:
            return out
        if s[i] != ",":
            raise _Decline
        i += 1
        if i >= end or not s[i:end].strip(" "):
            raise _Decline


def _refused(value: Any) -> bool:
    """Would `limits.check_values` refuse this value (a non-finite float, an absurd integer)?
    Only plain scalars build non-strings here, so this is the whole value check: a text
    scan of every document for what might be one (`limits.needs_value_check`, ~8 µs a file)
    is left to PyYAML's path."""
    if type(value) is float:
        return not math.isfinite(value)
    return type(value) is int and abs(value) > limits.MAX_INT


def _plain(value: str) -> Any:
    """A plain scalar as PyYAML resolves and constructs it."""
    try:
        return _MEMO[value]
    except KeyError:
        pass
    tag = scalars.resolve(value)
    if tag == _STR:
        out: Any = value
    elif tag in _UNBUILT:
        raise _Decline
    else:
        out = scalars.construct(tag, value)
        if _refused(out):
            raise _Decline  # a number PyYAML's path refuses with a located error (limits.py)
    if len(value) <= _MEMO_LEN and len(_MEMO) < _MEMO_MAX \
            and not isinstance(out, (list, dict)):
        _MEMO[value] = out
    return out

"""JSON with positions: where every object and member sits in the text, to report lines and
to edit one value in place (a status change rewrites only the bytes of that value).

The standard `json` module gives values, not positions; this small recursive-descent parser
gives both, delegating strings and numbers to `json`'s own scanners so the values are identical.
"""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring

from taskctl.core.records import field, record

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
MAX_DEPTH = 200  # deeper than any task store; guards the recursion


@record
class Member:
    key_at: int  # offset of the key's opening quote
    start: int  # offset of the value
    end: int  # offset just past the value


@record
class ObjSpan:
    start: int
    end: int
    members: dict[str, Member] = field(default_factory=dict)


class JsonError(ValueError):
    def __init__(self, msg: str, pos: int):
        super().__init__(msg)
        self.msg, self.pos = msg, pos


class Doc:
    """A parsed JSON text: `value`, the span of every object (by id), and line lookups."""

    def __init__(self, text: str):
        self.text = text
        self.spans: dict[int, ObjSpan] = {}
        self._keep: list = []
        end, self.value = self._value(_skip(text, 0), 0)
        if _skip(text, end) != len(text):
            raise JsonError("extra data after the JSON value", _skip(text, end))
        self._nl: list[int] | None = None

    def span(self, obj: dict) -> ObjSpan | None:
        return self.spans.get(id(obj))

    def line(self, pos: int) -> int:
        if self._nl is None:
            self._nl = [i for i, c in enumerate(self.text) if c == "\n"]
        return bisect.bisect_left(self._nl, pos) + 1

    def line_of(self, obj: dict, key: str | None = None) -> int | None:
        """Line of `obj`'s member `key` (or of the object itself)."""
        sp = self.span(obj)
        if sp is None:
            return None
        m = sp.members.get(key) if key else None
        return self.line(m.key_at if m else sp.start)

    def _value(self, pos: int, depth: int):
        t = self.text
        if depth > MAX_DEPTH:
            raise JsonError("JSON nested too deeply", pos)
        if pos >= len(t):
            raise JsonError("unexpected end of JSON", pos)
        c = t[pos]
        if c == "{":
            return self._object(pos, depth)
        if c == "[":
            out, pos = [], _skip(t, pos + 1)
            if t.startswith("]", pos):
                return pos + 1, out
            while True:
                pos, v = self._value(pos, depth + 1)
                out.append(v)
                pos = _skip(t, pos)
                if t.startswith(",", pos):
                    pos = _skip(t, pos + 1)
                elif t.startswith("]", pos):
                    return pos + 1, out
                else:
                    raise JsonError("expected ',' or ']'", pos)
        if c == '"':
            s, end = scanstring(t, pos + 1)
            return end, s
        m = _NUMBER.match(t, pos)
        if m:
            num = m.group()
            return m.end(), (float(num) if any(x in num for x in ".eE") else int(num))
        for word, v in _LITERALS.items():
            if t.startswith(word, pos):
                return pos + len(word), v
        raise JsonError("expecting a value", pos)

    def _object(self, start: int, depth: int):
        t, out = self.text, {}
        span = ObjSpan(start, start)
        pos = _skip(t, start + 1)
        if t.startswith("}", pos):
            pos += 1
        else:
            while True:
                if not t.startswith('"', pos):
                    raise JsonError("expecting a property name in double quotes", pos)
                key, after = scanstring(t, pos + 1)
                colon = _skip(t, after)
                if not t.startswith(":", colon):
                    raise JsonError("expecting ':'", colon)
                vstart = _skip(t, colon + 1)
                vend, v = self._value(vstart, depth + 1)
                out[key] = v
                span.members[key] = Member(pos, vstart, vend)
                pos = _skip(t, vend)
                if t.startswith(",", pos):
                    pos = _skip(t, pos + 1)
                elif t.startswith("}", pos):
                    pos += 1
                    break
                else:
                    raise JsonError("expected ',' or '}'", pos)
        span.end = pos
        self.spans[id(out)] = span
        self._keep.append(out)
        return pos, out


def _skip(t: str, pos: int) -> int:
    return _WS.match(t, pos).end()


def parse(text: str) -> Doc:
    """Parse `text`; raises JsonError (with `.pos`) on bad JSON."""
    try:
        return Doc(text)
    except RecursionError:
        raise JsonError("JSON nested too deeply", 0) from None
    except json.JSONDecodeError as e:
        raise JsonError(e.msg, e.pos) from None


def set_member(text: str, doc: Doc, obj: dict, key: str, value) -> str:
    """`text` with `obj[key]`'s value replaced by `value` (JSON-encoded); every other byte
    kept. Raises KeyError when the member does not exist."""
    m = doc.span(obj).members[key]
    return text[:m.start] + json.dumps(value, ensure_ascii=False) + text[m.end:]


def line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1

"""Where each top-level key of a task file's YAML sits, for in-place edits (`frontmatter.py`,
`status.py`): the span of its lines — the key's line to the last line of its value, blank
and comment lines inside the value included —, the comment after its value, and the
mapping's indentation.

Two ways to the same answer:
- the usual front matter (what `core/load/fastyaml.py` reads: unquoted keys at column 0,
  values on the key line or indented under it, no comments after values, no anchors) is read
  line by line, without importing yaml: the one-task write path stays light;
- anything else is composed with PyYAML, whose nodes carry positions: quoted keys, flow
  lists over several lines, plain scalars continued on the next lines, comments after
  values, an indented mapping, anchors. A value holding an anchor that another key refers
  to cannot be replaced without changing that key too: its span says so (`shared`).

Blank and comment lines after a value's last line belong to nobody: an edit keeps them.
"""

from __future__ import annotations

import re
from collections import namedtuple

from taskctl.core.load import fastyaml
from taskctl.errors import NotWritable

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: |$)")  # fastyaml's key line


# plain namedtuples (`typing.NamedTuple` imports typing, ≈ 4 ms of a one-task write):
# - name: str | None, the key (None: a key that is not a plain text, `? [a, b]`); start: int,
#   offset of its first line; end: int, offset after its last line (its line break
#   included); comment: str, the comment after its value on that line ("" when none);
#   shared: str | None, another key referring to an anchor in its value
KeySpan = namedtuple("KeySpan", "name start end comment shared")
# - keys: list[KeySpan]; indent: str, of the mapping's keys; end: int, offset after the last
#   line of the last key's value
Layout = namedtuple("Layout", "keys indent end")


def layout(fm: str) -> Layout:
    """The top-level keys of the YAML text `fm` (a mapping). Raises NotWritable when it cannot
    be read as one (the loader, which read it before, would not have either)."""
    simple = _simple(fm)
    return simple if simple is not None else _composed(fm)


def _simple(fm: str) -> Layout | None:
    got = fastyaml.parse(fm)
    if got is fastyaml.DECLINE or not isinstance(got, dict):
        return None
    keys: list[KeySpan] = []
    name, start, last = None, 0, 0
    at, n = 0, len(fm)
    while at < n:
        nl = fm.find("\n", at)
        after = n if nl < 0 else nl + 1
        line = fm[at:after].rstrip("\n")
        body = line.lstrip(" ")
        if body and body[0] != "#":
            if not line.startswith(" ") and not body.startswith("- "):  # a key at column 0
                if name is not None:
                    keys.append(KeySpan(name, start, last, "", None))
                m = _KEY.match(body)
                if m is None:
                    return None
                name, start = m.group(1), at
            last = after
        at = after
    if name is not None:
        keys.append(KeySpan(name, start, last, "", None))
    return Layout(keys, "", last)


def _text_end(fm: str, end: int) -> int:
    """Where the text of a span ending at `end` ends, before its line break."""
    return end - 1 if end and fm[end - 1] == "\n" else end


def _composed(fm: str) -> Layout:
    import yaml

    try:
        node = yaml.compose(fm, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise NotWritable(f"cannot read the YAML to edit it in place: {e}".splitlines()[0],
                          "fix the file (`taskctl validate` says where), then retry") from None
    if node is None:
        return Layout([], "", 0)
    if not isinstance(node, yaml.MappingNode):
        raise NotWritable("the YAML is not a mapping of keys", "fix the file, then retry")
    if node.flow_style:
        raise NotWritable("the YAML is a flow mapping ({...}); taskctl edits a mapping of "
                          "one key a line in place", "write one key a line, then retry")

    def line_start(i: int) -> int:  # offset where the line holding offset i starts
        return fm.rfind("\n", 0, i) + 1

    def line_end(i: int) -> int:  # offset after the line holding offset i
        nl = fm.find("\n", i)
        return len(fm) if nl < 0 else nl + 1

    pairs = node.value  # marks' indexes count characters, as str offsets do
    owners: dict[int, int] = {}  # node -> the first key whose value holds it
    shared: dict[int, int] = {}  # key -> another key that holds one of its nodes
    for i, (_k, v) in enumerate(pairs):
        for sub in _nodes(v):
            j = owners.setdefault(id(sub), i)
            if j != i:  # an alias: `sub` is defined under key j and referred to under i
                shared.setdefault(j, i)
    firsts = [line_start(k.start_mark.index) for k, _v in pairs]
    indent = fm[firsts[0]:pairs[0][0].start_mark.index] if pairs else ""
    for (k, _v), first in zip(pairs, firsts, strict=True):
        if fm[first:k.start_mark.index] != indent or indent.strip(" "):
            # two keys on a line, an explicit `? key`, keys indented unlike the first one
            raise NotWritable("the YAML's keys do not each start a line at one indentation; "
                              "taskctl cannot edit it in place", "write one key a line, "
                              "then retry")
    keys = []
    for i, (k, v) in enumerate(pairs):
        first = firsts[i]
        limit = firsts[i + 1] if i + 1 < len(pairs) else len(fm)
        stop = _last(v)
        if not k.end_mark.index <= stop <= limit:  # an alias's node lies elsewhere
            stop = _content_end(fm, line_end(k.end_mark.index), limit)
        end = min(line_end(max(stop - 1, first)), limit)
        while end > line_end(first) and not fm[_starts_before(fm, end):end].strip():
            end = _starts_before(fm, end)  # blank lines after a block scalar: not its lines
        rest = fm[stop:_text_end(fm, line_end(stop))].strip() if stop < end else ""
        if not rest.startswith("#") and line_start(v.start_mark.index) > first:
            # a value under its key (`key:  # why` then its lines): the key line's comment
            rest = fm[k.end_mark.index:_text_end(fm, line_end(first))].lstrip(" :\t").strip()
        name = k.value if isinstance(k, yaml.ScalarNode) else None
        other = shared.get(i)
        keys.append(KeySpan(name, first, end, rest if rest.startswith("#") else "",
                            None if other is None else pairs[other][0].value))
    last = keys[-1].end if keys else 0
    return Layout(keys, indent, last)


def _content_end(fm: str, first_end: int, limit: int) -> int:
    """Where the text of the last line in [first_end, limit) that is neither blank nor a
    comment ends; the key's own line (ending at `first_end`) when there is none."""
    end = limit
    while end > first_end:
        body = fm[_starts_before(fm, end):end].strip()
        if body and not body.startswith("#"):
            break
        end = _starts_before(fm, end)
    return _text_end(fm, max(end, first_end))


def _starts_before(fm: str, end: int) -> int:
    """The offset where the line ending at `end` (after its line break) starts."""
    return fm.rfind("\n", 0, max(end - 1, 0)) + 1


def _last(node) -> int:
    """Offset after the last character of `node`'s own text: a scalar's or flow collection's
    end; a block collection's last value's."""
    value = node.value
    if isinstance(value, str) or node.flow_style or not value:
        return node.end_mark.index
    tail = value[-1]
    return _last(tail[1] if isinstance(tail, tuple) else tail)


def _nodes(node, seen: set | None = None):
    """`node` and every node under it, each once."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    value = node.value
    if isinstance(value, list):
        for item in value:
            for sub in (item if isinstance(item, tuple) else (item,)):
                yield from _nodes(sub, seen)

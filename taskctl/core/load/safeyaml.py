"""Safe reading of task files: size, encoding, binary and symlink guards; CSafeLoader only.

Parsing is done with the C loader for speed; positions of keys are looked up lazily (only when
a problem needs a line number) by composing the node tree.

Limits, checked before or right after parsing (see `limits.py`): nesting deeper than
`limits.MAX_DEPTH` is refused before the C composer (which recurses on the C stack) sees it;
anchors may not expand to more than `limits.MAX_NODES` values; non-finite floats and integers
too long for CPython's parser are located errors.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from functools import cache
from pathlib import Path

from taskctl.core.load import fastyaml, limits

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

MAX_TASK_BYTES = 1 << 20  # 1 MiB: a task spec larger than this is not a spec
MAX_MANIFEST_BYTES = 64 << 20
MAX_ALIASES = 50  # YAML anchors/aliases beyond this look like an alias bomb


class FileIssue(Exception):
    """A file that cannot be used: carries a message, 1-based line/column and a rule name."""

    def __init__(self, rule: str, message: str, line: int | None = None,
                 column: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.rule, self.message, self.line, self.column, self.hint = (
            rule, message, line, column, hint)


_OPEN = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
         | getattr(os, "O_BINARY", 0))
_NO_LINK = getattr(os, "O_NOFOLLOW", 0)
# open() failures that mean "no such file here" (said as before: "cannot stat")
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP})


def read_text(path: Path, root: Path, limit: int = MAX_TASK_BYTES) -> str:
    """Read a text file that must live inside `root` (symlinks may not escape it): `decode`
    of `read_bytes`."""
    return decode(read_bytes(path, root, limit))


def read_bytes(path: Path, root: Path, limit: int = MAX_TASK_BYTES) -> bytes:
    """The bytes of a file that must live inside `root` (symlinks may not escape it).

    One descriptor: opened without following a link (a link is checked, then followed), the
    size and kind taken from it (a FIFO or a device is refused, never waited on), read, closed
    (≈ 5 µs a file against ≈ 12 µs through `Path.stat` and `Path.read_bytes`)."""
    if not _NO_LINK and os.path.islink(path):  # no O_NOFOLLOW here: look first
        _check_link(path, root)
    try:
        fd = os.open(path, _OPEN | _NO_LINK)
    except OSError as e:
        if not _NO_LINK or e.errno != errno.ELOOP or not os.path.islink(path):
            raise _unreadable(e) from None
        _check_link(path, root)
        try:
            fd = os.open(path, _OPEN)
        except OSError as e2:
            raise _unreadable(e2) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise FileIssue("unreadable-file", f"cannot read: {what}")
        if st.st_size > limit:
            raise _too_big(st.st_size, limit)
        data = os.read(fd, st.st_size + 1)
        if len(data) > st.st_size:  # it grew since the fstat: the rest, up to the limit
            chunks = [data]
            while (n := sum(map(len, chunks))) <= limit and (more := os.read(fd, limit + 1 - n)):
                chunks.append(more)
            data = b"".join(chunks)
            if len(data) > limit:
                raise _too_big(len(data), limit)
    except OSError as e:
        raise FileIssue("unreadable-file", f"cannot read: {e.strerror}") from None
    finally:
        os.close(fd)
    return data


def decode(data: bytes) -> str:
    """A file's bytes as text: UTF-8, a byte-order mark dropped; binary or undecodable bytes
    are a FileIssue."""
    if b"\0" in data[:8192]:
        raise FileIssue("unreadable-file", "binary file (contains NUL bytes)",
                        hint="task files must be UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise FileIssue("unreadable-file", f"not valid UTF-8 (byte 0x{data[e.start]:02x})",
                        line, col, hint="re-save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def _check_link(path: Path, root: Path) -> None:
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(Path(os.path.realpath(root))):
        raise FileIssue("unreadable-file", f"symlink points outside the tasks directory "
                        f"(to {target})", hint="copy the file into .tasks instead of linking")
    if not target.exists():
        raise FileIssue("unreadable-file", f"broken symlink (to {target})")


def _unreadable(e: OSError) -> FileIssue:
    verb = "stat" if e.errno in _MISSING else "read"
    return FileIssue("unreadable-file", f"cannot {verb}: {e.strerror}")


def _too_big(size: int, limit: int) -> FileIssue:
    return FileIssue("unreadable-file", f"file is {size:,} bytes, over the {limit:,}-byte limit",
                     hint="split it; a task spec should be a few KB")


@cache
def _yaml():
    """PyYAML and its safe loader (C if libyaml is there), imported on first need (~15 ms):
    `fastyaml` reads the usual front matter without it."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _count_aliases(text: str) -> int:
    yaml, loader = _yaml()
    n = 0
    for tok in yaml.scan(text, Loader=loader):
        if isinstance(tok, yaml.AliasToken):
            n += 1
    return n


def load(text: str, line_offset: int = 0, duplicates: list | None = None) -> Any:
    """Parse one YAML document safely. Raises FileIssue with a 1-based position.

    The common front-matter shape is read by `fastyaml` (same result, no Python node
    construction); anything it declines, including every error, is PyYAML's. `duplicates`:
    receives `duplicate_keys` of a mapping PyYAML read (fastyaml declines any)."""
    data = fastyaml.parse(text)
    if data is not fastyaml.DECLINE:
        return data
    yaml, loader = _yaml()
    try:
        # Aliases are rare in specs; only pay for a token scan when the text could hold one.
        if "*" in text and "&" in text and _count_aliases(text) > MAX_ALIASES:
            raise FileIssue("yaml-syntax", f"more than {MAX_ALIASES} YAML aliases "
                            "(looks like an alias bomb)", line_offset + 1,
                            hint="write the values out instead of using anchors/aliases")
        has_aliases = "*" in text and "&" in text
        limits.check_depth(text, loader, line_offset, FileIssue)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - CSafeLoader is the safe loader
        bad = (limits.check_values(data, has_aliases)
               if has_aliases or limits.needs_value_check(text) else None)
        if bad is not None:
            path, message = bad
            line, col = locate(text, path, line_offset) if path else (None, None)
            raise FileIssue("yaml-syntax", message, line or line_offset + 1, col,
                            hint="write plain finite numbers and values out in full")
        if duplicates is not None and isinstance(data, dict):
            duplicates.extend(duplicate_keys(text, line_offset))
        return data
    except yaml.MarkedYAMLError as e:
        per_block = _block_errors(text, line_offset)
        if len(per_block) > 1:
            raise MultipleIssues(per_block) from None
        mark = _mark(e)
        line = mark.line + 1 + line_offset if mark else None
        col = mark.column + 1 if mark else None
        what = e.problem or "invalid YAML"
        if e.context:
            what = f"{what} ({e.context})"
        raise FileIssue("yaml-syntax", f"YAML syntax error: {what}", line, col) from None
    except yaml.YAMLError as e:
        raise FileIssue("yaml-syntax", f"YAML error: {e}", line_offset + 1) from None
    except RecursionError:
        raise FileIssue("yaml-syntax", "YAML nested too deeply", line_offset + 1) from None
    except ValueError as e:  # e.g. an integer of thousands of digits (CPython's int limit)
        line, col = limits.long_number_at(text)
        raise FileIssue("yaml-syntax", f"unreadable value: {str(e).split(';')[0]}",
                        (line or 1) + line_offset, col,
                        hint="write plain numbers of reasonable size") from None


def duplicate_keys(text: str, line_offset: int = 0) -> list[tuple[str, int, int]]:
    """(key, its first line, a later line) of each top-level key set twice in a mapping
    document (`priority: P1` … `"priority": P0`): YAML keeps the last one, silently. Only
    texts with a repeated key-like line at column 0 are composed to make sure."""
    names = [m.group(1) or m.group(2) or m.group(3) for m in _TOP_KEY.finditer(text)]
    if len(set(names)) == len(names):
        return []
    yaml, loader = _yaml()
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    first: dict[tuple, int] = {}
    out = []
    for k, _v in node.value:
        if isinstance(k, yaml.ScalarNode):
            line = k.start_mark.line + 1 + line_offset
            if (k.tag, k.value) in first:
                out.append((k.value, first[(k.tag, k.value)], line))
            else:
                first[(k.tag, k.value)] = line
    return out


# a line at column 0 that looks like `key:`, `"key":` or `'key':` (candidates only)
_TOP_KEY = re.compile(r"""^(?:"([^"\n]*)"|'([^'\n]*)'|([^\s#"'?:\-][^:\n]*?))[ \t]*:(?:[ \t]|$)""",
                      re.MULTILINE)


def _mark(e):
    """Where to point the user. The parser notices an unclosed `[`, `{` or quote only lines
    later (at the next key): point at where the unterminated thing started. Otherwise the
    problem's own position (a block mapping's start would be far from the mistake)."""
    started = e.context_mark is not None and (
        "end of stream" in (e.problem or "")
        or any(w in (e.context or "") for w in ("flow sequence", "flow mapping", "quoted scalar")))
    return e.context_mark if started else (e.problem_mark or e.context_mark)


class MultipleIssues(FileIssue):
    """Several independent syntax errors in one document (found block by block)."""

    def __init__(self, issues: list[FileIssue]):
        super().__init__(issues[0].rule, issues[0].message, issues[0].line, issues[0].column)
        self.issues = issues


def _block_errors(text: str, line_offset: int) -> list[FileIssue]:
    """Parse each top-level block (a line at column 0 plus its indented continuation) alone,
    so that every broken key is reported, not only the first one the parser meets."""
    yaml, loader = _yaml()
    lines = text.split("\n")
    starts = [i for i, ln in enumerate(lines)
              if ln[:1] not in ("", " ", "\t", "#", "-") or ln.startswith("---")]
    out = []
    for a, b in zip(starts, [*starts[1:], len(lines)], strict=False):
        chunk = "\n".join(lines[a:b])
        try:
            yaml.load(chunk, Loader=loader)  # noqa: S506
        except yaml.MarkedYAMLError as e:
            mark = _mark(e)
            what = e.problem or "invalid YAML"
            if e.context:
                what = f"{what} ({e.context})"
            out.append(FileIssue("yaml-syntax", f"YAML syntax error: {what}",
                                 a + mark.line + 1 + line_offset if mark else None,
                                 mark.column + 1 if mark else None))
        except yaml.YAMLError:
            pass
    return out


def locate(text: str, path: tuple, line_offset: int = 0) -> tuple[int | None, int | None]:
    """1-based (line, column) of the value at `path` (keys and list indexes) in a YAML text.

    Falls back to the deepest existing parent; (None, None) when even the first key is absent
    (so callers can look elsewhere, e.g. in the manifest). Never raises.
    """
    yaml, loader = _yaml()
    try:
        node = yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, RecursionError):
        return None, None
    best = node
    for key in path:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == key:
                    nxt = k if key == path[-1] else v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if 0 <= key < len(node.value):
                nxt = node.value[key]
        if nxt is None:
            if best is node and node is not None and key == path[0]:
                return None, None
            break
        best = node = nxt
    if best is None:
        return None, None
    return best.start_mark.line + 1 + line_offset, best.start_mark.column + 1

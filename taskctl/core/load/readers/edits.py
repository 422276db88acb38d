"""Writing a status change back in a dialect: only the bytes of the status value change.

Each helper re-reads the file (another tool may have written it since it was loaded), finds
the one value, replaces it, and writes the file atomically. Where the value cannot be found,
NotWritable says so (exit 2) and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from taskctl.core.files import atomic
from taskctl.core.load import safeyaml
from taskctl.core.load.readers import jsonpos, mdmeta, words
from taskctl.core.status import TaskStatus
from taskctl.errors import NotWritable

WORD = {  # how free-text dialects usually write each status
    TaskStatus.PENDING: "Pending", TaskStatus.IN_PROGRESS: "In Progress",
    TaskStatus.BLOCKED: "Blocked", TaskStatus.DEFERRED: "Deferred",
    TaskStatus.COMPLETED: "Done", TaskStatus.CANCELLED: "Cancelled",
    TaskStatus.COMPLETED_UNVERIFIED: "Done (unverified)"}
MARK = {TaskStatus.PENDING: "⬜", TaskStatus.IN_PROGRESS: "🔄", TaskStatus.BLOCKED: "⛔",
        TaskStatus.DEFERRED: "⏸", TaskStatus.COMPLETED: "✅", TaskStatus.CANCELLED: "❌",
        TaskStatus.COMPLETED_UNVERIFIED: "✅"}


def _refuse(task_id: str, why: str) -> NotWritable:
    return NotWritable(f"cannot write {task_id}'s status back: {why}",
                       "edit it by hand, or convert the tree with `taskctl convert --to tasks`")


def free_word(status: str, old: str) -> str:
    """The new status in the style of the old one (an emoji prefix is kept as an emoji)."""
    word = WORD[TaskStatus(status)]
    old = old.strip()
    if old and old[0] in MARKS:
        return f"{MARK[TaskStatus(status)]} {word}"
    if old.startswith("**") and old.endswith("**"):
        return f"**{word}**"
    return word


def replace_span(path: Path, root: Path, text: str, span: tuple[int, int], new: str) -> bool:
    if text[span[0]:span[1]] == new:
        return False
    atomic.write_text(path, text[:span[0]] + new + text[span[1]:])
    return True


def markdown_status(path: Path, root: Path, task_id: str, status: str,
                    word: Callable[[str, str], str] = free_word) -> bool:
    """Rewrite the status value of a Markdown task (front matter line, `**Status:**` line or
    table cell), in the style it was written in."""
    text = safeyaml.read_text(path, root)
    md = mdmeta.read(text)
    span = md.spans.get("status")
    if span is None:
        raise _refuse(task_id, f"{path.name} has no status line or cell to change")
    old = text[span[0]:span[1]]
    quoted = old[:1] in "'\"" and old[-1:] == old[:1] and len(old) > 1
    new = word(status, old.strip("'\"") if quoted else old)
    return replace_span(path, root, text, span, f"{old[0]}{new}{old[0]}" if quoted else new)


def json_status(path: Path, root: Path, task_id: str, find: Callable[[jsonpos.Doc], dict | None],
                value, key: str = "status") -> bool:
    """Set `key` of the object `find(doc)` returns; every other byte of the file is kept."""
    text = safeyaml.read_text(path, root, limit=safeyaml.MAX_MANIFEST_BYTES)
    try:
        doc = jsonpos.parse(text)
    except jsonpos.JsonError as e:
        raise _refuse(task_id, f"{path.name} is not valid JSON ({e.msg})") from None
    obj = find(doc)
    if obj is None:
        raise _refuse(task_id, f"its entry is no longer in {path.name}")
    if key not in obj:
        raise _refuse(task_id, f"its entry in {path.name} has no {key!r} to change")
    if obj[key] == value:
        return False
    atomic.write_text(path, jsonpos.set_member(text, doc, obj, key, value))
    return True


_YAML_STATUS = re.compile(r"^(status[ \t]*:[ \t]*)(.*?)([ \t]*(?:#.*)?)$", re.MULTILINE)


def yaml_status(path: Path, root: Path, task_id: str, new: str) -> bool:
    """Replace the value of the top-level `status:` line of a plain YAML task file."""
    text = safeyaml.read_text(path, root)
    m = _YAML_STATUS.search(text)
    if m is None:
        raise _refuse(task_id, f"{path.name} has no top-level status line")
    old = m.group(2)
    quote = old[0] if old[:1] in "'\"" else ""
    return replace_span(path, root, text, m.span(2), f"{quote}{new}{quote}")


def _style(word: str) -> tuple[bool, bool]:
    return (word[:1] in MARKS, word.isascii())


MARKS = "".join(words.EMOJI) + "⬜⏸"


def tree_word(bl, status: str, old: object) -> str:
    """The word this tree already uses for `status` in the style of the old value (emoji or
    not, English or not), else one in that style: canonical for lower-case stores, a
    title-case word otherwise."""
    from collections import Counter

    old = old.strip() if isinstance(old, str) else ""
    seen = Counter(raw.strip() for t in bl.tasks.values()
                   if isinstance(raw := t.front_matter.get("status"), str)
                   and not isinstance(raw, TaskStatus)  # set by a reader, not written
                   and words.status_of(raw) == status)
    alike = [w for w, _ in seen.most_common() if not old or _style(w) == _style(old)]
    if alike:
        return alike[0]
    if old and old == old.lower() and old.isascii():
        return str(status)
    return free_word(status, old)


def json_file_status(bl, task, status: str) -> bool:
    """Write `status` into a task stored as one JSON object per file, in the tree's own word
    (the readers that keep one task per file share this)."""
    new = tree_word(bl, status, task.front_matter.get("status"))
    return json_status(task.path, bl.root, task.id, lambda d: d.value, new)

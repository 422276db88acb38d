"""A stored plan answer's text (`cache.put` wrote it: JSON with ASCII escapes) put right in
place for what an early cutoff found (`replan.py`, `restatus.py`): its key, its problem
counts, and the rows that show an edited task's title — without parsing and writing the
document again (≈ 1 MB on 10,000 tasks)."""

from __future__ import annotations

import json
import re

from taskctl.core.plan import cache

TITLED = ("next", "ready")  # whose rows show tasks' titles (`status` shows milestones' only)
_HEAD = re.compile(rb'\{"key":"([0-9a-f]+)","payload":\{"problems":\[(\d+),(\d+)\],')


def counts(blob: bytes, key: str) -> tuple[int, int] | None:
    """(errors, warnings) the stored answer `blob` under `key` counts; None when it is not
    one."""
    head = _HEAD.match(blob)
    if head is None or head.group(1).decode() != key:
        return None
    return int(head.group(2)), int(head.group(3))


def retitled(blob: bytes, key: str, new_key: str, errors: int, warnings: int,
             titles: list[tuple[str, str, str]], command: str) -> bytes | None:
    """The answer `blob` (under `key`) stored under `new_key`, counting `errors` and
    `warnings`, each row that shows a task's title (id, title then, title now) showing the
    new one (a row begins with the task's id, then its title; a string's text never holds a
    bare quote); None when `blob` is not that answer."""
    head = _HEAD.match(blob)
    if head is None or head.group(1).decode() != key:
        return None
    text = b'{"key":"%s","payload":{"problems":[%d,%d],' % (new_key.encode(), errors,
                                                               warnings) + blob[head.end():]
    for tid, was, now in titles if command in TITLED else ():
        text = text.replace(_row_head(tid, was), _row_head(tid, now))
    return text


def _row_head(tid: str, title: str) -> bytes:
    return f'{{"id":{json.dumps(tid)},"title":{json.dumps(title)},'.encode("ascii")


def answer(blob: bytes, key: str) -> dict | None:
    """The stored plan answer in `blob` (`cache.put`'s document), when it is one."""
    try:
        doc = cache.own_json(blob)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("key") != key:
        return None
    doc = doc.get("payload")
    if not isinstance(doc, dict) or not {"problems", "report"} <= doc.keys():
        return None
    report = doc["report"]
    if not isinstance(report, dict) or report.get("dialect") != "tasks":
        return None
    return doc

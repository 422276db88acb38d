"""The one JSON writer: every --json document carries `schema_version`.

Documents are written as `json.dumps(..., indent=2, ensure_ascii=False, default=str)` writes
them, by the indented writer state files use too (`core/files/jsonwrite.py`: CPython 3.11's
json encodes an indented document in Python, ≈ 210 ms of a 10,000-task `list --json`).
"""

from __future__ import annotations

from taskctl.core.files import jsonwrite

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1


def document(payload: dict[str, Any]) -> str:
    return pretty({"schema_version": SCHEMA_VERSION, **payload})


def error(message: str, hint: str | None, code: int) -> str:
    return document({"error": message, "hint": hint, "exit_code": code})


def pretty(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False, default=str)`, faster."""
    return jsonwrite.dumps(value, 2, default=str)

"""The one JSON writer: every --json document carries `schema_version`."""

from __future__ import annotations

import json
from typing import Any

SCHEMA_VERSION = 1


def document(payload: dict[str, Any]) -> str:
    return json.dumps({"schema_version": SCHEMA_VERSION, **payload}, indent=2,
                      ensure_ascii=False, default=str)


def error(message: str, hint: str | None, code: int) -> str:
    return document({"error": message, "hint": hint, "exit_code": code})

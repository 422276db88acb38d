"""Progress of a verify or gate pass, as typed events for an injected observer.

The core never draws: it calls `observer(kind, task_id, item)`; the CLI passes a renderer
(`render/verify_progress.py`), tests may pass a list's append.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol


class Event(StrEnum):
    TASK_START = "task_start"  # item: None
    ITEM_START = "item_start"  # item: the AcceptanceItem about to run
    ITEM_END = "item_end"  # item: its ItemResult
    TASK_END = "task_end"  # item: None


class Observer(Protocol):
    def __call__(self, kind: Event, task: str, item: Any | None) -> None: ...

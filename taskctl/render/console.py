"""Rich consoles: stdout for results, stderr for progress and diagnostics. NO_COLOR respected
(rich reads it), and plain text when the stream is not a terminal."""

from __future__ import annotations

import os
from functools import cache


@cache
def stdout():
    from rich.console import Console

    return Console(highlight=False, no_color=_no_color(), soft_wrap=True)


@cache
def stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False, no_color=_no_color())


def _no_color() -> bool:
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""

"""Rich consoles: stdout for results, stderr for progress and diagnostics. NO_COLOR respected
(no ANSI escapes at all: no colour, bold or dim), and plain text when the stream is not a
terminal. `emoji=False`: text from task files is shown as written (rich would turn a title's
`:bug:` into an emoji)."""

from __future__ import annotations

import os
import sys
from functools import cache


@cache
def stdout():
    from rich.console import Console

    c = Console(highlight=False, emoji=False, no_color=_no_color(), soft_wrap=True,
                color_system=None if _no_color() else "auto")
    c.on_broken_pipe = reader_gone  # not rich's own exit: taskctl chooses its exit codes
    return c


def width() -> int:
    """The width rich draws stdout's views at."""
    return stdout().width


GONE: list[bool] = []  # set when stdout's reader went away (a `| head` that has read enough)


def reader_gone() -> None:
    """stdout's reader is gone: what is still written goes to /dev/null, and the
    BrokenPipeError goes on to the entry point, which ends the command without an error
    (`cli/quick.py`, `cli/app.py`)."""
    GONE.append(True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise BrokenPipeError("stdout's reader is gone")


@cache
def stderr():
    from rich.console import Console

    # soft_wrap: a progress or warning line stays one line in a pipe or CI log (never broken
    # mid-sentence at 80 columns); a terminal wraps it by itself
    return Console(stderr=True, highlight=False, emoji=False, no_color=_no_color(), soft_wrap=True,
                   color_system=None if _no_color() else "auto")


def _no_color() -> bool:
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""

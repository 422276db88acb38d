"""What the command modules share: the ``--debug`` flag, stderr printing, option helpers."""

from __future__ import annotations

import sys
from typing import Any

import typer


class _State:
    debug = False  # set by any --debug flag; read by training.cli.main when an error escapes


state = _State()


def _remember_debug(value: bool) -> bool:
    if value:
        state.debug = True
    return value


def debug_option() -> Any:
    """``--debug``: show tracebacks instead of one-line errors."""
    return typer.Option(False, "--debug", help="Show tracebacks.", callback=_remember_debug)


def set_option() -> Any:
    """``--set key=value`` (repeatable): a config override."""
    return typer.Option([], "--set", help="Config override key=value (repeatable).")


def eprint(text: str) -> None:
    """Progress and messages go to stderr; results to stdout."""
    print(text, file=sys.stderr, flush=True)

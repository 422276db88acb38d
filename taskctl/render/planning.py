"""Planning reports (`next`, `ready`, `critical-path`) on the terminal or as JSON, and the
warnings that go with them. Shared by the typer commands and the typer-free fast entry, so
both print byte-identical output."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any


def warn(line: str) -> None:
    """One warning line on stderr (yellow on a terminal unless NO_COLOR)."""
    color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    sys.stderr.write(f"\x1b[33m{line}\x1b[0m\n" if color else line + "\n")


def warn_problems(doc: dict) -> None:
    """The stderr lines every read answer shares: spec problems and files not read."""
    errors, warnings = doc["problems"]
    if errors or warnings:
        warn(f"taskctl: {errors} error(s) and {warnings} warning(s) in the specs; planning on "
             "what could be loaded (see `taskctl validate`)")
    if doc.get("unread"):
        warn(f"taskctl: {doc['unread']} file(s) look like tasks but were not read "
             "(`taskctl validate` lists them)")


def warn_doc(doc: dict) -> None:
    """The stderr lines of a cached or computed planning document."""
    warn_problems(doc)
    rep = doc["report"]
    if rep.get("tasks_total") == 0:
        warn(f"taskctl: no tasks found (read as the {rep.get('dialect', 'tasks')} dialect)")
    for w in rep.get("warnings", []):
        warn(f"taskctl: warning: {w}")


def show(command: str, rep: dict, opts: dict[str, Any]) -> None:
    """Print a planning report the way the command's options ask."""
    if command == "next":
        n = int(opts.get("n", 5))
        if n > 0:
            rep = {**rep, "tasks": rep["tasks"][:n]}
        if not opts.get("explain"):
            rep = {k: v for k, v in rep.items() if k != "not_listed"}
    elif command == "ready" and not opts.get("waves"):
        first = rep["waves"][0]["tasks"] if rep["waves"] else []
        rep = {**rep, "waves": [{"wave": 1, "tasks": [t for t in first if not t["held_by"]],
                                 "weight": rep["waves"][0]["weight"]}] if first else []}
    if opts.get("json"):
        from taskctl.render.jsonout import document

        sys.stdout.write(document(rep) + "\n")
        sys.stdout.flush()
        return
    from taskctl.render import blocks, console, plain

    width = plain.width()  # None: rich draws (a terminal in colour, ...)
    w = width or console.width()
    view = {"next": lambda r: blocks.next_view(r, w, bool(opts.get("explain"))),
            "ready": lambda r: blocks.waves_view(r, w),
            "critical-path": lambda r: blocks.cpm_view(r, w)}[command](rep)
    # tables fit the width; prose lines stay whole (soft wrap)
    if width is None or not plain.write(view, width, soft_wrap=True):
        print_rich(view, soft_wrap=True)


def print_rich(view, soft_wrap: bool) -> None:
    """A `render/blocks.py` view printed by rich on taskctl's stdout console."""
    from taskctl.render.console import stdout
    from taskctl.render.tables import to_rich

    stdout().print(to_rich(view), soft_wrap=soft_wrap)

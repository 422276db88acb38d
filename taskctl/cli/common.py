"""Shared CLI plumbing: the state passed between commands, backlog loading, output helpers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from taskctl.cli import options
from taskctl.cli.options import Opt

if TYPE_CHECKING:
    from taskctl.core.model import Backlog


def opt(o: Opt):
    """A typer option built from its one definition in `cli/options.py`."""
    return typer.Option(*o.names, help=o.help)


JsonOpt = Annotated[bool, opt(options.JSON)]
WeightOpt = Annotated[str, opt(options.WEIGHT)]


def check_weight(weight: str) -> None:
    from taskctl.core.plan.estimates import WEIGHT_CHOICES

    if weight not in WEIGHT_CHOICES:
        from taskctl.errors import UsageError

        raise UsageError(f"unknown --weight {weight!r}", f"choose {'|'.join(WEIGHT_CHOICES)}")


RAW_ARGS: list[str] = []  # this invocation's arguments, set by `app.main`


@dataclass
class State:
    tasks_dir: str | None
    debug: bool = False
    dialect: str | None = None  # --format NAME: force a reader instead of detecting

    def root(self) -> Path:
        from taskctl.core.load.discovery import discover

        return discover(self.tasks_dir)

    def backlog(self, warn: bool = True, bodies: bool = True,
                body_of: str | None = None) -> Backlog:
        """Load the backlog; planning commands print its problems to stderr as warnings.
        `body_of`: only that task's body is needed (`loader.load_one_body`)."""
        from taskctl.core.load.loader import load, load_one_body

        bl = (load_one_body(self.root(), body_of, self.dialect) if body_of is not None
              else load(self.root(), bodies=bodies, dialect=self.dialect))
        if warn and bl.problems:
            warn_problems(bl)
        return bl


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def warn_problems(bl: Backlog) -> None:
    from rich.markup import escape

    from taskctl.render.console import stderr

    errs = len(bl.errors)
    stderr().print(f"[yellow]taskctl: {errs} error(s) and {len(bl.problems) - errs} warning(s) "
                   "in the specs; planning on what could be loaded "
                   "(see `taskctl validate`)[/yellow]")
    if bl.unread:
        stderr().print(f"[yellow]taskctl: {len(bl.unread)} file(s) under "
                       f"{escape(bl.rel(bl.root))} look like tasks but were not read "
                       f"(`taskctl validate` lists them)[/yellow]")


def emit_json(payload: dict) -> None:
    from taskctl.render.jsonout import document

    typer.echo(document(payload))

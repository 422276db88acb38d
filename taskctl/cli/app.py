"""The `taskctl` command line: global options, command registration, and the ONE place where
errors become messages and exit codes (see taskctl/errors.py for the codes)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from taskctl import __version__
from taskctl.cli.common import RAW_ARGS, State
from taskctl.errors import ExitCode, TaskctlError, UsageError

app = typer.Typer(
    name="taskctl",
    help="Task specs whose 'done' is proven: validate, plan, verify and gate a .tasks backlog.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module defines `register(app)`. One module per command group.
COMMAND_MODULES = ("validate", "plan", "status", "verify", "ecosystem", "keys", "dialects",
                   "lifecycle", "agents", "serve")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"taskctl {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    tasks_dir: Annotated[str | None, typer.Option(
        "--tasks-dir", envvar="TASKCTL_DIR", metavar="PATH",
        help="The .tasks directory (default: nearest .tasks/ upward from cwd).")] = None,
    dialect: Annotated[str | None, typer.Option(
        "--format", "--dialect", envvar="TASKCTL_FORMAT", metavar="NAME",
        help="Read the store as this dialect instead of detecting it (`taskctl formats` "
        "lists them). Give --format before the command; --dialect works anywhere.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    if dialect is not None:
        from taskctl.core.load.readers.registry import DIALECTS

        if dialect not in DIALECTS:
            raise UsageError(f"unknown format {dialect!r}", f"choose one of: "
                             f"{', '.join(DIALECTS)}")
    ctx.obj = State(tasks_dir=tasks_dir, debug=debug, dialect=dialect)


for _name in COMMAND_MODULES:
    importlib.import_module(f"taskctl.cli.{_name}").register(app)


GLOBAL_VALUE_OPTIONS = ("--tasks-dir", "--dialect")  # not --format: `graph --format`
GLOBAL_FLAGS = ("--debug",)


def hoist_globals(args: list[str]) -> list[str]:
    """Accept global options anywhere (`taskctl validate --tasks-dir X` as well as
    `taskctl --tasks-dir X validate`) by moving them in front of the subcommand."""
    front, rest, i = [], [], 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        if a in GLOBAL_VALUE_OPTIONS and i + 1 < len(args):
            front += [a, args[i + 1]]
            i += 2
            continue
        if any(a.startswith(o + "=") for o in GLOBAL_VALUE_OPTIONS) or a in GLOBAL_FLAGS:
            front.append(a)
        else:
            rest.append(a)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and map errors to exit codes, in this one place
    (the table is `taskctl.errors.ExitCode`).

    Usage errors found by the option parser exit 2 (typer/click's own convention, = USAGE).
    """
    from taskctl.cli.process import fewer_collections

    fewer_collections()
    args = hoist_globals(sys.argv[1:] if argv is None else list(argv))
    RAW_ARGS[:] = args  # for options whose interleaving matters (`new --acceptance/--run`)
    debug = "--debug" in args or os.environ.get("TASKCTL_DEBUG") == "1"
    try:
        app(args=args, prog_name="taskctl")
    except TaskctlError as e:
        if debug:
            raise
        if not e.reported:
            _report(e.message, e.hint, e.exit_code, "--json" in args)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        interrupted()
    except BrokenPipeError as e:
        from taskctl.render.console import GONE

        if GONE:  # stdout's reader had read enough (`| head`): no error
            sys.exit(ExitCode.OK)
        if debug:
            raise
        _unexpected(e, args)  # another pipe than stdout's: an error like any other
    except Exception as e:  # noqa: BLE001 - the last line of defence: no tracebacks for users
        if debug:
            raise
        _unexpected(e, args)


def _unexpected(e: Exception, args: list[str]) -> None:
    """Exit for an exception no command reported: the system's refusal of a file (2), else a
    bug (70)."""
    refused = _refused(e) if isinstance(e, OSError) else None
    if refused is not None:  # permissions, a full disk: the environment, not a bug
        _report(refused, "check the file's permissions and the disk; a change left "
                "half-done is finished by the next taskctl write", ExitCode.USAGE,
                "--json" in args)
        sys.exit(ExitCode.USAGE)
    _report(f"internal error: {type(e).__name__}: {e}",
            "this is a bug in taskctl; rerun with --debug and report the traceback",
            ExitCode.INTERNAL, "--json" in args)
    sys.exit(ExitCode.INTERNAL)


# the system's refusals of a file taskctl had to read or write: the environment, not a bug
_REFUSALS = ("EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT")


def _refused(e: OSError) -> str | None:
    """The one-line error for `e` when the system refused a file (permissions, a read-only or
    full disk, a quota: exit 2, USAGE's "a file that cannot be read" or written), else None."""
    import errno

    if e.errno is None or errno.errorcode.get(e.errno) not in _REFUSALS:
        return None
    return (f"{e.filename}: " if e.filename else "") + (e.strerror or str(e))


def interrupted() -> None:
    """Ctrl-C: one line and the documented code (also for the fast entry, cli/quick.py)."""
    print("taskctl: interrupted", file=sys.stderr)
    sys.exit(ExitCode.INTERRUPTED)


def _report(message: str, hint: str | None, code: int, as_json: bool) -> None:
    if as_json:
        from taskctl.render.jsonout import error

        print(error(message, hint, code))
    print(f"taskctl: error: {message}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)

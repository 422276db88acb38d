"""`taskctl serve start|run|stop|status`: a resident process that answers the read commands of
one store from memory (`cli/resident.py`, docs/planning.md "A resident process")."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated

import typer

from taskctl.cli.common import JsonOpt, emit_json, state
from taskctl.errors import LockBusy, UsageError

serve_app = typer.Typer(help="A resident process that answers the read commands from memory.",
                        no_args_is_help=True)
IDLE = typer.Option("--idle", metavar="MINUTES", min=0.01,
                    help="Stop after this long without a question.")
START_WAIT = 60.0  # seconds for a started server to answer (its first load of a large store)


def register(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")


def _status(root) -> dict | None:
    from taskctl.core.resident import channel

    return channel.request(str(root), {"op": "status"}, timeout=5.0)


def _supported() -> None:
    from taskctl.core.resident import channel

    if not channel.supported():
        raise UsageError("`taskctl serve` needs Linux (inotify, abstract Unix sockets)",
                         "the read commands work without it")


@serve_app.command("run")
def run(ctx: typer.Context, idle: Annotated[float, IDLE] = 60.0) -> None:
    """Serve the store in the foreground until stopped (Ctrl+C, `serve stop`, SIGTERM)."""
    from taskctl.cli.resident import AlreadyServed, Server, Unmarked
    from taskctl.core.resident.watch import Unwatchable

    _supported()
    root = state(ctx).root()
    _watchable(root)
    try:
        server = Server(root, idle * 60)
    except AlreadyServed:
        raise LockBusy(f"{root} is served already",
                       "`taskctl serve status` shows by whom") from None
    except Unwatchable as e:  # a link that appeared since the check above
        raise _cannot_watch(root, e) from None
    except Unmarked as e:
        raise UsageError(f"{e}: clients would not find the server",
                         "serve a store you can write to (and a user with a cache key)"
                         ) from None
    print(f"taskctl serve: serving {root} (pid {os.getpid()})", file=sys.stderr, flush=True)
    why = server.run()
    print(f"taskctl serve: stopped ({why})", file=sys.stderr, flush=True)


@serve_app.command("start")
def start(ctx: typer.Context, idle: Annotated[float, IDLE] = 60.0,
          as_json: JsonOpt = False) -> None:
    """Start a server in the background (nothing happens when one runs already)."""
    from taskctl.core.files.sealed import CACHE_DIR

    _supported()
    root = state(ctx).root()
    st = _status(root)
    if st is None:
        from taskctl.cli import autoserve

        _watchable(root)  # said here, in one line, rather than in the server's log
        _confined_log(root)
        log = root / CACHE_DIR / "serve.log"
        proc = autoserve.spawn(root, idle)
        if proc is None:
            raise UsageError(f"the server could not be started for {root}",
                             "run `taskctl serve run` in the foreground to see why")
        deadline = time.monotonic() + START_WAIT
        while st is None and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            st = _status(root)
        if st is None:
            raise UsageError(f"the server did not start for {root}: {_last_line(log)}",
                             f"see {log}, or run `taskctl serve run` in the foreground")
        started = True
    else:
        started = False
    if as_json:
        emit_json({"started": started, **st})
        return
    print(f"{'started' if started else 'already serving'}: {root} (pid {st['pid']})")


def _confined_log(root) -> None:
    """Refuse (in one line) a store whose `.cache/serve.log` would be written through a link
    out of the tree (`files/paths.py`): the server could not leave its marker there either."""
    from taskctl.core.files.paths import confined
    from taskctl.core.files.sealed import CACHE_DIR
    from taskctl.errors import UnsafePath

    try:
        confined(root, CACHE_DIR, "serve.log")
    except UnsafePath as e:
        raise UsageError(f"cannot serve {root}: {e.message}", e.hint) from None


def _watchable(root) -> None:
    from taskctl.core.resident.watch import Unwatchable, Watcher

    try:
        Watcher(str(root)).close()
    except Unwatchable as e:
        raise _cannot_watch(root, e) from None


def _cannot_watch(root, e: Exception) -> UsageError:
    return UsageError(f"cannot watch {root}: {e}", "the read commands work without it")


def _last_line(log) -> str:
    """What the server said last (its error, when it could not start)."""
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    errors = [x for x in lines if x.startswith("taskctl: error: ")]
    return errors[-1].removeprefix("taskctl: error: ") if errors else "it said nothing"


@serve_app.command("stop")
def stop(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Stop the store's server (nothing happens when none runs)."""
    from taskctl.cli import autoserve
    from taskctl.core.resident import channel

    root = state(ctx).root()
    autoserve.claim(root, hold=True)  # a read does not start another one at once
    st = _status(root)
    if st is not None:
        channel.request(str(root), {"op": "stop"}, timeout=5.0)
        deadline = time.monotonic() + 10.0
        while _status(root) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    if as_json:
        emit_json({"stopped": st is not None, "pid": st and st["pid"]})
        return
    print(f"stopped: {root} (pid {st['pid']})" if st else f"not serving: {root}")


@serve_app.command("status")
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Whether a server answers for the store, and what it holds."""
    root = state(ctx).root()
    st = _status(root)
    if as_json:
        emit_json({"running": st is not None, **(st or {"root": str(root)})})
        return
    if st is None:
        print(f"not serving: {root}")
        return
    print(f"serving {st['root']} (pid {st['pid']}, up {st['uptime_s']:g} s): "
          f"{st['tasks'] if st['tasks'] is not None else '?'} tasks, "
          f"{st['changes']} change(s) seen, {st['answered']} answer(s) given")

"""Process-wide settings of a taskctl run, shared by both entries (`quick.main`, `app.main`)."""

from __future__ import annotations

import gc


def fewer_collections() -> None:
    """A short-lived process that builds large object graphs which stay alive (a 10,000-task
    backlog, its plan): collecting every 700 allocations cost ~20 % of the CPU."""
    gc.set_threshold(max(gc.get_threshold()[0], 50_000), *gc.get_threshold()[1:])


def short_lived(on: bool) -> None:
    """Whether this process is a read command that exits once it has answered (the console
    script's read answers, not a writer, not `app.main` called in-process by a host): work
    that may outlive the answer is then forked off, and what it is done with is held to the
    exit (`core/load/__init__.py`). Turned off, what was held is freed and what was left for
    the exit is stored now: the full CLI that takes over loads again (and finds it), a host
    goes on with what it loaded."""
    import sys

    import taskctl.core.load

    taskctl.core.load.SHORT_LIVED = on
    if not on:  # the process goes on: what a read answer held for its exit is freed now
        taskctl.core.load.release_held()
    stored = sys.modules.get("taskctl.core.load.snapshot")  # not imported: nothing pending
    if not on and stored is not None:
        stored.flush()


def leave(code: object) -> None:
    """End a console-script run as the interpreter would, minus its teardown.

    At exit CPython frees every object still alive one by one: 2.3 s after a `sync` of 100,000
    entries (1.1 GB of tasks, manifest and entries), about 4 ms after any command (its
    modules). A command has nothing left to do by then but what `atexit` holds (the stored
    backlog's fork, coverage, temporary folders) and the standard streams' buffers; so those
    run and are flushed, and the process ends with `os._exit` and the code `SystemExit`
    carried (this chooses none: cli/app.py does). The interpreter's own exit is taken for a
    message instead of a code, with another thread still running (it waits for it) and when a
    stream cannot be flushed (it reports that)."""
    import os
    import sys

    threading = sys.modules.get("threading")  # not imported: no thread was started with it
    if (threading is not None and threading.active_count() > 1) or not (
            code is None or isinstance(code, int)):
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:  # the reader went away: as quick.main treats it, no error
            pass
        except (OSError, ValueError):
            sys.exit(code)
    os._exit(code or 0)

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
    that may outlive the answer is then forked off (`core/load/__init__.py`)."""
    import taskctl.core.load

    taskctl.core.load.SHORT_LIVED = on

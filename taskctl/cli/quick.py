"""The console script: the read commands' answers without typer, else the full CLI.

Importing typer and registering every command costs more than the whole cached answer
(`taskctl next` is what people and agents call constantly) and ~0.2 s of a computed one.
`main()` recognises the plain forms of `next`, `ready`, `critical-path`, `status`, `list`,
`show` and a passing `validate` with the option table the typer commands are built from
(`cli/options.py`), takes the answer from the content-keyed cache (`core/plan/cache.py`) or
computes and stores it with the same code the typer commands use (`cli/answers.py`), prints it
with the same renderer (`render/planning.py`, `cli/answers.py`) and exits; what it drew is
kept (`cli/replay.py`), so the next identical call in the same terminal writes those bytes
without importing rich (unless the drawing judged claims or leases by the clock). Anything else
(--help, an unknown option, any error while computing, a failing validate) goes to the full
CLI, which reports errors with their exit codes as usual.
"""

from __future__ import annotations

import os
import sys


def answer(argv: list[str]) -> bool:
    """Print the cached answer for `argv` and return True; False when the full CLI must run."""
    from taskctl.cli.options import parse

    parsed = parse(argv)
    if parsed is None:
        return False
    command, opts, tasks_dir = parsed
    if os.environ.get("TASKCTL_FORMAT") or os.environ.get("TASKCTL_TAG"):
        return False  # a forced dialect or tag: the full CLI keys the cache with it
    from taskctl.core.load.discovery import find

    try:  # a string: a replayed answer needs no pathlib (nor taskctl.errors)
        root = find(tasks_dir)
    except Exception:  # noqa: BLE001 - no store, an unsafe link: the full CLI reports it
        return False
    from taskctl.cli.replay import Entry
    from taskctl.core.files import treewalk
    from taskctl.core.load import hold_to_exit
    from taskctl.core.plan import cache

    resident = None
    if cache.enabled() and cache.marked(root):  # `taskctl serve` watches the store
        from taskctl.core.resident import channel

        resident = channel.connect(root)
    # one walk of the store for both cache lookups, the listing of task files, the stored
    # backlog's stat keys and the files-not-read scan (`core/files/treewalk.py`)
    with treewalk.held(keep=hold_to_exit):  # its listing freed by the exit, not here
        if resident is not None:
            cache.pin(root, resident.token)  # the server's token stands for the walk
        entry = Entry(root, command, opts)
        # drawn before and nothing changed: the same bytes, no rich
        done = entry.replay() or _draw(entry, root, command, opts, resident)
        # a large store (or one told to): its server started for next time; a small one
        # does not even import the check (warm reads run near the interpreter's floor)
        if done and resident is None and (cache.files_seen(root) >= cache.LARGE
                                          or os.environ.get("TASKCTL_SERVE")):
            from taskctl.cli import autoserve

            autoserve.after_read(root)
        return done


def _draw(entry, root, command: str, opts: dict, resident=None) -> bool:
    """The answer (cached, else computed — by the store's resident process when one runs —
    and stored) drawn with rich, and the drawing kept for `replay` when it does not depend
    on the clock."""
    from pathlib import Path

    from taskctl.cli.options import PLANNING
    from taskctl.cli.process import fewer_collections

    fewer_collections()
    root = Path(root)  # what the loader and the answers take
    from taskctl.cli import answers

    if command not in PLANNING:  # status, list, show, validate: cli/answers.py
        try:
            # cached, else computed (by the resident process when one runs) and stored
            view = answers.answer(root, command, opts, resident=resident)
        except Exception:  # noqa: BLE001 - an unknown id, a bug: the full CLI reports it
            return False
        if command == "validate":
            if answers.validate_failed(view, opts["strict"]):
                answers.hand_over(root, command, opts, view)
                return False  # exit 1: the full CLI (answered from the same cache)
            with entry.record():
                answers.render_validate(view, opts)
            entry.store()
            return True
        view = answers.live(root, command, view)  # claims and leases judged now
        with entry.record():
            answers.render(command, view, opts)
        if answers.clock_free(command, view, opts):
            entry.store()
        return True
    try:  # cached, else from the resident process (the part drawn), else computed and stored
        doc = answers.planned(root, command, opts["weight"], resident=resident,
                              view=answers.view(command, opts))
    except Exception:  # noqa: BLE001 - the full CLI reports errors with their exit codes
        return False
    from taskctl.render.planning import show, warn_doc

    with entry.record():
        warn_doc(doc)
        show(command, doc["report"], opts)
    if answers.clock_free(command, doc, opts):
        entry.store()
    return True


def main() -> None:
    """Console entry point: the cached fast path, else the full CLI (taskctl.cli.app.main).

    When the program's `__main__` imported this function (the console script, `python -m
    taskctl`, a `python -c` launcher) the process ends here, through `process.leave`: the
    code `SystemExit` carries, without the interpreter's teardown. Called from elsewhere (a
    host, a test in-process) it returns or raises `SystemExit` as before."""
    if getattr(sys.modules.get("__main__"), "main", None) is not main:
        try:
            _main()
        finally:  # the host goes on: not a short-lived read answer any more
            from taskctl.cli.process import short_lived

            short_lived(False)
        return
    from taskctl.cli.process import leave

    try:
        _main()
    except SystemExit as e:
        leave(e.code)
    leave(0)


def _main() -> None:
    from taskctl.cli.process import short_lived

    short_lived(True)  # a read answer: nothing it loads is changed before the process ends
    try:
        if answer(sys.argv[1:]):
            return
    except KeyboardInterrupt:  # as the full CLI says it, with its exit code
        from taskctl.cli.app import interrupted

        interrupted()
    except BrokenPipeError:
        return
    short_lived(False)  # writers change what they loaded: their loads are stored in line
    try:
        from taskctl.cli import fastwrite  # one-task writes (claim, set, log) without typer

        if fastwrite.answer(sys.argv[1:]):
            return
    except BrokenPipeError:
        return
    from taskctl.cli.app import main as full

    full()


if __name__ == "__main__":
    main()

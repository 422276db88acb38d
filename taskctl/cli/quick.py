"""The console script: cached answers of the read commands without typer, else the full CLI.

Importing typer and registering every command costs more than the whole cached answer
(`taskctl next` is what people and agents call constantly). `main()` recognises the plain
forms of `next`, `ready`, `critical-path`, `status`, `list`, `show` and a passing `validate`
with the option table
the typer commands are built from (`cli/options.py`) and, when the content-keyed cache
(`core/plan/cache.py`) has the answer, prints it with the same renderer (`render/planning.py`,
`cli/answers.py`) and exits. Anything else (a
miss, --help, an unknown option, an error) goes to the full CLI, which computes, caches and
reports errors as usual.
"""

from __future__ import annotations

import os
import sys


def answer(argv: list[str]) -> bool:
    """Print the cached answer for `argv` and return True; False when the full CLI must run."""
    from taskctl.cli.options import PLANNING, parse

    parsed = parse(argv)
    if parsed is None:
        return False
    command, opts, tasks_dir = parsed
    if os.environ.get("TASKCTL_FORMAT") or os.environ.get("TASKCTL_TAG"):
        return False  # a forced dialect or tag: the full CLI keys the cache with it
    from taskctl.core.load.discovery import discover
    from taskctl.core.plan import cache
    from taskctl.errors import TaskctlError

    try:
        root = discover(tasks_dir)
    except TaskctlError:
        return False
    if command not in PLANNING:  # status, list, show, validate: cli/answers.py
        from taskctl.cli import answers

        _, view = answers.cached(root, command, opts)
        if view is None:
            return False
        if command == "validate":
            if answers.validate_failed(view, opts["strict"]):
                return False  # exit 1: the full CLI (answered from the same cache)
            answers.render_validate(view, opts)
            return True
        answers.render(command, view, opts, root)
        return True
    _, doc = cache.get(root, command, {"weight": opts["weight"]})
    if not isinstance(doc, dict) or not {"problems", "report"} <= doc.keys():
        return False
    from taskctl.render.planning import show, warn_doc

    warn_doc(doc)
    show(command, doc["report"], opts)
    return True


def main() -> None:
    """Console entry point: the cached fast path, else the full CLI (taskctl.cli.app.main)."""
    try:
        if answer(sys.argv[1:]):
            return
        from taskctl.cli import fastwrite  # one-task writes (claim, set, log) without typer

        if fastwrite.answer(sys.argv[1:]):
            return
    except BrokenPipeError:
        return
    from taskctl.cli.app import main as full

    full()


if __name__ == "__main__":
    main()

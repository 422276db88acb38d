"""Cached planning answers without typer: `next`, `ready`, `critical-path` on a cache hit.

Importing typer and registering every command costs more than the whole cached answer
(`taskctl next` is what people and agents call constantly; target <= 150 ms). `main()` here
parses the few plain forms of these commands itself and, when the content-keyed cache
(taskctl/core/cache.py) has the answer, prints it and exits. Anything else (a miss, --help,
an unknown option, an error) goes to the full CLI, which computes, caches and reports errors
as usual. Output is byte-identical to the full path: both use the functions below.
"""

from __future__ import annotations

import os
import sys

# command -> its flags (no value) and options (one value); anything else falls back
GRAMMAR = {
    "next": ({"--json", "--explain"}, {"-n", "--limit", "--weight"}),
    "ready": ({"--json", "--waves"}, {"--weight"}),
    "critical-path": ({"--json"}, {"--weight"}),
}
GLOBAL_OPTIONS = {"--tasks-dir"}


def warn(line: str) -> None:
    color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    sys.stderr.write(f"\x1b[33m{line}\x1b[0m\n" if color else line + "\n")


def warn_doc(doc: dict) -> None:
    """The stderr lines of a cached or computed planning document."""
    errors, warnings = doc["problems"]
    if errors or warnings:
        warn(f"taskctl: {errors} error(s) and {warnings} warning(s) in the specs; planning on "
             "what could be loaded (see `taskctl validate`)")
    for w in doc["report"].get("warnings", []):
        warn(f"taskctl: warning: {w}")


def show(command: str, rep: dict, opts: dict) -> None:
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
    from taskctl.render import tables
    from taskctl.render.console import stdout

    view = {"next": lambda r: tables.next_table(r, bool(opts.get("explain"))),
            "ready": tables.waves_view, "critical-path": tables.cpm_table}[command](rep)
    stdout().print(view, soft_wrap=False)


def parse(argv: list[str]) -> tuple[str, dict, str | None] | None:
    """(command, options, --tasks-dir) for the plain forms; None for anything else."""
    command, opts, tasks_dir, i = None, {}, None, 0
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        if name in GLOBAL_OPTIONS or (command and name in GRAMMAR[command][1]):
            if not eq:
                if i + 1 >= len(argv):
                    return None
                value, i = argv[i + 1], i + 1
            if name in GLOBAL_OPTIONS:
                tasks_dir = value
            else:
                opts[name.lstrip("-").replace("limit", "n")] = value
        elif command is None and a in GRAMMAR:
            command = a
        elif command and not eq and a in GRAMMAR[command][0]:
            opts[a.lstrip("-")] = True
        elif a == "--debug":
            pass
        else:
            return None
        i += 1
    if command is None or opts.get("weight", "auto") not in ("auto", "hours", "tokens",
                                                             "count"):
        return None
    if "n" in opts and not opts["n"].lstrip("-").isdigit():
        return None
    return command, opts, tasks_dir


def answer(argv: list[str]) -> bool:
    """Print the cached answer for `argv` and return True; False when the full CLI must run."""
    parsed = parse(argv)
    if parsed is None:
        return False
    command, opts, tasks_dir = parsed
    from taskctl.core.load.discovery import discover
    from taskctl.core.plan import cache
    from taskctl.errors import TaskctlError

    try:
        root = discover(tasks_dir)
    except TaskctlError:
        return False
    _, doc = cache.get(root, command, {"weight": opts.get("weight", "auto")})
    if not isinstance(doc, dict) or not {"problems", "report"} <= doc.keys():
        return False
    warn_doc(doc)
    show(command, doc["report"], opts)
    return True


def main() -> None:
    """Console entry point: the cached fast path, else the full CLI (taskctl.cli.app.main)."""
    try:
        if answer(sys.argv[1:]):
            return
    except BrokenPipeError:
        return
    from taskctl.cli.app import main as full

    full()


if __name__ == "__main__":
    main()

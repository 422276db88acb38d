"""The one-task writes agents call all the time — `claim`, `set`, `log` — without typer.

Like `quick.py` for cached planning answers: importing typer and registering every command
costs more than the write itself (target: whole process <= 150 ms, benchmarks/
bench_lifecycle.py). `answer()` parses the plain forms of these three commands; anything else
(--help, an unknown option, a value that looks like an option, --debug) returns False and the
full CLI runs. Output is the full CLI's: both use the same core calls and render/transitions.py
lines. On an error this path hands over to the full CLI, which runs the command again from
scratch and reports the error with its exit code (exit codes are chosen in cli/app.py only):
every refusal (TaskctlError) happens before the first write, so the failed attempt wrote
nothing. An unexpected error (a bug, a full disk) is handed over the same way; the change it
interrupted is finished or dropped through its intent before the second attempt.
"""

from __future__ import annotations

import gc
import os
import sys

# command -> (flags, options taking a value, positional count: exact or (min,))
GRAMMAR = {
    "claim": ({"--json", "--force"}, {"--agent", "--lease", "--pid"}, 1),
    "set": ({"--json"}, {"--agent"}, (2,)),
    "log": ({"--json"}, {"--agent"}, 2),
}


def parse(argv: list[str]) -> tuple[str, list[str], dict, str | None] | None:
    """(command, positionals, options, --tasks-dir) for the plain forms; None otherwise."""
    command, pos, opts, tasks_dir, i = None, [], {}, None, 0
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        if command is None and a in GRAMMAR:
            command = a
        elif name == "--tasks-dir" or (command and name in GRAMMAR[command][1]):
            if not eq:
                if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                    return None
                value, i = argv[i + 1], i + 1
            if name == "--tasks-dir":
                tasks_dir = value
            else:
                opts[name] = value
        elif command and not eq and a in GRAMMAR[command][0]:
            opts[a] = True
        elif command and not a.startswith("-"):
            pos.append(a)
        else:
            return None
        i += 1
    if command is None:
        return None
    want = GRAMMAR[command][2]
    if (len(pos) != want) if isinstance(want, int) else (len(pos) < want[0]):
        return None
    if command == "claim" and "--agent" not in opts and not os.environ.get("TASKCTL_AGENT"):
        return None  # the full CLI says an agent is missing
    if "--pid" in opts and not str(opts["--pid"]).isdigit():
        return None
    return command, pos, opts, tasks_dir


def _run(command: str, pos: list[str], opts: dict, tasks_dir: str | None) -> tuple[dict, str]:
    from taskctl.cli.identity import agent_name, agent_pid
    from taskctl.core.load.discovery import discover
    from taskctl.render import transitions as lines

    root = discover(tasks_dir)
    agent = agent_name(opts.get("--agent"))
    if command == "claim":
        from taskctl.core.files.claims import parse_duration
        from taskctl.core.lifecycle.transitions import Request, transition

        pid = agent_pid(int(opts["--pid"]) if "--pid" in opts else None)
        out = transition(root, Request("claim", pos[0], agent, None,
                                       parse_duration(opts.get("--lease", "2h")), pid,
                                       bool(opts.get("--force"))))
        return out, lines.transition_line(out)
    if command == "set":
        from taskctl.core.lifecycle.edit import set_fields

        out = set_fields(root, pos[0], pos[1:], agent)
        return out, lines.set_line(out)
    from taskctl.core.lifecycle.transitions import log

    out = log(root, pos[0], agent, pos[1])
    return out, lines.log_line(out)


def answer(argv: list[str]) -> bool:
    """Run `argv` here and return True; False when the full CLI must run it."""
    parsed = parse(argv)
    if parsed is None:
        return False
    command, pos, opts, tasks_dir = parsed
    # No cyclic garbage collection while the modules are imported and the write is made: a
    # dozen collections of the growing module graph cost ~3 ms of a ~100 ms process that
    # frees nothing worth collecting. Restored for whatever runs next (tests run in-process).
    collecting = gc.isenabled()
    gc.disable()
    try:
        out, line = _run(command, pos, opts, tasks_dir)
    except Exception:  # noqa: BLE001 - refusals and bugs alike: the full CLI reports them
        return False
    finally:
        if collecting:
            gc.enable()
    if opts.get("--json"):
        from taskctl.render.jsonout import document

        sys.stdout.write(document(out) + "\n")
    else:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    if out.get("warnings"):
        from taskctl.render.transitions import warning_lines

        sys.stderr.write(warning_lines(out))
    return True

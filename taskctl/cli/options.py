"""The options of the read commands (planning and views), defined ONCE as plain data.

Both the typer commands (`cli/plan.py`, which build their `typer.Option`s from these specs) and
the typer-free fast entry (`cli/quick.py`, which answers cached plain forms before typer is
even imported) read this table, so the two can never disagree about a name or a default. A test
compares the typer commands' parameters with it. Import-light on purpose: no typer here.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms of a ~40 ms warm read: annotations only
if TYPE_CHECKING:
    from typing import Any

WEIGHTS = ("auto", "hours", "tokens", "count")  # == core.plan.estimates.WEIGHT_CHOICES (tested)


class Opt:
    """One option. A plain class with slots: cheaper to define than a namedtuple (whose
    `collections` import a warm read would otherwise be the only one to pay), a frozen
    dataclass or a typing.NamedTuple on every fast path (cli/quick.py imports this first).

    names: long name last ("--limit" is the canonical spelling of -n); dest: the parameter
    name in the command function and key in the opts dict; kind: bool for a flag, int/str
    for an option that takes one value."""

    __slots__ = ("names", "dest", "default", "help", "kind")

    def __init__(self, names: tuple[str, ...], dest: str, default: Any, help: str,  # noqa: A002
                 kind: type = str):
        self.names, self.dest, self.default, self.help, self.kind = (names, dest, default, help,
                                                                     kind)

    def __repr__(self) -> str:
        return f"Opt({self.names!r}, {self.dest!r}, {self.default!r})"

    @property
    def flag(self) -> bool:
        return self.kind is bool


JSON = Opt(("--json",), "json", False, "Machine-readable output.", bool)
WEIGHT = Opt(("--weight",), "weight", "auto",
             "Estimate unit: hours|tokens|count|auto (auto: hours if any remaining task has "
             "them, else tokens, else count).")
LIMIT = Opt(("-n", "--limit"), "n", 5, "How many tasks (0: all).", int)
EXPLAIN = Opt(("--explain",), "explain", False,
              "Say why each task is where it is, and why others are not listed.", bool)
WAVES = Opt(("--waves",), "waves", False,
            "All remaining work as parallel waves (topological generations).", bool)

STATUS = Opt(("--status",), "status", None, "A status (aliases accepted), or `remaining`.")
PRIORITY = Opt(("--priority",), "priority", None, "P0..P4")
TAG = Opt(("--tag",), "tag", None, "")
PHASE = Opt(("--phase",), "phase", None, "Manifest phase name or a task's `phase` value.")
MILESTONE = Opt(("--milestone",), "milestone", None, "")
CLAIM = Opt(("--claim",), "claim", False,
            "Atomically claim the best task nobody holds (exit 4: nothing left).", bool)
AGENT = Opt(("--agent",), "agent", None, "Who claims (with --claim; default: $TASKCTL_AGENT, "
            "else user@host).")
LEASE = Opt(("--lease",), "lease", "2h", "Claim lease: 2h, 30m, 1d; 0 = no expiry.")
PID = Opt(("--pid",), "pid", None, "The agent's process id: claims of a dead process can be "
          "taken over (default: $TASKCTL_AGENT_PID).", int)

STRICT = Opt(("--strict",), "strict", False, "Treat warnings as errors.", bool)
VERBOSE = Opt(("-v", "--verbose"), "verbose", False,
              "List every occurrence of a rule that fires many times.", bool)

COMMANDS: dict[str, tuple[Opt, ...]] = {
    "next": (LIMIT, EXPLAIN, WEIGHT, CLAIM, AGENT, LEASE, PID, JSON),
    "ready": (WAVES, WEIGHT, JSON),
    "critical-path": (WEIGHT, JSON),
    "status": (WEIGHT, JSON),
    "list": (STATUS, PRIORITY, TAG, PHASE, MILESTONE, JSON),
    "show": (JSON,),
    "validate": (STRICT, VERBOSE, JSON),
}
PLANNING = ("next", "ready", "critical-path")
POSITIONAL = {"show": "task_id"}  # the one argument a command takes (required)
# what changes a command's answer (its cache slot); the rest only changes how it is printed
ANSWER_PARAMS = {"next": ("weight",), "ready": ("weight",), "critical-path": ("weight",),
                 "status": ("weight",), "list": ("status", "priority", "tag", "phase",
                                                 "milestone"),
                 "show": ("task_id",), "validate": ()}
TASKS_DIR = "--tasks-dir"  # the global option with a value (cli/app.py)
DEBUG = "--debug"  # the global flag


def parse(argv: list[str]) -> tuple[str, dict[str, Any], str | None] | None:
    """(command, {dest: value}, --tasks-dir) for the plain forms of the read commands; None
    for anything else (help, unknown options, bad values: the full CLI reports those)."""
    command, opts, tasks_dir, i = None, {}, None, 0
    positional = None
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        spec = next((o for o in COMMANDS.get(command, ()) if name in o.names), None)
        if name == TASKS_DIR or (spec is not None and not spec.flag):
            if not eq:
                if i + 1 >= len(argv):
                    return None
                value, i = argv[i + 1], i + 1
            if name == TASKS_DIR:
                tasks_dir = value
            else:
                try:
                    opts[spec.dest] = spec.kind(value)
                except ValueError:
                    return None
        elif command is None and a in COMMANDS:
            command = a
        elif command in POSITIONAL and positional is None and not a.startswith("-"):
            positional = a
        elif spec is not None and not eq:
            opts[spec.dest] = True
        elif a != DEBUG:
            return None
        i += 1
    if command is None or opts.get("weight", WEIGHT.default) not in WEIGHTS:
        return None
    if opts.get("claim"):
        return None  # a write, never a cached answer: the full CLI claims
    out = {o.dest: opts.get(o.dest, o.default) for o in COMMANDS[command]}
    if command in POSITIONAL:
        if positional is None:
            return None
        out[POSITIONAL[command]] = positional
    return command, out, tasks_dir

"""Reading a task store into a `Backlog` (the loader, its caches, the dialect readers)."""

# Set by the console script while it computes a read answer (`cli/process.py`): this process
# answers one command, changes nothing it loaded and exits, so work that may outlive the
# answer (storing a load's snapshot, `snapshot.py`) is forked off at exit rather than waited
# for. Writers, library callers (the MCP server, tests) keep it False: stored in line.
SHORT_LIVED = False

_HELD: list = []


def hold_to_exit(*values: object) -> None:
    """Hold `values` to the exit in a short-lived read answer (`SHORT_LIVED`), instead of
    freeing them object by object when their last name goes: its exit skips the teardown
    (`cli/process.leave`), so what is held costs nothing. On 10,000 tasks the backlog and the
    plan's intermediates are ≈ 45 ms of freeing. Anywhere else (a writer, a host, a server
    that answers many requests) a no-op: values are freed as usual."""
    if SHORT_LIVED:
        _HELD.append(values)


def release_held() -> None:
    """Free what `hold_to_exit` held (the process goes on after all: `process.short_lived`)."""
    _HELD.clear()

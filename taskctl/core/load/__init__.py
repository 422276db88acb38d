"""Reading a task store into a `Backlog` (the loader, its caches, the dialect readers)."""

# Set by the command-line entries (`cli/process.py`): this process answers one command and
# exits, so work that may outlive the answer (storing a load's snapshot, `snapshot.py`) is
# forked off rather than waited for. Library callers (the MCP server, tests) keep it False.
SHORT_LIVED = False

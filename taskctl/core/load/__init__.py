"""Reading a task store into a `Backlog` (the loader, its caches, the dialect readers)."""

# Set by the console script while it computes a read answer (`cli/process.py`): this process
# answers one command, changes nothing it loaded and exits, so work that may outlive the
# answer (storing a load's snapshot, `snapshot.py`) is forked off at exit rather than waited
# for. Writers, library callers (the MCP server, tests) keep it False: stored in line.
SHORT_LIVED = False

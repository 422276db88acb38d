"""THE task id grammar, one check for every source: task files, manifest entries, imported
lists, command-line arguments (and, later, trees whose ids are integers, normalised to text).

Ids become file and folder names under `.tasks/` (evidence, logs, locks, update events), so the
grammar admits only what is safe as ONE path component on every platform: a letter or digit,
then letters, digits, `.`, `_` or `-`, at most 64 characters. That shuts out `..`, `/`, `\\`,
`;`, `$(…)`, whitespace and newlines, and leaves `.` and `..` unreachable (first character).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

MAX_ID_LEN = 64
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_ID = re.compile(ID_PATTERN)
ID_HINT = ("ids are 1-64 ASCII characters: a letter or digit, then letters, digits, '.', '_' "
           "or '-' (e.g. T022)")


def normalise_id(value: Any) -> Any:
    """An integer id (some trees number their tasks) as text; anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def id_problem(value: Any) -> str | None:
    """Why `value` is not a valid task id, or None when it is."""
    if not isinstance(value, str):
        return f"task id must be text, got {type(value).__name__}"
    if not value:
        return "task id is empty"
    if len(value) > MAX_ID_LEN:
        return f"task id is {len(value)} characters long (at most {MAX_ID_LEN})"
    if _ID.fullmatch(value) is None:
        return f"task id {value!r} has characters outside the id grammar"
    return None


def is_valid_id(value: Any) -> bool:
    return id_problem(value) is None

"""Values given on the command line for a task's fields: estimates, priorities, numbers.

Shared by `new` (create.py) and `set` (edit.py); kept apart from create.py so that `set`, a
one-task write, does not import what creating a task needs (the loader, the YAML dumper).
"""

from __future__ import annotations

import re

from taskctl.core.load import normalize
from taskctl.errors import UsageError


def parse_estimate(text: str) -> tuple[str, float]:
    """`2h`, `1.5h`, `90m` -> ("estimated_hours", h); `30k-tokens`, `1.2M tokens` ->
    ("estimated_tokens", n). Whole token counts stay exact; a value the loader would refuse
    (above `limits.MAX_INT`) is refused here."""
    t = text.strip().lower().replace(" ", "-")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)-?tokens?", t)
    if m:
        scale = {"": 1, "k": 1000, "m": 1000000}[m.group(2)]
        n = m.group(1)
        return "estimated_tokens", _bounded(text, int(n) * scale if "." not in n
                                            else float(n) * scale)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(h|hours?|m|min|minutes?)?", t)
    if m:
        v = float(m.group(1))
        return "estimated_hours", _bounded(text, v / 60 if (m.group(2) or "h").startswith("m")
                                           else v)
    raise UsageError(f"bad estimate {text!r}", "write it like 2h, 90m or 30k-tokens")


def _bounded(text: str, v: float) -> float:
    from taskctl.core.load.limits import MAX_INT

    if v > MAX_INT:
        raise UsageError(f"bad estimate {text!r}: out of range", f"at most {MAX_INT:.0e}")
    return v


def priority_label(text: str) -> str:
    """`P0`..`P4` from any spelling the format accepts (`high`, `p1`, `P1-mvp`, ...)."""
    try:
        p, _ = normalize.priority(text, ("priority",), [])
    except normalize.UnknownValue:
        raise UsageError(f"bad priority {text!r}", "P0 (most urgent) .. P4") from None
    return f"P{p}"


def num(v: float) -> float | int:
    """A number as written to files: `2` rather than `2.0`, at most 4 decimals."""
    return int(v) if float(v).is_integer() else round(v, 4)

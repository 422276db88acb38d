"""Render validation problems: one line each (file:line:col severity CODE message), a hint.

A rule that fires more than `FOLD_AFTER` times is folded into one summary line (its first
occurrence and a count); `verbose` lists every occurrence (and `--json` always does)."""

from __future__ import annotations

from taskctl.core.problems import Problem, Severity, sort_key

FOLD_AFTER = 3


def lines(problems: list[Problem], strict: bool = False, verbose: bool = True) -> list[str]:
    from collections import Counter

    counts = Counter(p.code for p in problems)
    shown: set[str] = set()
    out = []
    for p in sorted(problems, key=sort_key):
        sev = "error" if strict or p.severity is Severity.ERROR else "warning"
        folded = not verbose and counts[p.code] > FOLD_AFTER
        if folded and p.code in shown:
            continue
        shown.add(p.code)
        more = (f" (and {counts[p.code] - 1} more {p.rule} {sev}s; --verbose lists them)"
                if folded else "")
        out.append(f"{p.location}: {sev} {p.code} [{p.rule}] {p.message}{more}")
        if p.hint:
            out.append(f"    hint: {p.hint}")
    return out


def summary(problems: list[Problem], strict: bool = False) -> str:
    errors = sum(1 for p in problems if strict or p.severity is Severity.ERROR)
    warnings = len(problems) - errors
    return f"{errors} error(s), {warnings} warning(s)"


def styled(line: str) -> str:
    """Rich markup for a rendered line (colour only; text unchanged)."""
    from rich.markup import escape

    s = escape(line)
    if line.startswith("    hint:"):
        return f"[dim]{s}[/dim]"
    s = s.replace(": error ", ": [bold red]error[/bold red] ", 1)
    return s.replace(": warning ", ": [yellow]warning[/yellow] ", 1)

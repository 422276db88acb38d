"""Problems a check can find, with stable rule codes, severities and default hints.

Codes are stable: tools and CI configs may match on them. Add new codes; never renumber.
"""

from __future__ import annotations

from enum import StrEnum

from taskctl.core.records import asdict, record


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@record(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    hint: str


_RULES = [
    # E0xx: files that cannot be read or parsed
    Rule("E001", "yaml-syntax", Severity.ERROR, "fix the YAML syntax at the position shown"),
    Rule("E002", "unreadable-file", Severity.ERROR,
         "task files must be UTF-8 text under the size limit, inside the tasks directory"),
    Rule("E003", "json-syntax", Severity.ERROR, "fix the JSON syntax at the position shown"),
    Rule("E004", "no-front-matter", Severity.ERROR,
         "start the file with a '---' YAML front matter block, or make it a plain YAML mapping"),
    # E01x: JSON Schema
    Rule("E010", "task-schema", Severity.ERROR, "see `taskctl schema task` for the allowed shape"),
    Rule("E011", "manifest-schema", Severity.ERROR,
         "see `taskctl schema manifest` for the allowed shape"),
    Rule("E012", "acceptance-item", Severity.ERROR,
         "each acceptance item needs `criterion` (text); `run` must be a shell command string "
         "and `timeout` a positive number of seconds"),
    Rule("E013", "unknown-status", Severity.ERROR,
         "use pending, in_progress, blocked, deferred, completed or cancelled"),
    Rule("E014", "unknown-priority", Severity.ERROR, "use P0..P4 (P0 most urgent)"),
    # E02x: identity
    Rule("E020", "duplicate-id", Severity.ERROR, "give every task a unique id"),
    Rule("E021", "id-mismatch", Severity.ERROR,
         "make the file's `id`, its file name prefix and its manifest entry agree"),
    Rule("E022", "missing-file", Severity.ERROR,
         "restore the file, fix the manifest `file` path, or remove the entry "
         "(`taskctl sync --write` rebuilds the index from the task files)"),
    Rule("E023", "orphan-file", Severity.ERROR,
         "add a manifest entry for it (`taskctl sync --write`) or delete the file"),
    Rule("E024", "bad-id", Severity.ERROR,
         "ids are 1-64 characters: a letter or digit, then letters, digits, '.', '_' or '-'"),
    # E03x: graph
    Rule("E030", "dangling-dependency", Severity.ERROR,
         "create the task, fix the id, or drop the dependency"),
    Rule("E031", "dependency-cycle", Severity.ERROR, "remove one dependency edge of the cycle"),
    Rule("E032", "completed-with-open-dependency", Severity.ERROR,
         "complete the dependency first, or reopen this task"),
    Rule("E033", "self-dependency", Severity.ERROR, "a task cannot depend on itself"),
    Rule("E040", "milestone-task-unknown", Severity.ERROR,
         "list only existing task ids in the milestone"),
    # W1xx: warnings (errors under --strict)
    Rule("W100", "alias-spelling", Severity.WARNING,
         "use the canonical spelling (taskctl accepts the alias for now)"),
    Rule("W101", "no-manifest", Severity.WARNING,
         "create one with `taskctl sync --write` so other tools can index the tasks"),
    Rule("W102", "no-tasks", Severity.WARNING,
         "nothing was read as a task: check the path, or force a dialect with --format NAME "
         "(docs/format.md, \"Dialects\")"),
    Rule("W105", "duplicate-key", Severity.WARNING,
         "keep one of them: YAML reads the last one, and an edit may change the other"),
    Rule("W110", "manifest-drift", Severity.WARNING,
         "the task file wins; run `taskctl sync --write` to update the manifest"),
    Rule("W120", "blocks-mismatch", Severity.WARNING,
         "`blocks` is derived from dependents' `depends_on`; `taskctl sync --write` fixes the "
         "manifest, or edit the task file"),
    Rule("W130", "deferred-dependency", Severity.WARNING,
         "the task stays blocked until the deferred task is scheduled; drop the dependency "
         "or schedule the deferred task"),
    Rule("W140", "derived-stale", Severity.WARNING,
         "run `taskctl sync --write` to regenerate the manifest's derived data"),
    Rule("W160", "unread-file", Severity.WARNING,
         "move it where this dialect keeps its tasks, give it the dialect's shape, or force "
         "another dialect with --format NAME (docs/format.md, \"Dialects\")"),
    Rule("W150", "checkbox-drift", Severity.WARNING,
         "the Markdown checkbox and the recorded evidence disagree; `taskctl verify` keeps "
         "them in step"),
]

RULES: dict[str, Rule] = {r.code: r for r in _RULES}
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in _RULES}


@record
class Problem:
    """One finding. `file` is relative to the tasks directory's parent (the repo root)."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    severity: Severity | None = None
    task: str | None = None

    def __post_init__(self) -> None:
        rule = RULES[self.code]
        if self.severity is None:
            self.severity = rule.severity
        if self.hint is None:
            self.hint = rule.hint

    @property
    def rule(self) -> str:
        return RULES[self.code].name

    @property
    def location(self) -> str:
        if not self.file:
            return "-"
        loc = self.file
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["rule"] = self.rule
        return d


def problem(name: str, message: str, **kw) -> Problem:
    """Build a Problem from its rule name (readable at call sites)."""
    return Problem(RULES_BY_NAME[name].code, message, **kw)


def sort_key(p: Problem) -> tuple:
    return (p.file or "", p.line or 0, p.column or 0, p.code)

"""The status and priority words found in other dialects, in several languages, with emoji.

Free-text dialects (Markdown metadata lines, folders named by status) write status the way
people talk; these words are their normal spelling, so reading them is not a warning there.
"""

from __future__ import annotations

import re

from taskctl.core.status import TaskStatus

_WORDS = {  # the canonical word itself is added from the enum
    TaskStatus.PENDING: (
        "todo", "to do", "to-do", "open", "new", "ready", "not started", "not-started",
        "planned", "backlog", "queued", "proposed", "draft", "idea", "upcoming",
        "next", "à faire", "a faire", "en attente", "pendiente", "por hacer", "offen", "geplant",
        "pendente", "a fazer", "da fare", "待办", "未开始", "未着手"),
    TaskStatus.IN_PROGRESS: (
        "in progress", "in-progress", "inprogress", "wip", "started", "doing",
        "active", "ongoing", "review", "in review", "testing", "en cours", "en progreso",
        "en curso", "in arbeit", "em andamento", "em progresso", "in corso", "进行中", "作業中"),
    TaskStatus.BLOCKED: ("stuck", "waiting", "bloqué", "bloque", "bloqueado",
                         "blockiert", "bloccato", "阻塞"),
    TaskStatus.COMPLETED: (
        "complete", "done", "finished", "closed", "resolved", "merged", "shipped",
        "implemented", "terminé", "termine", "fait", "fini", "completado", "completada",
        "hecho", "terminado", "erledigt", "fertig", "abgeschlossen", "concluído", "concluido",
        "feito", "completato", "fatto", "已完成", "完成", "完了"),
    TaskStatus.CANCELLED: ("canceled", "wontfix", "won't fix", "dropped",
                           "obsolete", "abandoned", "annulé", "cancelado", "abgebrochen"),
    TaskStatus.DEFERRED: ("on hold", "on-hold", "on_hold", "paused", "postponed",
                          "later", "someday", "reporté", "pospuesto", "zurückgestellt"),
    TaskStatus.COMPLETED_UNVERIFIED: ("completed-unverified", "completed unverified"),
}
STATUS_WORDS = {w: s for s, ws in _WORDS.items() for w in (str(s), *ws)}
STATUS_WORDS["not_started"] = TaskStatus.PENDING
EMOJI = {"✅": TaskStatus.COMPLETED, "✔": TaskStatus.COMPLETED, "☑": TaskStatus.COMPLETED,
         "🟢": TaskStatus.COMPLETED, "🚧": TaskStatus.IN_PROGRESS, "🔄": TaskStatus.IN_PROGRESS,
         "⏳": TaskStatus.IN_PROGRESS, "🟡": TaskStatus.IN_PROGRESS, "⬜": TaskStatus.PENDING,
         "🔲": TaskStatus.PENDING, "📋": TaskStatus.PENDING, "⭕": TaskStatus.PENDING,
         "🔴": TaskStatus.BLOCKED, "⛔": TaskStatus.BLOCKED, "🛑": TaskStatus.BLOCKED,
         "❌": TaskStatus.CANCELLED, "⏸": TaskStatus.DEFERRED}
PRIORITY_WORDS = {
    "critical": 0, "urgent": 0, "highest": 0, "blocker": 0, "high": 1, "medium": 2,
    "normal": 2, "moderate": 2, "low": 3, "lowest": 4, "trivial": 4, "minor": 3, "major": 1,
    "haute": 1, "élevée": 1, "moyenne": 2, "basse": 3, "alta": 1, "media": 2, "baja": 3,
    "hoch": 1, "mittel": 2, "niedrig": 3, "média": 2, "baixa": 3, "高": 1, "中": 2, "低": 3}
_NOISE = re.compile(r"[*`~\[\]]+|\(.*?\)|\s+-\s+.*$|[.:;!]+$")
_PRIO = re.compile(r"^p([0-4])\b", re.IGNORECASE)


def clean(value: str) -> str:
    """Lower case, Markdown marks, parentheses and trailing remarks removed."""
    return re.sub(r"[\s_]+", " ", _NOISE.sub("", value)).strip().casefold()


def status_of(value: object) -> str | None:
    """The canonical status a free-text status value means, or None when unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    for mark, st in EMOJI.items():
        if raw.startswith(mark):
            rest = status_of(raw[len(mark):].lstrip("\ufe0f ").strip())
            return rest or st
    v = clean(raw)
    if v in STATUS_WORDS:
        return STATUS_WORDS[v]
    words = v.split()
    for n in (3, 2, 1):  # "Done 2024-05-01", "In progress since May"
        head = " ".join(words[:n])
        if len(words) > n and head in STATUS_WORDS:
            return STATUS_WORDS[head]
    return None


def priority_of(value: object) -> int | None:
    """0..4 for P0..P4, numbers 0..4, or the usual words; None when unknown or absent."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 4 else None
    if not isinstance(value, str):
        return None
    for mark, p in (("🔴", 0), ("🟠", 1), ("🟡", 2), ("🟢", 3)):
        if value.strip().startswith(mark):
            return p
    v = clean(value)
    m = _PRIO.match(v)
    if m:
        return int(m.group(1))
    if v.isdigit() and 0 <= int(v) <= 4:
        return int(v)
    if v in PRIORITY_WORDS:
        return PRIORITY_WORDS[v]
    return PRIORITY_WORDS.get(v.split()[0]) if v else None

"""Task weights for planning: which estimate unit to use, and what to do when one is missing.

`auto` picks hours if any remaining task has `estimated_hours`, else tokens if any has
`estimated_tokens`, else count (every task weighs 1). A task without an estimate in the chosen
unit weighs the median of the known ones (so one unestimated task neither vanishes from the
critical path nor dominates it) and is named in a warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from taskctl.core.load.limits import MAX_INT
from taskctl.core.model import Task
from taskctl.core.order import natural_key
from taskctl.core.records import field, record

UNITS = ("hours", "tokens", "count")
WEIGHT_CHOICES = ("auto", *UNITS)
_FIELD = {"hours": "estimated_hours", "tokens": "estimated_tokens"}
_SHORT = {"hours": "h", "tokens": " tok", "count": ""}


@record
class Weights:
    unit: str  # hours | tokens | count
    values: dict[str, float]  # task id -> weight
    imputed: list[str] = field(default_factory=list)  # ids that got the median
    fill: float = 1.0  # the value given to imputed tasks
    asked: str | None = None  # the unit asked for, when none of the tasks has it (-> count)

    def warning(self) -> str | None:
        if self.asked:
            return (f"no remaining task has a {self.asked} estimate: weighing every task as 1 "
                    "(count)")
        if not self.imputed:
            return None
        ids = ", ".join(self.imputed[:20]) + (" …" if len(self.imputed) > 20 else "")
        return (f"{len(self.imputed)} task(s) have no usable {self.unit} estimate and weigh the "
                f"median ({fmt(self.fill, self.unit)}): {ids}")


def estimate(t: Task, unit: str) -> float | None:
    """The task's own estimate in `unit` (None when missing or unusable)."""
    if unit == "count":
        return 1.0
    return usable(getattr(t, _FIELD[unit]))


MAX_ESTIMATE = float(MAX_INT)  # above it (an infinity, 1e308): no estimate; sums overflow


def usable(v: object) -> float | None:
    """An estimate as a weight: a number that is not negative, not NaN, not a bool, and not
    above `MAX_ESTIMATE` (sums of such weights overflow to infinity, which neither the CPM's
    JSON nor its exact integer sums can hold)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= MAX_ESTIMATE:
        return None
    return float(v)


def _estimates(tasks: list[Task], unit: str) -> dict[str, float]:
    """Every usable estimate in `unit`, by task id, in the tasks' order: `estimate` for each
    task, with the usual value (a float, or nothing) decided without a call."""
    if unit == "count":
        return {t.id: 1.0 for t in tasks}
    name, known = _FIELD[unit], {}
    for t in tasks:
        v = getattr(t, name)
        if type(v) is float and 0 <= v <= MAX_ESTIMATE:  # NaN fails; float(v) is v itself
            known[t.id] = v
        elif type(v) is int and 0 <= v <= MAX_ESTIMATE:  # exactly int: not a bool
            known[t.id] = float(v)
        elif v is not None and (e := usable(v)) is not None:
            known[t.id] = e
    return known


def choose_unit(tasks: Iterable[Task], weight: str) -> str:
    if weight not in WEIGHT_CHOICES:
        raise ValueError(f"unknown weight {weight!r}; choose one of {', '.join(WEIGHT_CHOICES)}")
    if weight != "auto":
        return weight
    tasks = list(tasks)
    for unit in ("hours", "tokens"):
        if any(estimate(t, unit) is not None for t in tasks):
            return unit
    return "count"


def _median(values: Iterable[float]) -> float:
    """`statistics.median`, the same arithmetic, without importing statistics (it pulls in
    decimal, fractions and random: more than the manifest patch of a one-task write)."""
    data = sorted(values)
    n = len(data)
    return data[n // 2] if n % 2 else (data[n // 2 - 1] + data[n // 2]) / 2


def weigh(tasks: Iterable[Task], weight: str = "auto") -> Weights:
    """Weights for `tasks` (normally the remaining ones) in the chosen unit."""
    tasks = list(tasks)
    unit = choose_unit(tasks, weight)
    known = _estimates(tasks, unit)
    if not known and unit != "count":  # a median of nothing would be a made-up "1 tok"
        return Weights("count", {t.id: 1.0 for t in tasks}, asked=unit if tasks else None)
    fill = float(_median(known.values())) if known else 1.0
    if len(known) == len(tasks):  # every task has one: `known` is already in task order
        return Weights(unit, known, [], fill)
    missing = sorted((t.id for t in tasks if t.id not in known), key=natural_key)
    values = {t.id: known.get(t.id, fill) for t in tasks}
    return Weights(unit, values, missing, fill)


def fmt(value: float, unit: str) -> str:
    """A weight for humans: 2.5h, 12000 tok, 3."""
    v = round(value, 2)
    s = str(int(v)) if v == int(v) else f"{v:g}"
    return f"{s}{_SHORT.get(unit, '')}"

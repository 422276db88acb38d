"""Everything the HTML report shows, as plain data: the status board (overall, per phase, per
milestone), tasks with their evidence history (records under `.tasks/evidence/`, status events
under `.tasks/updates/`), the CPM critical path, and training runs (`*/metrics.jsonl`)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.core.files import jsonread
from taskctl.core.model import Backlog
from taskctl.core.order import by_id
from taskctl.core.plan import cpm
from taskctl.core.plan.progress import phases
from taskctl.core.status import STATUSES
from taskctl.core.todo.export import proven
from taskctl.core.verify import attest
from taskctl.core.verify.evidence import EVIDENCE_DIR, read_bytes, well_formed
from taskctl.core.write.status import UPDATES_DIR

MAX_GRAPH_NODES = 400  # beyond this a drawn graph is unreadable; the report says so


@dataclass
class Run:
    name: str
    steps: list[int]
    loss: list[float]
    val_steps: list[int]
    val_loss: list[float]
    tps_steps: list[int]
    tokens_per_sec: list[float]

    @property
    def median_tps(self) -> float | None:
        return statistics.median(self.tokens_per_sec) if self.tokens_per_sec else None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "steps": self.steps[-1] if self.steps else 0,
                "final_loss": self.loss[-1] if self.loss else None,
                "best_val_loss": min(self.val_loss) if self.val_loss else None,
                "median_tokens_per_sec": self.median_tps}


@dataclass
class ReportData:
    total: int
    counts: dict[str, int]  # by status (canonical order), plus "proven"
    groups: list[dict[str, Any]]  # {kind: phase|milestone, name, total, counts}
    tasks: list[dict[str, Any]]
    critical_path: list[str]
    critical_total: float
    weight: str
    runs: list[Run] = field(default_factory=list)
    graph_note: str | None = None  # why the graph is left out (None: draw it)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "counts": self.counts, "statuses": list(STATUSES),
                "groups": self.groups, "tasks": self.tasks, "critical_path": self.critical_path,
                "critical_total": cpm.num(self.critical_total), "weight": self.weight,
                "runs": [r.to_dict() for r in self.runs]}


def _counts(statuses: list[str]) -> dict[str, int]:
    c = Counter(statuses)
    return {s: c[s] for s in STATUSES if c[s]}


def build(bl: Backlog, runs_dir: Path | None = None) -> ReportData:
    sched = cpm.schedule(bl, "auto")
    proof = proven(bl)
    events = read_events(bl.root)
    groups = [{"kind": "phase", "name": name, "total": len([i for i in ids if i in bl.tasks]),
               "counts": _counts([bl.tasks[i].status for i in ids if i in bl.tasks])}
              for name, ids in phases(bl)]
    groups += [{"kind": "milestone", "name": f"{m.id} {m.title}".strip(),
                "total": len([i for i in m.tasks if i in bl.tasks]),
                "counts": _counts([bl.tasks[i].status for i in m.tasks if i in bl.tasks])}
               for m in sorted(bl.milestones.values(), key=lambda m: m.id)]
    on_path = set(sched.path)
    tasks = [{"id": tid, "title": t.title, "status": t.status, "phase": t.phase,
              "milestone": t.milestone, "proven": proof.get(tid, False),
              "critical": tid in on_path, "depends_on": list(t.depends_on),
              "evidence": read_evidence(bl.root, tid), "events": events.get(tid, [])}
             for tid, t in by_id(bl.tasks)]
    counts = _counts([t.status for t in bl.tasks.values()])
    counts["proven"] = sum(proof.values())
    note = None
    if len(bl.tasks) > MAX_GRAPH_NODES:
        note = f"{len(bl.tasks)} tasks: too many to draw (limit {MAX_GRAPH_NODES})"
    elif not bl.tasks:
        note = "no tasks"
    return ReportData(len(bl.tasks), counts, groups, tasks, sched.path, sched.total,
                      sched.weight, read_runs(runs_dir) if runs_dir else [], note)


def read_evidence(root: Path, task_id: str) -> list[dict[str, Any]]:
    """The stored records of one task (latest per item), oldest first; unreadable ones skipped."""
    out = []
    for p in sorted((root / EVIDENCE_DIR / task_id).glob("item-*.json")):
        try:  # shown as recorded; whether it counts is the gate's question (signatures)
            r, _, _ = attest.open_envelope(read_bytes(p))
            r = r["predicate"]
        except (OSError, attest.Rejected):
            continue
        if not well_formed(r):
            continue
        out.append({"item": r.get("item"), "criterion": r.get("criterion"),
                    "status": r.get("status"), "kind": r.get("kind"),
                    "at": r.get("started_at") or r.get("signed_off_at"),
                    "duration_s": r.get("duration_s"), "by": r.get("signed_off_by"),
                    "git": (r.get("git") or {}).get("sha"), "host": r.get("host"),
                    "run_id": r.get("run_id")})
    return sorted(out, key=lambda r: (str(r["at"] or ""), r["item"] or 0))


def read_events(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Status events (`updates/*.json`) by task id, oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    d = root / UPDATES_DIR
    for p in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            e = jsonread.load(p, jsonread.MAX_RECORD_BYTES)
        except (OSError, ValueError):
            continue
        if isinstance(e, dict) and isinstance(e.get("task"), str):
            out.setdefault(e["task"], []).append(
                {k: e.get(k) for k in ("action", "from", "to", "by", "at", "evidence_id")})
    for evs in out.values():
        evs.sort(key=lambda e: str(e.get("at") or ""))
    return out


def read_runs(runs_dir: Path) -> list[Run]:
    """Runs under `runs_dir`: each `*/metrics.jsonl` (or `runs_dir/metrics.jsonl` itself)."""
    paths = sorted(runs_dir.glob("*/metrics.jsonl")) if runs_dir.is_dir() else []
    if (runs_dir / "metrics.jsonl").is_file():
        paths.insert(0, runs_dir / "metrics.jsonl")
    runs = []
    for p in paths:
        r = Run(p.parent.name, [], [], [], [], [], [])
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            try:
                rec = json.loads(line)
            except (ValueError, RecursionError):
                continue  # a torn last line of a running job
            if not isinstance(rec, dict) or not isinstance(rec.get("step"), int):
                continue
            if _num(rec.get("loss")):
                r.steps.append(rec["step"])
                r.loss.append(float(rec["loss"]))
            if _num(rec.get("val_loss")):
                r.val_steps.append(rec["step"])
                r.val_loss.append(float(rec["val_loss"]))
            if _num(rec.get("tokens_per_sec")):
                r.tps_steps.append(rec["step"])
                r.tokens_per_sec.append(float(rec["tokens_per_sec"]))
        if r.steps or r.val_steps:
            runs.append(r)
    return runs


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)

"""The answers of `next`, `ready` and `critical-path` after taskctl's own writes moved tasks
between pending and in_progress (a `claim`, a `start`, a status edited by hand) or another
program edited one manifest entry, made right without loading or planning again: the early
cutoff of `replan.py`, for a rewritten manifest.

Why a status change between those two needs no plan: the plan reads of a task whether it is
remaining work (`status.PLANNED`: the CPM's nodes and weights, the ranking's keys), blocked or
done (actionability, blockers), never which of pending and in_progress it is. That shows in
the `next` answer in three places only, each put right here:

- the task's own row: its status; its reason's closing "already in progress"; and whether it
  is `held` (in progress, or claimed: its claim file as recorded) or free work — the two
  lists keep the ranking's order, read back from the reasons ("first: …", "after <id>: …");
- the blocker text "waits on <id> (<status>)" in the rows of the tasks that depend on it
  (`not_listed`);
- the problem counts: its task file merged again with its entry (drift between the two is
  a warning), and its entry's own findings.

In `ready`'s waves, the task's row (its status) and the blockers outside the plan that name
it (`held_by`: only a task on a dependency cycle is outside it); in `critical-path`, the
task's row (its status); the problem counts in both. `status` counts tasks by status: planned
again.

What the answer was computed from is proven as `replan.py` proves it, by its key taken again
with the changed files put back: the task files at their stored (or companion's) stat keys,
the manifest at the stat key the answer was computed with, and a claim file added for a task
whose status changed left out. What changed in the manifest comes from the journal's records
(`load/journal.py`), from the digest the stored backlog names to the bytes read now; its
other parts are unchanged by a record's word, and its derived parts were computed from the
entries where the answer's manifest was written (`journal.entries_derived`), so the
document's findings stand. Another program's write has no record: when it changed the text
of one entry and nothing else (`load/manifestdiff.py`: its bytes compared with a copy of those
the answer was computed from), that entry is taken as a record's would be — the rest of the
document, derived parts included, is byte for byte the answer's — and recorded. Anything
else returns None, and the caller plans as before.
tests/taskctl/core/plan/test_restatus.py compares every answer made here with one computed
from a full load, over random claims, starts, releases, blocks, sets and edits.
"""

from __future__ import annotations

import bisect
import marshal
import os
from pathlib import Path

from taskctl.core.load import ids, light
from taskctl.core.plan import answertext, cache
from taskctl.core.status import TaskStatus

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

COMMANDS = ("next", "ready", "critical-path")  # `status` counts by status: planned again
IN_PROGRESS = str(TaskStatus.IN_PROGRESS)
MOVABLE = frozenset({str(TaskStatus.PENDING), IN_PROGRESS})  # the answer is put right between
_NOTE = "; already in progress"  # `ranking._reason`'s last part for a task in progress


def manifest_state(lt: light.Light, mstate: tuple | None) -> tuple | None:
    """(stat key, digest) of the manifest the stored answer was computed from: the
    companion's (an earlier cutoff of this kind), else the stored backlog's."""
    if mstate is not None:
        return mstate
    if lt.manifest_key is None or lt.manifest_digest is None:
        return None
    return lt.manifest_key, lt.manifest_digest


def row_of(path: str, key: tuple) -> tuple:
    """A fingerprint row (`cache.fingerprint`) from a stat key (`filecache.file_key`)."""
    return (path, key[0], key[1], key[3], key[2] - key[1])


def patched(root: Path, command: str, params: dict[str, Any], new_key: str, lt: light.Light,
            rows: list[tuple], moved: dict[tuple, tuple], old_key: str, blob: bytes, over: dict,
            mstate: tuple | None) -> tuple | None:
    """(the answer, its text to store under `new_key`, its companion files, its manifest
    state) when the stored answer of `command` (one of `COMMANDS`: `blob`, under `old_key`,
    with companion `over` and manifest state `mstate`) stands after the changes since, made
    right; else None. `moved`: the task files' rows changed since the answer (now -> then,
    `replan._moved`)."""
    if command not in COMMANDS:
        return None
    from taskctl.core.load import journal

    was = manifest_state(lt, mstate)
    if was is None:
        return None
    (akey, adigest), d0 = was, lt.manifest_digest
    mpath = os.path.join(root, "manifest.json")
    at = bisect.bisect_left(rows, (mpath,))
    if d0 is None or at == len(rows) or rows[at][0] != mpath:
        return None
    now_row, changed = rows[at], dict(moved)
    then = journal.between(root, d0, adigest)  # the entries when the answer was computed
    if then is None:
        return None
    if now_row == row_of(mpath, akey):
        told, now_digest = then, adigest
    else:
        data = _manifest_bytes(root, mpath, now_row)
        if data is None:
            return None
        told, now_digest = journal.changes(root, d0, data, None)
        if told is None:  # another program's write: one entry's text changed, or plan again
            told, now_digest = _foreign(root, adigest, data, then, now_digest)
            if told is None:
                return None
        elif not (journal.entries_derived(root, adigest)
                  or journal.derived_kept(root, adigest, now_digest)):
            return None  # derived parts not taskctl's before: the document's findings may move
        changed[now_row] = row_of(mpath, akey)
    got = _tasks(root, lt, moved, told, then, over)
    if got is None or len(over) + len(got[0]) > light.MAX_OVER:
        return None
    files, statuses, titles, counts = got
    added = _claims_added(root, rows, statuses)
    for leave_out in ((added, ()) if added else ((),)):
        if cache.key_of_rows(root, command, params, changed, leave_out) == old_key:
            break
    else:
        return None
    mstate = (_key_of(now_row), now_digest)
    if not statuses:  # titles and counts alone: put right in the text, as `replan.py` does
        was = answertext.counts(blob, old_key)
        text = None if was is None else answertext.retitled(
            blob, old_key, new_key, was[0] + counts[0], was[1] + counts[1],
            [(tid, *pair) for tid, pair in titles.items()], command)
        payload = None if text is None else answertext.answer(text, new_key)
        return None if payload is None else (payload, text, {**over, **files}, mstate)
    doc = cache.own_json(blob)
    payload = doc.get("payload") if isinstance(doc, dict) and doc.get("key") == old_key else None
    if not isinstance(payload, dict) or not _restated(root, command, payload, statuses, titles,
                                                      counts):
        return None
    import json

    text = json.dumps({"key": new_key, "payload": payload}, separators=(",", ":"))
    return payload, text.encode("utf-8"), {**over, **files}, mstate


def _foreign(root: Path, adigest: bytes, data: bytes, then: dict[int, Any],
             now: bytes | None) -> tuple[dict[int, Any] | None, bytes | None]:
    """(the entries changed since the stored backlog, as they are now; the digest of `data`,
    `now` when already taken) when another program's write of the manifest (`data`) changed
    the text of one entry of the manifest the answer was computed from (digest `adigest`) and
    nothing else (`manifestdiff.py`); that fact is recorded in the journal at once (a later
    read follows it), and a copy of `data` kept. (None, None) otherwise."""
    from taskctl.core.load import journal, manifestdiff

    got = manifestdiff.changed(root, adigest, data)
    if got is None:
        return None, None
    entries, where, was = got
    if not entries:  # the same bytes, written again
        return then, adigest
    if now is None:
        now = journal.digest(data)
    # derived parts computed from the entries stay so when what they read of the entry did
    # not change (a claim's write may then patch them, as after its own writes)
    journal.record(root, adigest, now, len(where) // 2, entries, kept=True,
                   from_entries=journal.entries_derived(root, adigest) and all(
                       _derived_alike(was[i], e) for i, e in entries.items()))
    manifestdiff.keep(root, data, now, where)
    return {**then, **entries}, now


def _derived_alike(old: Any, new: Any) -> bool:
    """Do two versions of an entry give the same derived parts (`sync.derived`: ids,
    statuses, dependencies, the critical path's weights — all in the plan view)?"""
    from taskctl.core.load import specs, stored
    from taskctl.core.load import taskplain as tp

    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    tid = old.get("id")
    if not isinstance(tid, str) or new.get("id") != tid:
        return False
    views = [stored.plan_view(tp.head_of(specs.from_mapping(e, "entry", tid)[0]))
             for e in (old, new)]
    return views[0] == views[1]


def _manifest_bytes(root: Path, mpath: str, row: tuple) -> bytes | None:
    """The manifest's bytes, when it still has the stat the fingerprint took (else it was
    written again since: the key would not stand for these bytes)."""
    from taskctl.core.files import treewalk
    from taskctl.core.load import manifest as mf
    from taskctl.core.load.safeyaml import FileIssue

    try:
        data = mf.read_bytes(Path(mpath), root)
        now = treewalk.lstat_key(os.lstat(mpath))
    except (FileIssue, OSError):
        return None
    return data if now == _key_of(row) else None


def _key_of(row: tuple) -> tuple:
    """The stat key (`filecache.file_key`) of a fingerprint row."""
    return (row[1], row[2], row[2] + row[4], row[3])


def _tasks(root: Path, lt: light.Light, moved: dict[tuple, tuple], told: dict[int, Any],
           then: dict[int, Any], over: dict) -> tuple | None:
    """(companion files, {id: (status then, now)}, {id: (title then, now)}, [errors,
    warnings] added) of the task files changed since the answer (`moved`) and of those whose entries
    changed since (`told`: the entries changed since the stored backlog, as they are now;
    `then`: as they were for the answer), each merged again with its entry now
    (`light.basis_now`) and compared with its basis when the answer was computed; None when
    one changed in a way the plan reads, or is not a task file merged with its entry alone."""
    affected: dict[str, int | None] = {row[0]: None for row in moved}
    for i in {*told, *then}:
        if i in told and i in then and told[i] == then[i]:
            continue  # changed before the answer was computed, not since
        entry = told[i] if i in told else then[i]
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            return None
        affected[os.path.join(root, entry["file"])] = i
    if len(affected) > light.MAX_FILES:
        return None
    files, statuses, titles, counts = {}, {}, {}, [0, 0]
    for s, index in affected.items():
        known = lt.file(s)
        if known is None:
            return None
        tid, i, blob, basis = known
        if index is not None and index != i:
            return None
        if s in over:
            basis = over[s][1]
        elif i in then:
            return None  # its entry changed before the answer, and no basis says how it read
        old_entry = then[i] if i in then else marshal.loads(blob)
        entry = told[i] if i in told else marshal.loads(blob)
        key = _file_key(s)
        fresh = light.basis_now(root, Path(s), tid, entry)
        if basis is None or key is None or fresh is None or not _entries_alike(
                tid, i, old_entry, entry):
            return None
        was, now = basis[0], fresh[0]
        if was[1:] != now[1:]:
            return None  # what the plan reads changed
        if was[0] != now[0]:
            if not {was[0], now[0]} <= MOVABLE or not ids.is_valid_id(tid):
                return None
            statuses[tid] = (was[0], now[0])
        if fresh[1] != basis[1]:
            titles[tid] = (basis[1], fresh[1])
        counts[0] += fresh[2] - basis[2]
        counts[1] += (fresh[3] - fresh[2]) - (basis[3] - basis[2])
        files[s] = (key, fresh)
    return files, statuses, titles, counts


def _file_key(s: str) -> tuple | None:
    from taskctl.core.load import filecache

    return filecache.file_key(s)  # taken before it is parsed (the walk's, in a read)


def _entries_alike(tid: str, i: int, old: Any, new: Any) -> bool:
    """Do the entry as the answer had it (`old`) and as it is (`new`) have the same id and
    file and the same findings of their own (the manifest's schema, aliases, unknown
    values)? Their merge with the task file is counted with it (`light.basis_now`)."""
    if old == new:
        return True
    from taskctl.core.load import entryrows, specs

    if not isinstance(old, dict) or not isinstance(new, dict) or any(
            old.get(k) != new.get(k) or new.get(k) is None for k in ("id", "file")):
        return False
    if len(entryrows.recheck_entries({i: old})) != len(entryrows.recheck_entries({i: new})):
        return False
    rules = [sorted(f[0] for f in specs.from_mapping(e, "entry", tid)[1]) for e in (old, new)]
    return rules[0] == rules[1]


def _claims_added(root: Path, rows: list[tuple], statuses: dict) -> tuple:
    """The claim files of tasks whose status changed, as rows: those a `claim` added (the
    key is tried with them left out, then with them)."""
    out = []
    for tid in statuses:
        path = os.path.join(root, "claims", tid + ".json")
        at = bisect.bisect_left(rows, (path,))
        if at < len(rows) and rows[at][0] == path:
            out.append(rows[at])
    return tuple(out)


def _restated(root: Path, command: str, payload: dict, statuses: dict, titles: dict,
              counts: list[int]) -> bool:
    """Put the answer `payload` of `command` right in place for the tasks' statuses (id ->
    (then, now)), titles and problem counts; False when it does not read as expected."""
    report, problems = payload.get("report"), payload.get("problems")
    if not isinstance(report, dict) or report.get("dialect") != "tasks" or not (
            isinstance(problems, list) and len(problems) == 2):
        return False
    payload["problems"] = [problems[0] + counts[0], problems[1] + counts[1]]
    if command == "ready":
        return _waves(report, statuses, titles)
    if command == "critical-path":
        return _schedule(report, statuses)
    return _next(root, report, statuses, titles)


def _waves(report: dict, statuses: dict, titles: dict) -> bool:
    """`ready`: each task's row (its status, its title) and the blockers outside the plan
    that name it ("held_by": a task on a dependency cycle is outside it)."""
    waves = report.get("waves")
    if not isinstance(waves, list) or not all(
            isinstance(w, dict) and isinstance(w.get("tasks"), list) for w in waves):
        return False
    rows = [r for w in waves for r in w["tasks"]]
    if not all(isinstance(r, dict) and isinstance(r.get("held_by"), list) for r in rows):
        return False
    by_id = {r.get("id"): r for r in rows}
    for tid, (_was, title) in titles.items():
        if tid in by_id:
            by_id[tid]["title"] = title
    if not _rows_restated(by_id, statuses):
        return False
    for tid, (was, now) in statuses.items():
        old, new = f"waits on {tid} ({was})", f"waits on {tid} ({now})"
        for r in rows:
            if old in r["held_by"]:
                r["held_by"] = [new if b == old else b for b in r["held_by"]]
    return True


def _schedule(report: dict, statuses: dict) -> bool:
    """`critical-path`: each scheduled task's row shows its status (nothing else of the
    schedule reads it)."""
    rows = report.get("tasks")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return False
    return _rows_restated({r.get("id"): r for r in rows}, statuses)


def _rows_restated(by_id: dict, statuses: dict) -> bool:
    """Each changed task's row (where there is one) given its new status; False when a row
    does not show the status it had."""
    for tid, (was, now) in statuses.items():
        row = by_id.get(tid)
        if row is not None:
            if row.get("status") != was:
                return False
            row["status"] = now
    return True


def _next(root: Path, report: dict, statuses: dict, titles: dict) -> bool:
    """`next`: see the module docstring."""
    from taskctl.core.files import claims
    from taskctl.core.records import asdict

    ranked = _ranked(report.get("tasks"), report.get("held"))
    rest = report.get("not_listed")
    if ranked is None or not isinstance(rest, list) or not all(
            isinstance(r, dict) and isinstance(r.get("reason"), str) and _plain(r.get("id"))
            for r in rest):
        return False
    by_id = {r["id"]: r for r in ranked}
    others = {r["id"]: r for r in rest}
    held = {r["id"] for r in report["held"]}
    for tid, (_was, title) in titles.items():
        if tid in by_id:
            by_id[tid]["title"] = title
    for tid, (was, now) in statuses.items():
        row = by_id.get(tid) or others.get(tid)
        if row is None or row.get("status") != was:
            return False
        row["status"] = now
        if tid in by_id:
            reason = row["reason"]
            if was == IN_PROGRESS:
                if not reason.endswith(_NOTE):
                    return False
                reason = reason[:-len(_NOTE)]
            row["reason"] = reason + _NOTE if now == IN_PROGRESS else reason
            claim = claims.read(root, tid)
            held.discard(tid)
            row.pop("claim", None)
            if claim is not None or now == IN_PROGRESS:
                held.add(tid)
                row["claim"] = asdict(claim) if claim else None
        old, new = f"waits on {tid} ({was})", f"waits on {tid} ({now})"
        for r in rest:
            if old in r["reason"]:
                if "depends on " in r["reason"]:
                    return False  # a blocker naming an id that is no task: any text at all
                r["reason"] = "; ".join(new if part == old else part
                                        for part in r["reason"].split("; "))
    report["tasks"] = [r for r in ranked if r["id"] not in held]
    report["held"] = [r for r in ranked if r["id"] in held]
    return True


def _ranked(tasks: Any, held: Any) -> list[dict] | None:
    """The rows of `tasks` and `held` in the ranking's order, read back from their reasons
    (each says the row before it: "first: …" or "after <id>: …"); None when they do not
    make one chain through every row."""
    if not isinstance(tasks, list) or not isinstance(held, list):
        return None
    after: dict[Any, dict] = {}
    for r in (*tasks, *held):
        if not isinstance(r, dict) or not isinstance(r.get("reason"), str) or not _plain(
                r.get("id")):
            return None
        reason = r["reason"]
        prev = None if reason.startswith("first: ") else (
            reason[6:reason.find(": ")] if reason.startswith("after ") else "")
        if prev == "" or prev in after:
            return None
        after[prev] = r
    out, at = [], None
    while at in after:
        out.append(after[at])
        at = out[-1]["id"]
    return out if len(out) == len(after) else None


def _plain(tid: Any) -> bool:
    """Is `tid` an id that cannot fake a boundary in a reason's text ("; " between blockers,
    ": " after the id a reason says the row comes after)? A load refuses such ids (E024: the
    id grammar); this guards the text patch all the same. Every remaining task's id is a
    row's, so every id a blocker "waits on" is checked with them."""
    return isinstance(tid, str) and ";" not in tid and ": " not in tid

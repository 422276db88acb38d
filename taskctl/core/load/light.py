"""The stored backlog as a plan answer's early cutoff reads it (`core/plan/replan.py`,
`restatus.py`): the task files' listing and stat keys and the manifest's key and digest (the
stored head), and, for the few task files it parses again, each one's id, manifest entry and
*plan basis* (what a plan reads of the merged task, its title, its problem counts:
`stored.file_basis`; as the file reads now: `basis_now`) — never the stored tasks (~10 MB on
10,000).

`snapshot._store` writes the bases with every stored backlog, in the per-file cache's shards
(`backlog-plan-NN.marshal`); the delta of task files patched in since
(`backlog-delta.marshal`) is folded in here. A file whose key is unknown (written within the
racy window when stored), or whose problem slots the delta lacks, has no basis: a cutoff that
needs it is not made.
"""

from __future__ import annotations

from taskctl.core.load import filecache, stored

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MAX_FILES = 8  # task files a plan answer's cutoff parses again; more: plan again
MAX_OVER = 64  # task files an answer's companion may carry; more: plan again


class Light:
    """The stored head (with the delta's keys), and the bases of files on demand."""

    def __init__(self, root, head: dict, delta: dict | None):
        self.root, self.id = root, head["id"]
        self.listing: list[str] = head["listing"]
        self.keys: dict[str, tuple | None] = dict(zip(self.listing, head["keys"], strict=True))
        self.manifest_key = head["manifest_key"]
        self.manifest_digest: bytes | None = head.get("manifest_digest")  # `journal.digest`
        self.stored_keys = dict(self.keys)  # as the snapshot stored them, before the delta
        self._delta = delta if delta is not None and delta.get("base") == self.id else None
        self.patched: frozenset[str] = frozenset()  # the files the delta patched in
        if self._delta is not None:
            self.keys.update(self._delta["keys"])
            self.patched = frozenset(self._delta["keys"])
        self._shards: dict[int, dict | None] = {}

    def file(self, s: str, before_delta: bool = False) -> tuple | None:
        """(id, entry index, entry data, basis or None) of task file `s` at its key in `keys`
        (`before_delta`: in `stored_keys`, before the delta patched it in); None: not a task file
        merged with its entry alone, or its shard missing."""
        n = filecache.shard_of(s)
        if n not in self._shards:
            part = stored.read(self.root, stored.plan_shard(n))
            self._shards[n] = part["files"] if part is not None and part.get(
                "id") == self.id else None
        files = self._shards[n]
        got = files.get(s) if files is not None else None
        delta = self._delta
        if before_delta or got is None or delta is None or s not in delta["keys"]:
            return got
        tid, i, blob, _was = got  # patched in since: its basis from the delta's rows
        row = next((r for r in delta["tasks"].values() if r[3] == s), None)
        slots = {tuple(slot): ps for slot, ps in delta["slots"].items()}
        return (tid, i, blob, None if row is None or row[0] != tid
                else stored.file_basis(row, slots, s, i))


def read(root) -> Light | None:
    """The stored backlog's light view, or None (none stored, or stored by other code)."""
    head = stored.read(root, stored.HEAD)
    if head is None:
        return None
    return Light(root, head, stored.read(root, stored.DELTA))


def basis_now(root: Path, path: Path, tid: str, entry: Any) -> tuple | None:
    """`stored.file_basis` of the task file as it is now: parsed and merged with its
    manifest entry as a stored backlog's patch does (`snapshot.Restored._patch`); None
    when it is no task of that id now."""
    from taskctl.core.load import merge
    from taskctl.core.load import taskplain as tp
    from taskctl.core.problems import problem

    found: list = []

    def add(name: str, message: str, **kw) -> None:
        found.append(problem(name, message, **kw))

    def nowhere(_key: Any) -> None:  # where in the manifest: no bearing on the counts
        return None

    got = merge.file_with_entry(add, str, root, path, tid, entry, "manifest.json", nowhere)
    if got is None:
        return None
    task, _raw, problems = got
    found += problems  # counted with the merge's findings
    errors = sum(p.severity.value == "error" for p in found)
    return (stored.plan_view(tp.head_of(task)), task.title, errors, len(found))

"""Milestones: the manifest's `milestones` list, `milestones/*.yaml` files (read through the
per-file cache like task files: an unchanged tree parses no YAML and need not import PyYAML),
and each task's `milestone` field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from taskctl.core.load import filecache, safeyaml
from taskctl.core.load import manifest as mf
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.model import Backlog, Milestone


def read_files(root: Path, cache: filecache.FileCache,
               keys: dict | None = None) -> list[tuple[Path, tuple]]:
    """(path, ("data", value) or ("issue", rule, message, line, column)) of each
    milestones/*.yaml file, in name order. Called before the cache is saved. `keys` receives
    each file's stat key, taken before it was read."""
    d = root / "milestones"
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.iterdir()):
        if p.suffix not in (".yaml", ".yml"):
            continue
        key, got = cache.lookup(str(p))
        if keys is not None:
            keys[str(p)] = key
        if got is None:
            try:
                got = ("data", safeyaml.load(safeyaml.read_text(p, root)))
            except FileIssue as e:
                got = ("issue", e.rule, e.message, e.line, e.column)
            cache.store(str(p), key, got)
        out.append((p, got))
    return out


def collect(bl: Backlog, files: list[tuple[Path, tuple]], add: Callable[..., None],
            rel: Callable[[Path], str],
            from_manifest: list[Milestone] | None = None) -> dict[str, Milestone]:
    """Every milestone by id: the manifest's (`from_manifest` when known: a stored backlog's),
    then the files' (a file wins), then those only named by tasks; each lists its tasks.
    Problems go to `add` (as the loader's)."""
    ms: dict[str, Milestone] = {}
    if from_manifest is None and bl.manifest is not None:
        from_manifest = mf.milestones(bl.manifest.data)
        for m in from_manifest:
            m.path = bl.manifest.path
    for m in from_manifest or ():
        ms[m.id] = m
    for p, got in files:
        if got[0] == "issue":
            _, rule, message, line, column = got
            add(rule, message, file=rel(p), line=line, column=column)
            continue
        data = got[1]
        if not isinstance(data, dict):
            add("task-schema", "milestone file must be a YAML mapping", file=rel(p), line=1)
            continue
        mid = str(data.get("id") or p.stem)
        dod = data.get("definition_of_done") or []
        tasks = data.get("tasks") or []
        ms[mid] = Milestone(mid, str(data.get("title") or ""),
                            [str(t) for t in tasks] if isinstance(tasks, list) else [],
                            [str(x) for x in dod] if isinstance(dod, list) else [],
                            str(data.get("description") or ""), p)
    for t in bl.tasks.values():
        if t.milestone:
            m = ms.setdefault(t.milestone, Milestone(t.milestone))
            if t.id not in m.tasks:
                m.tasks.append(t.id)
    return ms

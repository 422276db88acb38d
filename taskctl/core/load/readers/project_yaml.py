"""Plain YAML task files in a folder per project: `DEV/12.yml`, `OPS/3.yaml`. The id is the
file name (prefixed with the project, `DEV-12`, when two projects share a number); status
words like `Todo`, `In Progress`, `Done` and priorities like `Medium` are this dialect's
normal spelling. Dependencies name tasks by number (same project) or by full id."""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.load import safeyaml
from taskctl.core.load.readers import edits, mdmeta
from taskctl.core.load.readers.base import Build, Reader, Record, Top, refs
from taskctl.core.load.readers.scan import NON_TASK_DIRS
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.model import Backlog, Task

SUFFIXES = (".yml", ".yaml")


def _numbered_yaml(d: Path) -> bool:
    """Does folder `d` hold a `<number>.yml` file? (looks at its first 64 entries)"""
    try:
        with os.scandir(d) as it:
            for i, e in enumerate(it):
                if i >= 64:
                    break
                stem, dot, suffix = e.name.rpartition(".")
                if dot and "." + suffix in SUFFIXES and stem.isdigit():
                    return True
    except OSError:
        pass
    return False


def _projects(root: Path, top: Top) -> list[str]:
    return sorted(d for d in top.dirs if not d.startswith(".") and d.lower() not in
                  NON_TASK_DIRS and _numbered_yaml(root / d))


class ProjectYamlReader(Reader):
    name = "project-yaml"
    label = "plain YAML files in a folder per project (DEV/12.yml)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return bool(_projects(root, top))

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads PROJECT/<number>.yml files"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self, int_ids_normal=True)
        files = [(d, p) for d in _projects(root, Top(root))
                 for p in sorted((root / d).iterdir()) if p.suffix in SUFFIXES]
        stems: dict[str, int] = {}
        for _, p in files:
            stems[p.stem] = stems.get(p.stem, 0) + 1
        for proj, path in files:
            text = b.text(path)
            if text is None:
                continue
            try:
                data = safeyaml.load(text)
            except FileIssue as e:
                b.problem(e.rule, e.message, path, e.line)
                continue
            if not isinstance(data, dict):
                b.problem("task-schema", "a task file must be a YAML mapping", path, 1)
                continue
            ident = path.stem if stems[path.stem] == 1 else f"{proj}-{path.stem}"
            d = {mdmeta.LABELS.get(str(k).lower().replace("_", " "), str(k)): v
                 for k, v in data.items()}
            d.setdefault("id", ident)
            if d["id"] != ident and str(d["id"]) == path.stem:
                d["id"] = ident
            rel = data.get("relationships")
            deps = refs(d.get("depends_on"))
            if isinstance(rel, dict):  # relationships: {depends_on: [DEV-3], parent: DEV-1}
                for key in ("depends_on", "blocked_by", "dependencies"):
                    deps += [x for x in refs(rel.get(key)) if x not in deps]
            d["depends_on"] = [x if x in stems and stems[x] == 1 or not x.isdigit()
                               else f"{proj}-{x}" for x in deps]
            d.setdefault("phase", proj)
            lines = {k: safeyaml.locate(text, (src,))[0] or 1 for k, src in
                     (("status", "status"), ("priority", "priority"), ("id", "id"))}
            b.add(Record(d, path, lines), bodies)
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        old = task.front_matter.get("status")
        return edits.yaml_status(task.path, bl.root, task.id, edits.tree_word(bl, status, old))


READER = ProjectYamlReader()

"""A manifest `tasks[]` with integer ids, and one `<slug>.md` per task at the top of the store,
without front matter. The manifest holds the metadata (status, dependencies…); the Markdown
file is the task's body. An entry finds its file by `file`/`path`/`slug`, else by its title
slugified, else by a file name starting with its id."""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.load.readers import edits, mdmeta
from taskctl.core.load.readers.base import Build, Reader, Record, Top, json_task
from taskctl.core.model import Backlog, Task

MANIFEST = "manifest.json"


def slugify(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


class SlugMdReader(Reader):
    name = "slug-md"
    label = "manifest tasks[] with integer ids + <slug>.md files"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return (MANIFEST in top.files and "tasks" not in top.dirs
                and any(f.endswith(".md") and not f.lower().startswith("readme")
                        for f in top.files))

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "no manifest.json entry names this file"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self, int_ids_normal=True)
        path = root / MANIFEST
        doc = b.json(path)
        entries = doc.value.get("tasks") if doc and isinstance(doc.value, dict) else None
        if doc is not None and not isinstance(entries, list):
            b.problem("manifest-schema", "manifest.json has no `tasks` list", path, 1)
        mds = {p.name: p for p in root.glob("*.md")}
        by_slug = {slugify(p.stem): p for p in mds.values()}
        for e in entries or []:
            if not isinstance(e, dict):
                continue
            data, lines = json_task(e, doc)
            named = e.get("file") or e.get("path") or (f"{e['slug']}.md" if isinstance(
                e.get("slug"), str) else None)
            md_path = None
            if isinstance(named, str):
                md_path = mds.get(Path(named).name)
            if md_path is None and isinstance(data.get("title"), str):
                md_path = by_slug.get(slugify(data["title"]))
            if md_path is None and data.get("id") is not None:
                md_path = next((p for n, p in sorted(mds.items())
                                if re.match(rf"0*{re.escape(str(data['id']))}[-_. ]", n)), None)
            body, body_line, text = "", 1, None
            if md_path is not None:
                text = b.text(md_path)
                if text is not None:
                    md = mdmeta.read(text)
                    body, body_line = md.body, md.body_line
                    data.setdefault("title", md.data.get("title", ""))
            rec = Record(data, path, lines, body, body_line, text)
            task = b.add(rec, bodies)
            if task is not None and md_path is not None:
                task.extra["file"] = md_path.name
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        old = task.front_matter.get("status")

        def find(doc):
            for e in doc.value.get("tasks") or [] if isinstance(doc.value, dict) else []:
                if isinstance(e, dict) and str(json_task(e)[0].get("id")) == task.id:
                    return e
            return None

        return edits.json_status(task.path, bl.root, task.id, find,
                                 edits.tree_word(bl, status, old))


READER = SlugMdReader()

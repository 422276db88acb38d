"""Read one task file: front matter + Markdown (`.yaml`/`.md`) or a plain YAML document."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load import markdown, normalize, safeyaml
from taskctl.core.load.fences import closing
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.records import record

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any


class _Locates:
    """Where a key path of the front matter is: (line, column), 1-based."""

    fm_text: str
    fm_line: int

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        return safeyaml.locate(self.fm_text, path, self.fm_line - 1)


@record
class RawTaskFile(_Locates):
    """A parsed but not yet normalised task file."""

    path: Path
    text: str
    data: dict[str, Any]
    body: str  # Markdown after the front matter ("" for plain YAML)
    fm_text: str  # the YAML text (front matter, or the whole plain document)
    fm_line: int  # 1-based line where the YAML text starts
    body_line: int  # 1-based line where the body starts
    format: str  # "front-matter" | "yaml"
    # top-level keys set twice: (key, first line, later line) — YAML reads the last, silently
    duplicates: tuple = ()


class CachedTaskFile(_Locates):
    """A task file known unchanged (the loader's per-file cache): its front matter and format
    come from the cache, and its text is read only when something needs it (a problem's line
    number, the Markdown body). On 10,000 unchanged files that skips ~0.3 s of reading,
    guarding and splitting texts nobody looks at."""

    _LAZY = ("text", "body", "fm_text", "fm_line", "body_line")

    def __init__(self, path: Path, root: Path, data: dict[str, Any], fmt: str):
        self.path, self.root, self.data, self.format = path, root, data, fmt

    def __getattr__(self, name: str) -> Any:
        if name not in CachedTaskFile._LAZY:
            raise AttributeError(name)
        try:  # the file as it is now; the data stays the cached (stat-matched) value
            full = read(self.path, self.root, require_front_matter=False, parsed=self.data)
        except FileIssue:
            full = None  # changed or gone since the stat: positions unknown, never an error
        for k in CachedTaskFile._LAZY:
            setattr(self, k, getattr(full, k) if full is not None else
                    ("" if k in ("text", "body", "fm_text") else 1))
        return getattr(self, name)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(yaml_text, body, body_first_line) if the text opens with a `---` block, else None."""
    if not text.startswith("---"):
        return None
    first_nl = text.find("\n")
    if first_nl < 0 or text[:first_nl].strip() != "---":
        return None
    end = closing(text, first_nl + 1)
    if end is None:
        raise FileIssue("yaml-syntax", "front matter opened with '---' is never closed", 1, 1,
                        hint="add a closing '---' line after the front matter")
    fm = text[first_nl + 1:end[0]]
    body_start = end[1] + 1
    body_line = text.count("\n", 0, min(body_start, len(text))) + 1
    return fm, text[body_start:], body_line


def _load(text: str, line_offset: int, dates_as_strings: bool, duplicates: list) -> Any:
    data = safeyaml.load(text, line_offset, duplicates)
    if dates_as_strings and isinstance(data, dict):
        data = normalize.stringify_dates(data)
    return data


def read(path: Path, root: Path, require_front_matter: bool = True,
         dates_as_strings: bool = False, parsed: Any = None) -> RawTaskFile | None:
    """Parse a task file. Raises FileIssue. Returns None for a Markdown file with no front
    matter when `require_front_matter` is False (e.g. completion summaries in completed/).
    `dates_as_strings`: top-level YAML dates become ISO strings (what the loader models).
    `parsed`: the YAML text's value when already known (the loader's per-file cache)."""
    text = safeyaml.read_text(path, root)
    split = split_front_matter(text)
    duplicates: list = []
    if split is not None:
        fm, body, body_line = split
        data = _load(fm, 1, dates_as_strings, duplicates) if parsed is None else parsed
        fmt, fm_line = "front-matter", 2
    elif path.suffix == ".md":
        if not require_front_matter:
            return None
        raise FileIssue("no-front-matter", "Markdown task file has no '---' front matter", 1, 1)
    else:
        fm, body, body_line, fm_line, fmt = text, "", 0, 1, "yaml"
        data = _load(text, 0, dates_as_strings, duplicates) if parsed is None else parsed
    if data is None:
        data = {}
    if not isinstance(data, dict):
        if not require_front_matter:
            return None
        raise FileIssue("task-schema", f"task spec must be a YAML mapping, got "
                        f"{type(data).__name__}", fm_line, 1)
    return RawTaskFile(path, text, data, body, fm, fm_line, body_line, fmt, tuple(duplicates))


def parse_body(raw: RawTaskFile):
    """(sections, acceptance checkboxes with real lines, scenarios) of the Markdown body."""
    if not raw.body:
        return {}, [], []
    sections = markdown.parse_sections(raw.body, raw.body_line)
    boxes = markdown.locate_checkboxes(raw.text) if "[" in raw.body else []
    sc = markdown.find_section(sections, "test scenarios", "scenarios")
    scenarios = markdown.scenarios(sc) if sc else []
    return sections, boxes, scenarios

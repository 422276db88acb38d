"""JSON Schema checks of task specs and the manifest (schemas ship as package data)."""

from __future__ import annotations

import json
import re
from functools import cache

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

SCHEMA_NAMES = ("task", "manifest")  # shipped files; "manifest-entry" is derived


def schema_bytes(name: str) -> bytes:
    """The bytes of a shipped schema file ("task" or "manifest"). Read beside the package, as
    the code stamp and the trace hook find theirs (importlib.resources would import tempfile
    and zipfile: ~6 ms of a read command)."""
    import os

    from taskctl.core.files.codestamp import SCHEMAS

    with open(os.path.join(SCHEMAS, f"{name}.schema.json"), "rb") as f:
        return f.read()


def schema_text(name: str) -> str:
    """The JSON text of a shipped schema ("task" or "manifest")."""
    return schema_bytes(name).decode("utf-8")


def definition(name: str) -> dict:
    """A schema by name; "manifest-entry" is one entry of the manifest's `tasks` list (the
    manifest schema's `$defs/entry`), so each entry can be checked, and cached, on its own."""
    if name == "manifest-entry":
        whole = json.loads(schema_text("manifest"))
        return {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/entry"}
    return json.loads(schema_text(name))


@cache
def _validator(name: str):
    import jsonschema  # lazy: ~100 ms import, only validate-like commands need it

    schema = definition(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


_SHIPPED: set[str] = set()  # the schemas read as shipped (their generated modules are used)


@cache
def _fast(name: str):
    """A compiled validator (fastjsonschema): ~30x faster on valid documents, which is the
    common case; jsonschema then explains the invalid ones with every error. The module
    generated ahead of time (`core/load/validators/`) while it was made from the shipped
    schema, else compiled now (~20 ms a schema)."""
    from importlib import import_module

    from taskctl.core.load.validators import MODULES

    made = import_module(f"taskctl.core.load.validators.{MODULES[name]}")
    if made.SOURCE_SHA256 == source_digest(name):
        _SHIPPED.add(name)
        return made.validate
    _SHIPPED.discard(name)  # an edited schema: its compiled check alone (no `usual_*` either)
    import fastjsonschema

    from taskctl.core.load.validators.failed import JsonSchemaException

    compiled = fastjsonschema.compile(definition(name))

    def check(instance: Any) -> Any:  # raises what the generated modules raise
        try:
            return compiled(instance)
        except fastjsonschema.JsonSchemaException as e:
            raise JsonSchemaException(str(e)) from e

    return check


def source_digest(name: str) -> str:
    """SHA-256 (hex) of the shipped schema file that schema `name` is made from: a generated
    validator records it and is used only while it matches."""
    from taskctl.core.files.cachekey import sha256
    from taskctl.core.load.validators import SOURCES

    return sha256(schema_bytes(SOURCES[name])).hexdigest()


def valid(name: str, instance: Any) -> bool:
    """Does `instance` pass (no explanations)? A document written the usual way is told by
    its types (`usual_task`, `usual_entry`), any other by the compiled check."""
    check = _fast(name)
    if name in _SHIPPED and (usual := _USUAL.get(name)) is not None and usual(instance):
        return True  # (the types-only checks are the shipped schemas': see `_fast`)
    try:
        check(instance)
    except _failure():  # evaluated only when the check raised: no import statement per call
        return False
    return True


@cache
def _failure() -> type:
    """The exception a compiled check raises for a document that does not pass."""
    from taskctl.core.load.validators.failed import JsonSchemaException

    return JsonSchemaException


# The manifest schema's `$defs/entry` properties but `id`, by the shape of their rule (a test
# holds these equal to the shipped schema): text, text or integer, a list of texts, a number
# >= 0. Any other key of an entry is open (`additionalProperties: true`).
ENTRY_TEXT = frozenset({"title", "file", "status", "milestone"})
ENTRY_TEXT_OR_INT = frozenset({"priority", "phase"})
ENTRY_LISTS = frozenset({"depends_on", "dependencies", "blocks", "tags"})
ENTRY_NUMBERS = frozenset({"estimated_hours", "estimated_tokens", "actual_hours",
                           "actual_tokens"})


def usual_entry(entry: Any) -> bool:
    """True only for a manifest entry that `$defs/entry` accepts, told by Python types alone
    (False says nothing: the compiled check decides). A cold load checks every entry: the
    compiled check costs ≈ 4x this for the entries written the usual way."""
    return (type(entry) is dict and type(tid := entry.get("id")) is str and tid != ""
            and _typed(entry, _ENTRY_SHAPES))


# The task schema's properties but `id` and `acceptance`, by the shape of their rule, and an
# acceptance item's (a test holds these equal to the shipped schema).
TASK_TEXT = frozenset({"title", "status", "milestone", "created_at", "created", "updated_at",
                       "updated", "started_at", "completed_at", "description"})
TASK_TEXT_OR_INT = frozenset({"priority", "phase"})
TASK_ID_LISTS = frozenset({"depends_on", "dependencies", "blocked_by", "blocks"})
TASK_TEXT_LISTS = frozenset({"tags", "secret_env"})
TASK_NUMBERS = frozenset({"estimated_hours", "estimated_tokens", "est_tokens", "actual_hours",
                          "actual_tokens"})
ITEM_TEXT_LISTS = frozenset({"inputs", "secret_env"})
ITEM_REQUIRES = frozenset({"gpu", "tpu", "network", "docker"})
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")  # the id pattern, as the compiled check reads it
_ENV_VALUES = (str, int, float, bool)


def usual_task(doc: Any) -> bool:
    """True only for task front matter that the task schema accepts, told by Python types
    (False says nothing: the compiled check decides). A cold load checks every task file: the
    compiled check costs ≈ 9x this for the front matter written the usual way."""
    return (type(doc) is dict and type(tid := doc.get("id")) is str
            and _ID.match(tid) is not None and _typed(doc, _TASK_SHAPES))


# a property's rule, by shape: text; text or integer; a list of texts; a list of non-empty
# texts, or a text (the task schema's `id_list`); a number >= 0; acceptance items
_TEXT, _TEXT_OR_INT, _TEXTS, _IDS, _NUMBER, _ITEMS = range(6)
_ENTRY_SHAPES = {**dict.fromkeys(ENTRY_TEXT, _TEXT), **dict.fromkeys(ENTRY_LISTS, _TEXTS),
                 **dict.fromkeys(ENTRY_TEXT_OR_INT, _TEXT_OR_INT),
                 **dict.fromkeys(ENTRY_NUMBERS, _NUMBER)}
_TASK_SHAPES = {**dict.fromkeys(TASK_TEXT, _TEXT), **dict.fromkeys(TASK_ID_LISTS, _IDS),
                **dict.fromkeys(TASK_TEXT_OR_INT, _TEXT_OR_INT),
                **dict.fromkeys(TASK_NUMBERS, _NUMBER), **dict.fromkeys(TASK_TEXT_LISTS, _TEXTS),
                "acceptance": _ITEMS}


def _typed(doc: dict, shapes: dict[str, int]) -> bool:
    """Does every key of `doc` with a rule in `shapes` hold a value of its shape? (Any other
    key is `id`, checked by the caller, or one the schema leaves open.) The shapes are
    compared as literals (`_TEXT` is 0, ...): a load runs this for every file and entry."""
    get = shapes.get
    for k, v in doc.items():
        shape = get(k)
        if shape is None:
            continue
        t = type(v)
        if shape == 0:  # _TEXT
            if t is not str:
                return False
        elif shape == 2:  # _TEXTS
            if t is not list or not _texts(v):
                return False
        elif shape == 3:  # _IDS
            if t is not str and (t is not list or not _texts(v) or "" in v):
                return False
        elif shape == 1:  # _TEXT_OR_INT
            if t is not str and t is not int:
                return False
        elif shape == 4:  # _NUMBER
            if (t is not int and t is not float) or not v >= 0:
                return False
        elif t is not list or not all(map(_usual_item, v)):  # _ITEMS
            return False
    return True


def _texts(values: list) -> bool:
    """Is every value a text (exactly `str`)? Told in C: the set of their types."""
    return not values or set(map(type, values)) == _STR_ONLY


_STR_ONLY = {str}


def _usual_item(item: Any) -> bool:
    """An acceptance item the schema's `$defs/acceptance_item` accepts (no other keys)."""
    if type(item) is not dict or type(c := item.get("criterion")) is not str or not c:
        return False
    for k, v in item.items():
        t = type(v)
        if k == "criterion":
            continue
        if k == "run" or k == "cwd":
            if t is not str or (k == "run" and not v):
                return False
        elif k == "timeout":
            if (t is not int and t is not float) or not v > 0:
                return False
        elif k in ITEM_TEXT_LISTS:
            if t is not list or not _texts(v):
                return False
        elif k == "requires":
            if t is not list or not _texts(v) or not ITEM_REQUIRES.issuperset(v):
                return False
        elif k == "env":
            if t is not dict or not all(type(x) is str for x in v) or not all(
                    type(x) in _ENV_VALUES for x in v.values()):
                return False
        else:
            return False  # `additionalProperties: false`
    return True


# the names with a types-only check that can tell a document valid before the compiled one
_USUAL = {"task": usual_task, "manifest-entry": usual_entry}


def errors(name: str, instance: Any, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """(path, message) for each schema violation, sorted by path. [] when valid. `prefix`:
    where `instance` sits in its document (paths and messages name the whole path)."""
    if valid(name, instance):
        return []
    v = _validator(name)
    out = []
    for err in v.iter_errors(instance):
        # oneOf failures: report the best sub-error, it names the real type problem
        leaf = err
        if err.context:
            import jsonschema

            leaf = jsonschema.exceptions.best_match(err.context) or err
        path = prefix + tuple(leaf.absolute_path)
        out.append((path, _message(leaf, path)))
    return sorted(out, key=lambda e: [str(p) for p in e[0]])


def _message(err, path: tuple) -> str:
    where = ".".join(str(p) for p in path) or "(top level)"
    if err.validator == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"{where}: expected {want}, got {type(err.instance).__name__} {err.instance!r}"
    if err.validator == "required":
        return f"{where}: {err.message}"
    if err.validator == "additionalProperties":
        return f"{where}: {err.message}"
    return f"{where}: {err.message}"

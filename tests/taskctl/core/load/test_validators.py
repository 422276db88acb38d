"""The compiled validators generated ahead of time (`core/load/validators/`).

They are fastjsonschema's own output for the shipped schemas, so: the committed modules are
exactly what regeneration gives now (a schema edited without regenerating fails here, not for
users); they are used only while made from the shipped schema; and they judge every document
as `fastjsonschema.compile` of the same schema does (hypothesis-generated documents built from
the schemas' own keys, plus the bundled backlog).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.load import schema, taskfile
from taskctl.core.load.validators import MODULES, failed, generate

REPO = Path(__file__).resolve().parents[4]
NAMES = tuple(MODULES)


@pytest.fixture(autouse=True)
def fresh_validators():
    schema._fast.cache_clear()
    yield
    schema._fast.cache_clear()


@pytest.mark.parametrize("name", NAMES)
def test_committed_modules_are_what_regeneration_gives(name):
    assert generate.path(name).read_text("utf-8") == generate.source(name), (
        f"{generate.path(name).name} is stale: run `python -m taskctl.core.load.validators`")


@pytest.mark.parametrize("name", NAMES)
def test_the_generated_module_is_used_for_the_shipped_schema(name):
    from importlib import import_module

    made = import_module(f"taskctl.core.load.validators.{MODULES[name]}")
    assert schema._fast(name) is made.validate


def test_an_edited_schema_is_compiled_instead(monkeypatch):
    """A schema that differs from the one the module was made from (an edit without
    regenerating): the generated module is not used, the edited schema is."""
    shipped = schema.schema_bytes
    edited = json.loads(shipped("task"))
    edited["properties"]["title"]["maxLength"] = 3
    monkeypatch.setattr(schema, "schema_bytes",
                        lambda n: json.dumps(edited).encode() if n == "task" else shipped(n))
    assert not schema.valid("task", {"id": "T1", "title": "longer than three"})
    assert schema.valid("task", {"id": "T1", "title": "ok"})
    monkeypatch.undo()
    schema._fast.cache_clear()
    assert schema.valid("task", {"id": "T1", "title": "longer than three"})


def test_checking_compiles_nothing_and_imports_nothing_heavy():
    """No validator source is compiled at run time (CPython's "compile" audit event: source and
    file name; fastjsonschema's is `def validate...` in "<string>", a module's is its path),
    and nothing heavy is imported."""
    code = ("import sys\nseen = []\n"
            "sys.addaudithook(lambda e, a: seen.append(a[1] == '<string>' and"
            " 'def validate' in str(a[0])) if e == 'compile' else None)\n"
            "from taskctl.core.load import schema\n"
            "for name in ('task', 'manifest-entry', 'manifest'):\n"
            "    schema.valid(name, {'id': 'T1'})\n"
            "print(any(seen), ' '.join(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout.split()
    assert out[0] == "False"
    heavy = {"jsonschema", "importlib.resources", "tempfile", "urllib.request", "yaml", "hashlib",
             "fastjsonschema", "decimal"}
    assert set(out[1:]) & heavy == set()


def test_the_exceptions_are_fastjsonschemas_alike():
    """The generated modules raise `failed`'s classes (fastjsonschema is not imported for
    them): same names, same bases, same attributes, and a check that fails raises one."""
    from fastjsonschema import exceptions as theirs

    for name in ("JsonSchemaException", "JsonSchemaValueException", "JsonSchemaValuesException"):
        ours, their = getattr(failed, name), getattr(theirs, name)
        assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in their.__mro__]
    args = ("data.tasks[3].id must be string", 5, "data.tasks[3].id",
            {"type": "string"}, "type")
    a, b = failed.JsonSchemaValueException(*args), theirs.JsonSchemaValueException(*args)
    for attr in ("message", "value", "name", "definition", "rule", "path", "rule_definition",
                 "args"):
        assert getattr(a, attr) == getattr(b, attr), attr
    many = failed.JsonSchemaValuesException([a, a])
    assert many.message == theirs.JsonSchemaValuesException([b, b]).message
    with pytest.raises(failed.JsonSchemaValueException, match="must be string"):
        schema._fast("task")({"id": 5})


@cache
def compiled(name: str):
    """What `fastjsonschema.compile` makes of the shipped schema now."""
    return fastjsonschema.compile(schema.definition(name))


def outcome(check, doc):
    """What a validator makes of `doc`: the (defaults-filled) document, or the error."""
    doc = json.loads(json.dumps(doc))  # a copy: fastjsonschema fills defaults in place
    try:
        return ("ok", check(doc))
    except (fastjsonschema.JsonSchemaException, failed.JsonSchemaException) as e:
        return ("error", type(e).__name__, str(e), getattr(e, "rule", None),
                getattr(e, "path", None), getattr(e, "rule_definition", None))


def keys_of(name: str) -> list[str]:
    d = schema.definition(name)
    props = d.get("properties") or d["$defs"]["entry"]["properties"]
    return sorted(props)


JSONS = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**12) | st.floats(allow_nan=False)
    | st.sampled_from(["", "T1", "T001", "x y", "-bad", "P1", "pending", "gpu", "2026-01-02",
                       "completed", "docs/a.md", "1h", "3"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "cmd", "run", "name", "path", "kind", "x"]), inner, max_size=3),
    max_leaves=8)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_and_compiled_validators_agree(name, data):
    keys = keys_of(name) + ["unknown_key"]
    doc = data.draw(st.dictionaries(st.sampled_from(keys), JSONS, max_size=6))
    if name != "manifest" and data.draw(st.booleans()):
        doc["id"] = data.draw(st.sampled_from(["T1", "", "-x", 7]))
    assert outcome(schema._fast(name), doc) == outcome(compiled(name), doc)


def test_bundled_backlog_is_judged_alike():
    root = REPO / ".tasks"
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    docs = [("manifest", manifest)] + [("manifest-entry", e) for e in manifest["tasks"]]
    for path in sorted((root / "tasks").iterdir()):
        raw = taskfile.read(path, root, require_front_matter=False, dates_as_strings=True)
        if raw is not None:
            docs.append(("task", raw.data))
    assert len(docs) > 50
    for name, doc in docs:
        assert outcome(schema._fast(name), doc) == outcome(compiled(name), doc)


def test_decimal_stands_in_without_importing_it():
    """`failed.Decimal` (the generated checks' name for `decimal.Decimal`): an instance exactly
    when the value is a `decimal.Decimal`; numbers of that type pass a compiled check as they
    pass fastjsonschema's own."""
    code = ("import sys\nfrom taskctl.core.load.validators.failed import Decimal\n"
            "a = [isinstance(v, Decimal) for v in (1, 1.5, '1', None, True)]\n"
            "print('decimal' in sys.modules, any(a))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout.split()
    assert out == ["False", "False"]
    import decimal

    assert isinstance(decimal.Decimal("2.5"), failed.Decimal)
    assert not isinstance(2.5, failed.Decimal) and not isinstance("2.5", failed.Decimal)
    doc = {"id": "T1", "title": "t", "acceptance": [{"criterion": "c", "run": "true",
                                                      "timeout": decimal.Decimal("2.5")}]}
    reference = fastjsonschema.compile(schema.definition("task"))
    reference(doc)  # passes fastjsonschema's own check
    assert schema.valid("task", doc)
    doc["acceptance"][0]["timeout"] = "2.5"
    assert not schema.valid("task", doc)


# -- schema.usual_entry: a manifest entry told valid by its types --------------------------

def test_usual_entry_shapes_are_the_shipped_schemas():
    """Every property of `$defs/entry` but `id` is in exactly one of the shapes
    `usual_entry` knows, and has exactly that rule (a schema edit fails here first)."""
    whole = schema.definition("manifest")
    props = whole["$defs"]["entry"]["properties"]
    rules = {"string": {"type": "string"}, "text_or_int": {"type": ["string", "integer"]},
             "list": {"$ref": "#/$defs/id_list"}, "number": {"$ref": "#/$defs/estimate"}}
    shapes = {"string": schema.ENTRY_TEXT, "text_or_int": schema.ENTRY_TEXT_OR_INT,
              "list": schema.ENTRY_LISTS, "number": schema.ENTRY_NUMBERS}
    assert set(props) - {"id"} == set().union(*shapes.values())
    for shape, keys in shapes.items():
        for k in keys:
            assert props[k] == rules[shape], k
    assert whole["$defs"]["id_list"] == {"type": "array", "items": {"type": "string"}}
    assert whole["$defs"]["estimate"] == {"type": "number", "minimum": 0}
    # the whole rule, not its parts: a keyword added anywhere in it (allOf, maxProperties...)
    # fails here before `usual_entry` can answer for a schema it was not written for
    assert whole["$defs"]["entry"] == {
        "type": "object", "required": ["id"], "additionalProperties": True,
        "properties": {"id": {"type": "string", "minLength": 1},
                       **{k: rules[shape] for shape, keys in shapes.items() for k in keys}}}
    assert whole["properties"]["tasks"] == {"type": "array", "items": {"$ref": "#/$defs/entry"}}


@settings(max_examples=1500, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_usual_entry_is_only_said_of_valid_entries(data):
    keys = keys_of("manifest-entry") + ["unknown_key", "notes"]
    values = JSONS | st.lists(st.sampled_from(["T1", "a", ""]), max_size=3) | st.floats(-1, 9)
    entry = data.draw(st.dictionaries(st.sampled_from(keys), values, max_size=8))
    if data.draw(st.booleans()):
        entry["id"] = data.draw(st.sampled_from(["T1", "", 7, None]))
    if schema.usual_entry(entry):
        assert outcome(compiled("manifest-entry"), entry)[0] == "ok", entry


def test_usual_entry_takes_the_generated_trees_entries(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from gen_tree import generate

    entries = json.loads((generate(tmp_path / "g", 300) / "manifest.json").read_text())["tasks"]
    assert all(schema.usual_entry(e) for e in entries)
    bundled = json.loads((REPO / ".tasks" / "manifest.json").read_text("utf-8"))["tasks"]
    assert sum(map(schema.usual_entry, bundled)) > 0.9 * len(bundled)
    assert not schema.usual_entry({"id": "T1", "estimated_hours": -1})
    assert not schema.usual_entry({"id": "T1", "tags": [1]})
    assert not schema.usual_entry({"id": "T1", "phase": True})
    assert not schema.usual_entry({"id": "", "title": "x"})


# -- schema.usual_task: task front matter told valid by its types --------------------------

def _rule(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "description"}  # annotations aside


def test_usual_task_shapes_are_the_shipped_schemas():
    whole = schema.definition("task")
    props = {k: _rule(v) for k, v in whole["properties"].items()}
    rules = {"text": {"type": "string"}, "text_or_int": {"type": ["string", "integer"]},
             "id_list": {"$ref": "#/$defs/id_list"}, "number": {"$ref": "#/$defs/estimate"}}
    shapes = {"text": schema.TASK_TEXT, "text_or_int": schema.TASK_TEXT_OR_INT,
              "id_list": schema.TASK_ID_LISTS, "number": schema.TASK_NUMBERS}
    assert set(props) - {"id", "acceptance"} == set().union(*shapes.values(),
                                                            schema.TASK_TEXT_LISTS)
    for shape, keys in shapes.items():
        for k in keys:
            assert props[k] == rules[shape], k
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["secret_env"] == {"$ref": "#/$defs/string_list"}
    assert whole["$defs"]["string_list"] == {"type": "array", "items": {"type": "string"}}
    assert whole["$defs"]["id_list"] == {"oneOf": [
        {"type": "array", "items": {"type": "string", "minLength": 1}}, {"type": "string"}]}
    assert whole["$defs"]["estimate"] == {"type": "number", "minimum": 0}
    assert props["id"] == {"type": "string", "minLength": 1,
                           "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}
    assert props["acceptance"] == {"type": "array",
                                   "items": {"$ref": "#/$defs/acceptance_item"}}
    # the whole schema, not its parts: a keyword added anywhere in it fails here before
    # `usual_task` can answer for a schema it was not written for
    assert set(whole) == {"$schema", "$id", "title", "description", "type", "required",
                          "properties", "additionalProperties", "$defs"}
    assert (whole["type"], whole["required"], whole["additionalProperties"]) == (
        "object", ["id"], True)
    assert set(whole["$defs"]) == {"id_list", "string_list", "estimate", "acceptance_item"}
    item = whole["$defs"]["acceptance_item"]
    assert set(item) == {"type", "required", "properties", "additionalProperties"}
    assert (item["type"], item["required"], item["additionalProperties"]) == (
        "object", ["criterion"], False)
    assert {k: _rule(v) for k, v in item["properties"].items()} == {
        "criterion": {"type": "string", "minLength": 1},
        "run": {"type": "string", "minLength": 1},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
        "cwd": {"type": "string"},
        "env": {"type": "object", "additionalProperties": {"type": ["string", "number",
                                                                   "boolean"]}},
        "inputs": {"$ref": "#/$defs/string_list"},
        "requires": {"type": "array", "items": {"type": "string", "enum": sorted(
            schema.ITEM_REQUIRES, key=["gpu", "tpu", "network", "docker"].index)}},
        "secret_env": {"$ref": "#/$defs/string_list"}}
    assert schema.ITEM_TEXT_LISTS == {"inputs", "secret_env"}


_TYPED = (st.sampled_from(["", "T1", "x y", "gpu", "docker", "P1", "-bad", "a.b_c-1"])
          | st.integers(-2, 9) | st.floats(-1, 9) | st.booleans() | st.none())
_ITEMS = st.dictionaries(
    st.sampled_from(["criterion", "run", "timeout", "cwd", "env", "inputs", "requires",
                     "secret_env", "cmd"]),
    _TYPED | st.lists(_TYPED, max_size=3) | st.dictionaries(
        st.sampled_from(["A", "B"]), _TYPED, max_size=2), max_size=5)


@settings(max_examples=2000, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_usual_task_is_only_said_of_valid_front_matter(data):
    keys = keys_of("task") + ["unknown_key", "owner"]
    values = _TYPED | st.lists(_TYPED, max_size=3) | st.lists(_ITEMS, max_size=3) | JSONS
    doc = data.draw(st.dictionaries(st.sampled_from(keys), values, max_size=9))
    if data.draw(st.booleans()):
        doc["id"] = data.draw(st.sampled_from(["T1", "", "-x", "T1\n", "a.b", 7]))
    if data.draw(st.booleans()):
        doc["acceptance"] = data.draw(st.lists(_ITEMS, max_size=3))
    if schema.usual_task(doc):
        assert outcome(compiled("task"), doc)[0] == "ok", doc


def test_usual_task_takes_the_front_matter_written_the_usual_way(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from gen_tree import generate

    root = generate(tmp_path / "g", 200)
    docs = [taskfile.read(p, root, dates_as_strings=True).data
            for p in sorted((root / "tasks").iterdir())]
    assert len(docs) == 200 and all(schema.usual_task(d) for d in docs)
    bundled = [taskfile.read(p, REPO / ".tasks", require_front_matter=False,
                             dates_as_strings=True)
               for p in sorted((REPO / ".tasks" / "tasks").iterdir())]
    docs = [r.data for r in bundled if r is not None]
    assert sum(map(schema.usual_task, docs)) > 0.9 * len(docs)
    for bad in ({"id": "T1\n"}, {"id": "T1", "acceptance": [{"criterion": "c", "x": 1}]},
                {"id": "T1", "depends_on": [""]}, {"id": "T1", "estimated_hours": True},
                {"id": "T1", "acceptance": [{"criterion": "c", "timeout": 0}]},
                {"id": "T1", "acceptance": [{"criterion": "c", "requires": ["cpu"]}]}):
        assert not schema.usual_task(bad), bad

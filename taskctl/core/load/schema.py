"""JSON Schema checks of task specs and the manifest (schemas ship as package data)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

SCHEMA_NAMES = ("task", "manifest")


def schema_text(name: str) -> str:
    from importlib import resources  # lazy: imports tempfile; one-task writes need no schema

    return resources.files("taskctl.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")


@cache
def _validator(name: str):
    import jsonschema  # lazy: ~100 ms import, only validate-like commands need it

    schema = json.loads(schema_text(name))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@cache
def _fast(name: str):
    """A compiled validator (fastjsonschema): ~30x faster on valid documents, which is the
    common case; jsonschema then explains the invalid ones with every error."""
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_text(name)))


def errors(name: str, instance: Any) -> list[tuple[tuple, str]]:
    """(path, message) for each schema violation, sorted by path. [] when valid."""
    import fastjsonschema

    try:
        _fast(name)(instance)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    v = _validator(name)
    out = []
    for err in v.iter_errors(instance):
        # oneOf failures: report the best sub-error, it names the real type problem
        leaf = err
        if err.context:
            import jsonschema

            leaf = jsonschema.exceptions.best_match(err.context) or err
        path = tuple(leaf.absolute_path)
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

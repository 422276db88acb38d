"""The schemas' compiled validators, generated ahead of time (one module per schema).

`fastjsonschema.compile` writes a validator's Python source and compiles it on every process
that checks a document: ~35 ms of a ~200 ms read of a small tree whose caches missed. These
modules hold the same source, written once by `python -m taskctl.core.load.validators`
(`generate.py`) and imported like any module (its bytecode cached by Python). Each records the
SHA-256 of the schema file it was generated from; `core/load/schema.py` uses it only while
that matches the shipped schema, else compiles the schema as before. A test regenerates them
and fails when the committed modules differ: run the command above after editing a schema.
"""

MODULES = {"task": "task", "manifest": "manifest", "manifest-entry": "manifest_entry"}
SOURCES = {"task": "task", "manifest": "manifest", "manifest-entry": "manifest"}  # *.schema.json

"""The code stamp that keys the core's caches moves with code and with packaged schemas."""

from __future__ import annotations

import os

from taskctl.core.files import codestamp


def _stamp(monkeypatch, core, schemas):
    monkeypatch.setattr(codestamp, "CORE", str(core))
    monkeypatch.setattr(codestamp, "SCHEMAS", str(schemas))
    codestamp.forget()
    try:
        return codestamp.stamp()
    finally:
        codestamp.forget()


def test_stamp_changes_with_a_module_or_a_schema(tmp_path, monkeypatch):
    core, schemas = tmp_path / "core", tmp_path / "schemas"
    (core / "load").mkdir(parents=True)
    schemas.mkdir()
    (core / "load" / "loader.py").write_text("x = 1\n")
    (schemas / "task.schema.json").write_text("{}\n")
    before = _stamp(monkeypatch, core, schemas)
    assert _stamp(monkeypatch, core, schemas) == before

    os.utime(schemas / "task.schema.json", ns=(1, 10**18))
    after_schema = _stamp(monkeypatch, core, schemas)
    assert after_schema != before  # cached schema findings must not outlive a schema edit

    os.utime(core / "load" / "loader.py", ns=(1, 10**18))
    assert _stamp(monkeypatch, core, schemas) != after_schema

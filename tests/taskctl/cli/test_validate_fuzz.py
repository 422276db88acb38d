"""Property: mutating valid specs never produces a traceback; exit codes stay in {0, 1, 2}.

Runs the real entry point in-process over thousands of mutated trees (task files and the
manifest), with text-level mutations (bytes, YAML punctuation, line surgery) and value-level
ones (keys given values of every YAML type).
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from tests.tree_copy import copy_tracked

SRC = EXAMPLES / "agent-mvp" / ".tasks"
FILES = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*") if p.is_file())
TASK_FILES = [f for f in FILES if f.startswith("tasks/")]
KEYS = ["id", "title", "status", "priority", "dependencies", "depends_on", "blocks", "tags",
        "estimated_hours", "est_tokens", "acceptance", "milestone", "phase", "created"]
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=20) | st.sampled_from(["P9", "done", "T015", "T999", "{tmp}", "*x"]),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4),
    max_leaves=10)
junk = st.sampled_from(["---", ":", "- ", "[", "]", "{", "}", '"', "'", "&a", "*a",
                        "!!python/object:os.system", "\t", "\x00", "\n", "#", "|", ">",
                        "%YAML 1.1"])


@st.composite
def text_mutation(draw, text: str) -> bytes:
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "bytes", "dupline"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "insert":
            data[pos:pos] = draw(junk).encode()
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif kind == "replace":
            data[pos:pos + 1] = draw(st.binary(min_size=1, max_size=3))
        elif kind == "bytes":
            data[pos:pos] = b"\xff\xfe"
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _run(taskctl, tasks, strict):
    args = ["validate", "--tasks-dir", tasks, "--json"] + (["--strict"] if strict else [])
    r = taskctl(args)
    assert r.code in (0, 1, 2), (r.code, r.err)
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    doc = json.loads(r.out)
    assert doc["schema_version"] == 1
    return r


def _mutate_and_validate(tmp_path_factory, taskctl, data, strict):
    root = tmp_path_factory.mktemp("fuzz") / ".tasks"
    copy_tracked(SRC, root)
    target = data.draw(st.sampled_from(TASK_FILES + ["manifest.json"]))
    text = (SRC / target).read_text()
    if data.draw(st.booleans()):
        new = data.draw(text_mutation(text))
    elif target == "manifest.json":
        m = json.loads(text)
        entry = data.draw(st.sampled_from(m["tasks"]))
        entry[data.draw(st.sampled_from(KEYS + ["file"]))] = data.draw(yaml_values)
        new = json.dumps(m, default=str).encode()
    else:
        fm, body = text.split("\n---\n", 1) if text.startswith("---") else (text, "")
        d = yaml.safe_load(fm.removeprefix("---\n")) or {}
        d[data.draw(st.sampled_from(KEYS))] = data.draw(yaml_values)
        new = ("---\n" + yaml.safe_dump(d) + "---\n" + body).encode()
    (root / target).chmod(0o644)
    (root / target).write_bytes(new)
    _run(taskctl, root, strict)


_SETTINGS = dict(deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=300, **_SETTINGS)
@given(data=st.data(), strict=st.booleans())
def test_mutated_specs_never_crash(tmp_path_factory, taskctl, data, strict):
    _mutate_and_validate(tmp_path_factory, taskctl, data, strict)


@pytest.mark.slow
@settings(max_examples=3000, **{**_SETTINGS, "derandomize": False})
@given(data=st.data(), strict=st.booleans())
def test_mutated_specs_never_crash_thousands(tmp_path_factory, taskctl, data, strict):
    _mutate_and_validate(tmp_path_factory, taskctl, data, strict)

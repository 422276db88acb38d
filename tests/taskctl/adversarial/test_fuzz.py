"""Mutation fuzz over everything taskctl parses: task files, the manifest, evidence records
and in-progress markers. Property: exit code in {0, 1, 2}, never a traceback, never a crash
(the real entry point runs in-process, so a segfault would take the test run down with it).

Default run: a few hundred cases. `-m slow`: 10,000+ (see docs/verify.md "Hardening").
The task-file/manifest half reuses the mutators of tests/taskctl/cli/test_validate_fuzz.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.taskctl.cli.test_validate_fuzz import text_mutation, yaml_values
from tests.taskctl.core.verify.verify_support import TASKCTL, make_tree

json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                | st.text(max_size=30) | st.sampled_from(["PASS", "FAIL", "SIGNED_OFF", "T001"]))
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=10), kids, max_size=4),
                           max_leaves=12)
bombs = st.sampled_from([
    "[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 3000 + "1" + "}" * 3000,
    "NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, '"\\ud800"', "\ufeff{}", "",
    "\x00\x01", "\xff\xfe"])
RECORD_KEYS = ["schema_version", "task", "item", "status", "fingerprint", "run_id", "kind",
               "exit_code", "output_tail", "git", "signed_off_by", "started_at", "log"]
MARKER_KEYS = ["pid", "host", "run_id"]
COMMANDS = [["gate", "--check", "--json"], ["show", "T001", "--json"],
            ["verify", "T001", "--dry-run", "--json"], ["status", "--json"]]

_SETTINGS = dict(deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def verified(tmp_path_factory, _signing_config):
    """A repository whose T001 was verified for real (evidence and events exist). Signed with
    the session's test key: a module fixture runs before the per-test key fixture, and once
    read the user's own key (or failed on a machine that has none)."""
    from taskctl.core.verify import keys

    with pytest.MonkeyPatch.context() as m:
        m.setenv(keys.CONFIG_DIR_ENV, str(_signing_config))
        m.delenv(keys.SIGNING_KEY_ENV, raising=False)
        return _verified(tmp_path_factory)


def _verified(tmp_path_factory):
    repo = tmp_path_factory.mktemp("fuzz-src") / "repo"
    repo.mkdir()
    root = make_tree(repo, {"T001": {"items": [{"criterion": "a", "run": "echo a"},
                                               {"criterion": "manual check"}]},
                            "T002": {"items": [{"criterion": "b", "run": "true"}],
                                     "deps": ["T001"]}})
    subprocess.run([*TASKCTL, "--tasks-dir", str(root), "verify", "T001"], cwd=repo,
                   capture_output=True, check=False)
    subprocess.run([*TASKCTL, "--tasks-dir", str(root), "check", "T001", "--item", "2",
                    "--by", "fuzz"], cwd=repo, capture_output=True, check=True)
    (root / ".locks").mkdir(exist_ok=True)
    (root / ".locks" / "task.T001.inprogress.json").write_text(
        json.dumps({"pid": 1, "host": "elsewhere", "run_id": "r"}))
    return repo


@pytest.fixture(scope="module")
def work(verified, tmp_path_factory):
    """One working copy per module: each case mutates one file, runs, then restores it."""
    dst = tmp_path_factory.mktemp("fuzz-work") / "repo"
    shutil.copytree(verified, dst, symlinks=True)
    return dst


def _targets(repo) -> list[str]:
    root = repo / ".tasks"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json")
                  if p.is_file() and ".cache" not in p.parts) + sorted(
        p.relative_to(root).as_posix() for p in (root / "tasks").iterdir())


def _json_mutation(data, text: str):
    kind = data.draw(st.sampled_from(["text", "value", "bomb", "wrap"]))
    if kind == "text":
        return data.draw(text_mutation(text))
    if kind == "bomb":
        return data.draw(bombs).encode("utf-8", "surrogatepass")
    doc = json.loads(text)
    if kind == "wrap":
        return json.dumps(data.draw(st.sampled_from([[doc], {"x": doc}, [doc] * 3, None]))
                          ).encode()
    keys = RECORD_KEYS + MARKER_KEYS + ["id", "tasks", "status", "estimated_hours"]
    if isinstance(doc, dict):
        target = doc
        if isinstance(doc.get("tasks"), list) and doc["tasks"] and data.draw(st.booleans()):
            target = data.draw(st.sampled_from(doc["tasks"]))
        if isinstance(target, dict):
            target[data.draw(st.sampled_from(keys))] = data.draw(json_values)
    return json.dumps(doc, default=str, allow_nan=True).encode()


def _yaml_mutation(data, text: str) -> bytes:
    if data.draw(st.booleans()):
        return data.draw(text_mutation(text))
    if data.draw(st.booleans()):
        return text.replace("priority: P1", "priority: P1\nx: " + data.draw(bombs).replace(
            "\x00", ""), 1).encode("utf-8", "surrogatepass")
    import yaml

    fm, body = text.split("\n---\n", 1)
    d = yaml.safe_load(fm.removeprefix("---\n")) or {}
    d[data.draw(st.sampled_from(["id", "status", "estimated_hours", "acceptance",
                                 "dependencies", "priority"]))] = data.draw(yaml_values)
    return ("---\n" + yaml.safe_dump(d) + "---\n" + body).encode()


def _count() -> None:
    """With TASKCTL_FUZZ_COUNT=PATH, each finished case appends a byte there: a long slow run
    can be followed (and a cut-short one still says how many cases passed)."""
    if path := os.environ.get("TASKCTL_FUZZ_COUNT"):
        with open(path, "ab") as f:
            f.write(b".")


def _case(taskctl, repo, data) -> None:
    root = repo / ".tasks"
    target = data.draw(st.sampled_from(_targets(repo)))
    path = root / target
    original = path.read_bytes()
    text = original.decode()
    new = _json_mutation(data, text) if target.endswith(".json") else _yaml_mutation(data, text)
    path.write_bytes(new)
    try:
        for args in data.draw(st.sampled_from([COMMANDS[:1], COMMANDS[1:2], COMMANDS[2:3],
                                               COMMANDS[3:], COMMANDS[:2]])):
            r = taskctl(["--tasks-dir", root, *args])
            assert r.code in (0, 1, 2), (target, args, r.code, r.err[-2000:])
            assert "Traceback" not in r.err and "internal error" not in r.err, r.err[-2000:]
            json.loads(r.out)  # --json documents stay parseable
    finally:
        path.write_bytes(original)
    _count()


@settings(max_examples=300, derandomize=True, **_SETTINGS)
@given(data=st.data())
def test_mutated_state_files_never_crash(taskctl, work, data):
    _case(taskctl, work, data)


@pytest.mark.slow
@settings(max_examples=10_000, derandomize=False, **_SETTINGS)
@given(data=st.data())
def test_mutated_state_files_never_crash_ten_thousand(taskctl, work, data):
    _case(taskctl, work, data)

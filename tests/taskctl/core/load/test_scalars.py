"""`scalars.py`: plain scalars resolved and built as PyYAML does, without importing it for
the usual ones."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from taskctl.core.load import scalars

REPO = Path(__file__).resolve().parents[4]


def test_the_resolver_table_is_the_installed_pyyaml_s():
    """Same first characters, and for each the same tags, patterns and flags in the same
    order: a PyYAML that resolves differently makes this fail rather than fastyaml drift."""
    theirs = {k: [(tag, r.pattern, r.flags) for tag, r in v]
              for k, v in Resolver.yaml_implicit_resolvers.items()}
    ours = {k: [(tag, r.pattern, r.flags) for tag, r in v] for k, v in scalars.table().items()}
    assert ours == theirs


def typed(v):
    return (type(v).__name__, repr(v))


SAMPLES = ["yes", "No", "TRUE", "off", "On", "y", "n", "~", "null", "NULL", "Null", "nul", "0",
           "7", "-7", "+7", "007", "0o7", "0x1F", "-0x1f", "0b101", "1_000", "1:30", "-1:30",
           "190:20:30", "1.5", "-1.5", "+1.5", "1.", ".5", "-.5", "1.5e+3", "1.5E-3", "1e3",
           "1_0.5", "1:30.5", ".inf", "-.Inf", ".NaN", "2026-01-15", "2026-1-15",
           "2026-01-15T10:20:30Z", "2026-01-15 10:20:30.5 +02:00", "2026-01-15t10:20:30",
           "2026-02-30", "10000000000000000000", "T001", "P1", "phase-2", "0.0", "-0", "-0.0",
           "00", "09", "1_", "+", "-", ".", "=", "<<", "y es", "yes!", "1.5.5"]


@pytest.mark.parametrize("value", SAMPLES)
def test_samples_resolve_and_build_as_pyyaml(value):
    check(value)


def check(value: str) -> None:
    """`value` (a plain scalar) resolves to PyYAML's tag and, when not a string, builds to
    what PyYAML's loader gives for it — or fails where that fails."""
    tag = Resolver().resolve(ScalarNode, value, (True, False))
    assert scalars.resolve(value) == tag
    if tag == scalars.STR or tag.endswith(("merge", "value", "yaml")):
        return  # a string, or a tag fastyaml declines
    try:
        built = yaml.load(f"k: {value}\n", Loader=yaml.CSafeLoader)["k"]  # noqa: S506
    except (yaml.YAMLError, ValueError):  # PyYAML's loader fails the document
        with pytest.raises(ValueError):
            scalars.construct(tag, value)
        return
    ours = scalars.construct(tag, value)
    if isinstance(built, float) and built != built:  # NaN
        assert ours != ours
        return
    assert typed(ours) == typed(built)


numbers = st.builds(
    lambda sign, a, dot, b, e: f"{sign}{a}{dot}{b}{e}",
    st.sampled_from(["", "-", "+"]), st.from_regex(r"[0-9_]{0,4}", fullmatch=True),
    st.sampled_from(["", ".", ":", "-"]), st.from_regex(r"[0-9_]{0,3}", fullmatch=True),
    st.sampled_from(["", "e+3", "E-2", "e3"]))
dates = st.builds(lambda y, m, d, t: f"{y:04d}-{m:02d}-{d:02d}{t}",
                  st.integers(1, 9999), st.integers(1, 12), st.integers(1, 31),
                  st.sampled_from(["", "T10:20:30Z", " 01:02:03.25 -05:00"]))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(numbers, dates, st.sampled_from(SAMPLES),
                 st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=6)))
def test_generated_scalars_resolve_and_build_as_pyyaml(value):
    check(value)


@pytest.mark.parametrize("value", ["yes\n", "~\n", "5\n", "1.5\n", "2026-01-15\n", "T001\n",
                                   "<<\n", "\n"])
def test_a_final_newline_resolves_as_pyyaml(value):
    """PyYAML's patterns end in `$`, which also matches before a final newline: `resolve`'s
    shortcuts (exact words, decimal numbers, dates) leave such values to the table."""
    assert scalars.resolve(value) == Resolver().resolve(ScalarNode, value, (True, False))


def test_the_usual_scalars_are_resolved_without_compiling_the_table():
    scalars.table.cache_clear()
    for value in ("pending", "T001", "P3", "yes", "null", "", "120", "-3", "0.5",
                  "2026-01-15", "phase-1"):
        scalars.resolve(value)
    assert scalars.table.cache_info().currsize == 0
    assert scalars.resolve("1_000") == scalars.INT and scalars.table.cache_info().currsize == 1


def test_the_bundled_backlog_is_read_without_importing_what_it_does_not_need(tmp_path):
    """Every file of the bundled backlog (task files, the milestone's folded description)
    takes the fast path, and none of its scalars needs PyYAML's constructor: a load of it
    with nothing cached imports no `yaml` (~13 ms) — nor what a small tree's read does not
    need: fastjsonschema (the generated checks' exceptions are `validators/failed.py`'s),
    datetime (no unquoted date), threading and signal (no helper process)."""
    import shutil

    root = tmp_path / ".tasks"
    shutil.copytree(REPO / ".tasks", root, ignore=shutil.ignore_patterns(".cache"))
    code = ("import sys\nfrom taskctl.core.load import loader\n"
            f"bl = loader.load({str(root)!r}, use_cache=False)\n"
            "print(len(bl.tasks), len(bl.milestones), len(bl.errors), sorted({'yaml',"
            " 'fastjsonschema', 'datetime', 'threading', 'signal'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) >= 50 and int(out[1]) >= 1 and out[2:] == ["0", "[]"]


def test_dates_are_dates():
    assert scalars.construct(scalars.TIMESTAMP, "2026-01-15") == dt.date(2026, 1, 15)
    with pytest.raises(ValueError):
        scalars.construct(scalars.TIMESTAMP, "2026-02-30")

"""Differential test: the fast front-matter parse gives exactly PyYAML's value, or declines.

Fixtures: every task file of every `.tasks` tree under tests/, the shared examples, the bundled
backlog and a generated tree; plus hypothesis-generated front matter written in the styles
found in the wild (plain, quoted, flow and block lists, lists of mappings, YAML 1.1 words,
dates, octal, comments) and texts it must decline (block scalars, escapes, anchors, ...).
"Exactly" means the same types too (`True` is not `1`, a date is not a string).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl.core.load import fastyaml, safeyaml, taskfile

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_tree import generate  # noqa: E402


def typed(v):
    """A value with every type spelled out, so that 1 != True != 1.0 and dates != strings."""
    if isinstance(v, dict):
        return ("dict", [(typed(k), typed(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("list", [typed(x) for x in v])
    return (type(v).__name__, repr(v))


def reference(text: str):
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506
    except yaml.YAMLError as e:
        return e


def check(text: str) -> bool:
    """Assert the fast value equals PyYAML's; True when the fast path answered."""
    fast = fastyaml.parse(text)
    if fast is fastyaml.DECLINE:
        return False
    ref = reference(text)
    assert not isinstance(ref, Exception), f"fast path accepted what PyYAML refuses:\n{text}"
    assert typed(fast) == typed(ref), f"differs from PyYAML:\n{text}"
    return True


def front_matters(root: Path) -> list[str]:
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix not in (".md", ".yaml", ".yml") or not p.is_file() or ".cache" in p.parts:
            continue
        try:
            text = p.read_text("utf-8")
            split = taskfile.split_front_matter(text)
        except (UnicodeDecodeError, safeyaml.FileIssue):
            continue
        out.append(split[0] if split else text)
    return out


def fixture_texts(tmp_path: Path) -> list[str]:
    texts: list[str] = []
    for tasks in [*(REPO / "tests").rglob(".tasks"), REPO / ".tasks",
                  *(REPO.parent / "shared" / "examples").glob("*/.tasks")]:
        texts += front_matters(tasks)
    texts += front_matters(generate(tmp_path / "gen", 300))
    texts += front_matters(generate(tmp_path / "written", 100, written=True))
    return texts


def test_the_written_shapes_take_the_fast_path(tmp_path):
    """gen_tree's `--written` tree (a folded summary, a shell command quoting its argument):
    every file is answered, as PyYAML reads it."""
    texts = front_matters(generate(tmp_path / "written", 50, written=True))
    assert len(texts) == 50 and all(check(t) for t in texts)


def test_every_fixture_parses_as_pyyaml_or_falls_back(tmp_path):
    texts = fixture_texts(tmp_path)
    answered = sum(check(t) for t in texts)
    # the common shape is the fast path's: most fixtures must not fall back
    assert len(texts) > 350 and answered > 0.8 * len(texts), (answered, len(texts))


@pytest.mark.parametrize("text", [
    "id: T1\nstatus: pending\npriority: P1\n",
    "id: T1\ndepends_on: [T0, 'T 2', \"T3\"]\ntags: []\n",
    "flag: yes\nother: No\nthird: on\nfourth: OFF\n",  # YAML 1.1 bools
    "old: 017\nsep: 1_000\nsexa: 1:30\nf: 1.5\ng: .5\nneg: 3.0e2\n",  # 1.1 octal, base 60
    "created: 2026-01-15\nat: 2026-01-15T10:20:30Z\nnull1: ~\nnull2: null\nempty:\n",
    "acceptance:\n  - criterion: a\n    run: pytest -q\n    timeout: 120\n  - criterion: b\n",
    "acceptance:\n- criterion: indentless\n  inputs: [a/**/*.py]\nnext: 1\n",
    "title: 'it''s quoted'\nwho: \"double: quoted # not a comment\"\n",
    "run: \"python -c \\\"import x; print('a\\\\nb')\\\" && echo \\\"done\\\"\"\n",  # shell quoting
    "w: \"a\\\\\"\nx: \"\\\\\\\"\\\\\"\ny: \"\\/path\\tand\\nlines\"\n",  # \\ before the close
    "tags: [\"q\\\"x\", \"b\\\\\", c]\n",
    "# a comment line\nid: T1\n\n  # indented comment\ntitle: C# and [brackets], fine\n",
    "nested:\n  a: 1\n  b:\n    - x\n    - y\n",
    "description: |\n  a block scalar\n",
    "description: >\n  folded\n  onto one line\n",
    "description: |\n  kept\n  on two lines\n",
    "description: >-\n  one: two\n  - three # four\n\n\nnext: 1\n",
    "description: |\n    x\n  \n    \nnext: 1\n",  # empty lines of up to its indentation
    "acceptance:\n  - criterion: x\n    run: |\n      set -e\n      pytest -q \"a b\"\n"
    "    timeout: 5\n  - run: |-\n     one\n",
])
def test_common_shapes_take_the_fast_path(text):
    assert check(text), f"fell back on a common shape:\n{text}"


@pytest.mark.parametrize("text", [
    "d: |+\n  keep\n",  # block scalars: keep, indentation indicators, comments, blanks...
    "d: |2\n   indicated\n",
    "d: | # note\n  x\n",
    "d: |\n  x\n\n  y\n",
    "d: >\n  x\n    more indented\n  y\n",
    "d: |\n  trailing  \n",
    "d: |\n  x\n  # content, not a comment\n",
    "d: |\n  no final break",
    "d: |\nnext: 1\n",
    "d: |\n\n  blank first\n",
    "d: |-\n  x\n# a comment after it\n",
    "a: |\n  x\n     \nb: 1\n",  # spaces beyond the block's indentation: content
    "a: |-\n  x\n    \nb: 1\n",
    "a: >\n  x\n  y\n     \nb: 1\n",
    "a: |\n  x\n   \n",
    "a: |\n  x\n   ",
    "l:\n  - k: |\n      x\n         \n  - k: 2\n",
    "title: \"hex \\x41\"\n",  # escapes other than \" \\ \/ \n \t
    "title: \"uni \\u00e9\"\n",
    "title: \"nul \\0 bell \\a\"\n",
    "title: \"escaped space \\ \"\n",
    "title: \"line-ending \\\n  escape\"\n",
    "title: \"bad \\q escape\"\n",
    "tags: [\"a\\x41\", b]\n",
    "a: x\x85y\n",  # YAML 1.1 line breaks inside a line: NEL, LS, PS
    "a: [x\x85y]\n",
    "a: \"x\u2028y\"\n",
    "a: x\u2029y\n",
    "title: \"two\n  lines\"\n",  # multi-line quoted
    "title: two\n  lines\n",  # multi-line plain
    "title: x # trailing comment\n",  # comments after values
    "base: &a 1\nother: *a\n",  # anchors and aliases
    "tagged: !!str 1\n",  # tags
    "flow: {a: 1}\n",  # flow mappings
    "dup: 1\ndup: 2\n",  # duplicate keys (PyYAML keeps the last)
    "yes: 1\n",  # a key that is not a string
    "big: 123456789012345678901234567890\n",  # numbers the limits refuse (safeyaml)
    "inf: .inf\n",
    "neg_inf: -.Inf\n",
    "nan: .NaN\n",
    "huge: 1.0e+999\n",  # a float that is inf
    "hexbig: 0x1FFFFFFFFFFFFFFFFF\n",
    "flow: [1, .nan]\n",
    "items:\n  - x: 1\n    y: 10000000000000000000\n",
    "- a\n- b\n",  # not a mapping
    "title:\tx\n",  # tabs
    "bad: [a, b\n",  # broken YAML: errors are PyYAML's
    "a: b: c\n",
    "trailing: [a, ]\n",
    "neg: -1\n",
    "merge:\n  <<: {a: 1}\n",
])
def test_declines_what_it_does_not_fully_understand(text):
    assert fastyaml.parse(text) is fastyaml.DECLINE


@pytest.mark.parametrize("text", [
    "mode: 0o17\nhex: 0x1F\noct: 017\n",  # prefixed numbers PyYAML reads (0o17 is a string)
    "e: 1e+3\nf: 1.0e+3\nbig: 1000000000000000000\nsigned: [+7, 1_000]\n",
    "max: 999999999999999999\nnear: 0x0DE0B6B3A763FFFF\n",  # n <= MAX_INT
])
def test_numbers_within_the_limits_take_the_fast_path(text):
    """The value limits are checked on the numbers the fast path builds (not by a scan of
    every text for what might be one): numbers within them are answered, as PyYAML reads
    them."""
    assert check(text)


@pytest.mark.parametrize("text,where", [
    ("a: 1\nbig: 123456789012345678901234567890\n", 2),
    ("a: [x, .inf]\n", 1),
    ("acceptance:\n  - run: x\n    timeout: 1.0e+999\n", 3),
])
def test_refused_numbers_keep_their_located_error(text, where):
    with pytest.raises(safeyaml.FileIssue) as e:
        safeyaml.load(text)
    assert e.value.line == where and e.value.hint


def test_broken_yaml_errors_stay_pyyaml_s():
    """Every refusal goes through PyYAML: same message and position as before."""
    with pytest.raises(safeyaml.FileIssue) as e:
        safeyaml.load("id: T1\ntags: [a, b\nstatus: pending\n", 1)
    assert e.value.rule == "yaml-syntax" and e.value.line == 3


# -- hypothesis: front matter written the way people write it ----------------------------------

WORDS = ["pending", "yes", "No", "on", "OFF", "true", "null", "~", "P1", "p0-mvp", "0", "7",
         "017", "0o17", "0x1f", "1_000", "1:30", "1.5", ".5", "3.0e2", "-1", "2026-01-15",
         "2026-01-15T10:20:30Z", "T001", "a b", "C#", "a#b", "x:y", "http://x", "[x]",
         "it's", "say \"hi\"", "", " ", "é", "tab\there", "#", "- x", "a: b", "*a", "&a", "!x",
         "%", "@", "`", "|", ">", "?", ",", "{", "}", "]"]
ESCAPES = ["\\\"", "\\\\", "\\/", "\\n", "\\t", "\\x41", "\\u00e9", "\\ ", "\\0",
           "\\e", "\\N", "\\_", "\\q", "\\"]
SPACES = st.sampled_from(["", " ", "  ", "   ", "     "])
BLOCK_TEXTS = ["pytest -q tests/", "a: b", "- item", "say \"hi\" # not a comment", "x",
               "'quoted'", "[not, a, list]", "é ünïcode", "ends with colon:", "{a: 1}"]
keys = st.sampled_from(["id", "title", "status", "priority", "depends_on", "tags", "phase",
                        "estimated_hours", "created_at", "yes", "on", "a-b", "x.y", "_k"])


@st.composite
def scalar_text(draw) -> str:
    w = draw(st.one_of(st.sampled_from(WORDS), st.text(st.one_of(
        st.characters(min_codepoint=32, max_codepoint=0x7e),
        st.sampled_from("é\xa0ß€\x85\u2028\u2029")), max_size=12)))  # NEL, LS, PS: breaks
    style = draw(st.sampled_from(["plain", "plain", "double", "single", "escaped"]))
    if style == "escaped":  # escapes between words, some read here, some declined
        parts = draw(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ESCAPES)),
                              max_size=6))
        return '"' + "".join(p.replace('"', '\\"') if p not in ESCAPES else p
                             for p in parts) + '"'
    if style == "double":
        return '"' + w + '"'
    if style == "single":
        return "'" + w.replace("'", "''") + "'"
    return w


@st.composite
def value_lines(draw, indent: int) -> list[str]:
    """Lines after `key:` (the first one continues the key's line)."""
    pad = " " * indent
    kind = draw(st.sampled_from(["scalar", "scalar", "flow", "block", "indentless", "maps",
                                 "empty", "comment", "blockscalar", "blockscalar"]))
    if kind == "blockscalar":  # `|`, `>-`, ...: lines read as written, some shapes declined
        header = draw(st.sampled_from(["|", "|-", ">", ">-", "|+", ">2", "| # c", "|-  "]))
        col = pad + "  " + " " * draw(st.sampled_from([0, 0, 0, 1]))
        out = [" " + header]
        for _ in range(draw(st.integers(1, 3))):
            shape = draw(st.sampled_from(["text", "text", "text", "blank", "comment",
                                          "deeper", "trailing"]))
            text = draw(st.sampled_from(BLOCK_TEXTS))
            out.append({"text": col + text, "blank": draw(SPACES),
                        "comment": col + "# " + text, "deeper": col + "  " + text,
                        "trailing": col + text + " "}[shape])
        if draw(st.booleans()):  # empty lines after it, spaces of any length
            out += draw(st.lists(SPACES, min_size=1, max_size=2))
        return out
    if kind == "scalar":
        return [" " + draw(scalar_text())]
    if kind == "flow":
        items = draw(st.lists(scalar_text(), max_size=4))
        sep = draw(st.sampled_from([", ", ",", " , "]))
        return [" [" + sep.join(items) + "]"]
    if kind in ("block", "indentless"):
        sub = pad + ("  " if kind == "block" else "")
        return [""] + [f"{sub}- {draw(scalar_text())}"
                       for _ in range(draw(st.integers(1, 3)))]
    if kind == "maps":
        out = [""]
        for _ in range(draw(st.integers(1, 2))):
            ks = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
            for j, k in enumerate(ks):
                lead = f"{pad}  - " if j == 0 else f"{pad}    "
                if draw(st.booleans()):
                    nested = draw(value_lines(indent + 4))
                    out += [f"{lead}{k}:" + nested[0], *nested[1:]]
                else:
                    out.append(f"{lead}{k}: {draw(scalar_text())}")
        return out
    if kind == "comment":
        return [" " + draw(scalar_text()) + " # note"]
    return [""]


@st.composite
def documents(draw) -> str:
    lines: list[str] = []
    for k in draw(st.lists(keys, min_size=1, max_size=6)):
        v = draw(value_lines(0))
        lines.append(f"{k}:{v[0]}")
        lines += v[1:]
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["# comment", "", "  # indented"])))
    return "\n".join(lines) + "\n"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_front_matter_is_pyyaml_s_or_declined(text):
    check(text)


def test_generated_documents_mostly_take_the_fast_path():
    """Shows when it falls back: on these samples the fast path must answer a fair share
    (so the property above is not satisfied by declining everything)."""
    answered = total = 0

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(documents())
    def count(text):
        nonlocal answered, total
        total += 1
        answered += check(text)

    count()
    print(f"fast path answered {answered} of {total} generated documents")
    assert answered > total * 0.1, (answered, total)


def test_dates_and_words_are_pyyaml_s():
    v = fastyaml.parse("d: 2026-01-15\nb: yes\no: 017\n")
    assert v == {"d": dt.date(2026, 1, 15), "b": True, "o": 15}


def test_a_repeated_line_means_the_same_everywhere_and_is_never_shared():
    """Lines are remembered (`key: value` means the same wherever it stands): a remembered
    line still meets the checks of where it stands now, and lists are never shared."""
    first = fastyaml.parse("tags: [x, y]\nstatus: done\ntitle: plain words\n")
    first["tags"].append("changed by a caller")
    again = fastyaml.parse("status: done\ntags: [x, y]\nitems:\n  - tags: [x, y]\n")
    assert again == {"status": "done", "tags": ["x", "y"], "items": [{"tags": ["x", "y"]}]}
    assert again["tags"] is not again["items"][0]["tags"]
    for text in ("tags: [x, y]\ntags: [x, y]\n",  # a duplicate key
                 "title: plain words\n  go on here\n",  # now a multi-line plain scalar
                 "status: done\n- a\n"):  # a list where a key belongs
        assert fastyaml.parse(text) is fastyaml.DECLINE
        assert check(text) is False


def test_long_lines_are_not_remembered():
    """What is remembered stays small on a large tree of long one-line values."""
    line = "description: " + "word " * 100
    plain = "x" * 200
    assert fastyaml.parse(f"{line.rstrip()}\nother: {plain}\n") == {
        "description": ("word " * 100).rstrip(), "other": plain}
    assert line.rstrip() not in fastyaml._LINES and plain not in fastyaml._MEMO
    assert "other: short" not in fastyaml._LINES
    fastyaml.parse("other: short\n")
    assert "other: short" in fastyaml._LINES


@pytest.mark.parametrize("levels", [40, 95, 120])
def test_deep_documents_meet_the_depth_limit(levels):
    """Nested block mappings (and lists) past `limits.MAX_DEPTH` are refused as PyYAML's path
    refuses them (the fast path used to answer them); shallower ones are read."""
    from taskctl.core.load import limits

    lines = [" " * i + f"k{i}:" for i in range(levels - 1)] + [" " * (levels - 1) + "- [x]"]
    text = "\n".join(lines) + "\n"
    depth = levels + 1  # the mappings, the list, the flow list
    if depth > limits.MAX_DEPTH:
        assert fastyaml.parse(text) is fastyaml.DECLINE
        with pytest.raises(safeyaml.FileIssue, match="nested more than"):
            safeyaml.load(text)
    else:
        assert check(text) is (levels < 96)
        assert safeyaml.load(text) == reference(text)

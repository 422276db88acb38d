"""Where each top-level key of a task's YAML sits (`core/write/layout.py`): the line-by-line
reading of the usual front matter and PyYAML's composed nodes give the same spans; the
composed one reads the shapes the other declines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.load import fastyaml
from taskctl.core.write import layout as lay

KEYS = ["id", "title", "status", "priority", "tags", "depends_on", "acceptance", "notes",
        "description", "phase"]
SCALAR = st.sampled_from(["T001", "pending", "P1", '"Quoted: text"', "'single'", "2.5",
                          "2026-01-15", "yes", "a b c"])
GAP = st.sampled_from(["", "", "", "\n", "# a comment\n", "  # indented comment\n",
                       "\n# two\n\n"])


@st.composite
def value(draw) -> str:
    """The text after `key:` up to the next key: one of the usual value shapes."""
    kind = draw(st.sampled_from(["scalar", "flow", "block", "indentless", "items", "text"]))
    if kind == "scalar":
        return " " + draw(SCALAR) + "\n"
    if kind == "flow":
        return " [" + ", ".join(draw(st.lists(SCALAR, max_size=3))) + "]\n"
    if kind in ("block", "indentless"):
        pad = "  " if kind == "block" else ""
        lines = [f"{pad}- {draw(SCALAR)}\n" + draw(GAP) for _ in range(draw(st.integers(1, 3)))]
        return "\n" + draw(GAP) + "".join(lines).rstrip("\n") + "\n"
    if kind == "items":
        n = draw(st.integers(1, 2))
        return "\n" + "".join(f"  - criterion: {draw(SCALAR)}\n" + draw(GAP)
                              + f"    run: {draw(SCALAR)}\n" for _ in range(n))
    head = draw(st.sampled_from(["|", "|-", ">", ">-"]))
    lines = draw(st.lists(st.sampled_from(["first line", "# not a comment", "x: y"]),
                          min_size=1, max_size=3))
    return f" {head}\n" + "".join(f"  {ln}\n" for ln in lines) + draw(st.sampled_from(
        ["", "\n"]))


@st.composite
def front(draw) -> str:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True))
    return draw(GAP) + "".join(f"{k}:{draw(value())}" + draw(GAP) for k in keys)


def spans(layout: lay.Layout) -> list[tuple]:
    return [(k.name, k.start, k.end) for k in layout.keys] + [("end", layout.end)]


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(front())
def test_the_two_readings_agree(text):
    if fastyaml.parse(text) is fastyaml.DECLINE:
        return  # only the composed reading applies
    simple = lay._simple(text)
    assert simple is not None
    assert spans(simple) == spans(lay._composed(text)), text


def test_what_follows_a_value_is_nobodys():
    text = ("tags:\n- a\n# about status\n\nstatus: pending\ndescription: |\n  x\n\n"
            '"title": T\n')  # the quoted key: composed
    keys = {k.name: text[k.start:k.end] for k in lay.layout(text).keys}
    assert keys == {"tags": "tags:\n- a\n", "status": "status: pending\n",
                    "description": "description: |\n  x\n", "title": '"title": T\n'}

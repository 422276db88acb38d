"""Mermaid / DOT / Gantt structure, and a real PNG/SVG render of agent-mvp."""

from __future__ import annotations

import re
import sys

import pytest

from taskctl.core.plan import cpm
from taskctl.render import graph as rg
from tests.taskctl.core.plan.planning_fixtures import backlog, task


@pytest.fixture
def small():
    bl = backlog(task("A", status="completed", hours=1), task("B-1", deps=["A"], hours=2),
                 task("C", deps=["B-1", "GONE"], hours=1),
                 task("D", hours=1, status="blocked"))
    bl.tasks["C"].title = 'say "hi" <b>'
    return bl, cpm.schedule(bl, "hours")


def test_mermaid_structure(small):
    bl, s = small
    text = rg.mermaid(rg.model(bl, s))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '    n_B_2d1["B-1<br/>task B-1"]:::pending' in lines  # unsafe id made safe
    assert '    n_C["C<br/>say #quot;hi#quot; #lt;b#gt;"]:::pending' in lines
    assert '    n_GONE["GONE<br/>missing"]:::missing' in lines
    edges = [ln.strip() for ln in lines if "-->" in ln or "==>" in ln]
    assert edges == ["n_A --> n_B_2d1", "n_B_2d1 ==> n_C", "n_GONE --> n_C"]
    assert "    class n_B_2d1,n_C critical" in lines
    assert "    linkStyle 1 stroke:#d32f2f,stroke-width:3px" in lines  # index of B-1 ==> C
    assert all(f"classDef {st} " in text for st in ("completed", "blocked", "missing"))


def test_dot_structure(small):
    bl, s = small
    text = rg.dot(rg.model(bl, s))
    assert text.startswith("digraph tasks {") and text.rstrip().endswith("}")
    assert '"B-1" -> "C" [color="#d32f2f", penwidth=3];' in text
    assert '"A" -> "B-1";' in text
    assert r'label="C\nsay \"hi\" <b>"' in text
    assert re.search(r'"GONE" \[.*style="rounded,dashed"', text)
    assert text.count("->") == 3


def test_gantt_follows_the_schedule(small):
    bl, s = small
    text = rg.gantt(bl, s)
    assert text.splitlines()[:4] == [
        "gantt", "    title Remaining work, earliest start (unit: hours, total 3)",
        "    dateFormat X", "    axisFormat %s"]
    assert "    B-1 task B-1 :crit, n_B_2d1, 0, 2" in text
    assert '    C say "hi" <b> :crit, n_C, 2, 3' in text
    assert "    D task D :n_D, 0, 1" in text


def test_layers_follow_dependencies(small):
    from taskctl.render.layout import layers

    bl, s = small
    g = rg.model(bl, s)
    level = layers([n.id for n in g.nodes], [(a, b) for a, b, _ in g.edges])
    assert level["A"] < level["B-1"] < level["C"] and level["GONE"] < level["C"]
    assert level["GONE"] == level["B-1"]  # a task with no dependency sits next to its dependent


def test_a_cycle_is_drawn_with_one_edge_turned_back(small):
    import igraph  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure

    from taskctl.render.layout import Geometry, layout

    bl = backlog(task("X", deps=["Z"]), task("Y", deps=["X"]), task("Z", deps=["Y"]))
    lay = layout(rg.model(bl, small[1]), Geometry(10, 4, 6, 2, 1))
    backward = [r for r in lay.routes if r.points[0][0] > r.points[-1][0]]
    assert len(backward) == 1 and len(lay.routes) == 3
    r = backward[0]  # leaves its task's left side, enters the other's right side
    assert r.points[0][0] == lay.boxes[r.a].x - 5 and r.points[-1][0] == lay.boxes[r.b].x + 5


def test_layout_routes_long_edges_through_free_slots(small):
    import igraph  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure

    from taskctl.render.layout import Geometry, layout

    bl, s = small
    bl.tasks["C"].depends_on.append("A")  # A -> C skips B-1's column
    lay = layout(rg.model(bl, s), Geometry(box_w=10, box_h=4, col_gap=6, row_gap=2, margin=1))
    (route,) = [r for r in lay.routes if (r.a, r.b) == ("A", "C")]
    a, b1, c = lay.boxes["A"], lay.boxes["B-1"], lay.boxes["C"]
    assert route.points[0] == (a.x + 5, route.points[0][1])  # leaves A's right side
    assert route.points[-1][0] == c.x - 5  # enters C's left side
    (_, y), (_, y2) = route.points[1:3]  # crosses B-1's column along one free slot
    assert y == y2 and abs(y - b1.y) >= b1.h + 2
    assert lay.loose_top is not None and lay.boxes["D"].y > max(p[1] for p in route.points)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_picture_of_agent_mvp(copy_example, taskctl, tmp_path, fmt):
    import igraph  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure
    import matplotlib  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure
    tasks = copy_example("agent-mvp")
    out = tmp_path / f"g.{fmt}"
    r = taskctl(["graph", "--format", fmt, "--output", out, "--tasks-dir", tasks])
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data[:500]


def test_graph_cli_formats_and_errors(copy_example, taskctl, tmp_path):
    tasks = copy_example("agent-mvp")
    r = taskctl(["graph", "--tasks-dir", tasks])
    assert r.code == 0 and r.out.startswith("flowchart LR") and "n_T033 ==> n_T034" in r.out
    r = taskctl(["graph", "-f", "dot", "-o", tmp_path / "g.dot", "--tasks-dir", tasks])
    assert r.code == 0 and r.out == "" and (tmp_path / "g.dot").read_text().startswith("digraph")
    r = taskctl(["graph", "-f", "gantt", "--tasks-dir", tasks])
    assert "T033 Training Loop - Early Stopping :crit, n_T033, 0, 2" in r.out
    assert taskctl(["graph", "-f", "png", "--tasks-dir", tasks]).code == 2
    assert taskctl(["graph", "-f", "jpeg", "--tasks-dir", tasks]).code == 2


@pytest.mark.parametrize("fmt", ["png", "svg", "dot", "mermaid", "gantt"])
def test_graph_of_an_empty_backlog(taskctl, tmp_path, fmt):
    """No tasks: an empty graph that says so, exit 0 and a warning; never an internal error."""
    if fmt in ("png", "svg"):
        import igraph  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure
        import matplotlib  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure
    (tmp_path / ".tasks" / "tasks").mkdir(parents=True)
    (tmp_path / ".tasks" / "manifest.json").write_text('{"project": {"name": "empty"}}')
    out = tmp_path / f"g.{fmt}"
    r = taskctl(["graph", "--format", fmt, "--output", out, "--tasks-dir", tmp_path / ".tasks"])
    assert r.code == 0, r.err
    assert "warning: no tasks in" in r.err and "the graph is empty" in r.err
    data = out.read_bytes()
    if fmt == "png":
        assert data.startswith(b"\x89PNG")
    elif fmt == "svg":
        assert b"<svg" in data[:500] and b"no tasks" in data
    elif fmt == "gantt":
        assert data.startswith(b"gantt\n")
    else:
        assert b"no tasks" in data


@pytest.mark.parametrize("args", [["graph", "-f", "dot", "-o"], ["graph", "-f", "svg", "-o"],
                                  ["report", "--html"]])
def test_unwritable_output_is_a_usage_error(copy_example, taskctl, tmp_path, args):
    import igraph  # noqa: F401 - the graph extra, installed by .[dev]: missing is a failure
    tasks = copy_example("agent-mvp")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    r = taskctl([*args, blocker / "out", "--tasks-dir", tasks])
    assert r.code == 2, r.err
    assert "cannot write" in r.err and "internal error" not in r.err


def test_without_igraph_pictures_say_what_to_install(copy_example, taskctl, tmp_path,
                                                     monkeypatch):
    """igraph is an optional extra: its absence is a usage error with the install hint for
    `graph --format png`, and a note in the HTML report, which is still written."""
    monkeypatch.setitem(sys.modules, "igraph", None)  # `import igraph` raises ImportError
    tasks = copy_example("agent-mvp")
    r = taskctl(["graph", "-f", "png", "-o", tmp_path / "g.png", "--tasks-dir", tasks])
    assert r.code == 2 and "drawing the dependency graph needs igraph" in r.err
    assert "pip install 'taskctl[graph]'" in r.err and not (tmp_path / "g.png").exists()
    r = taskctl(["graph", "-f", "mermaid", "--tasks-dir", tasks])
    assert r.code == 0 and r.out.startswith("flowchart LR")
    r = taskctl(["report", "--html", tmp_path / "site", "--tasks-dir", tasks])
    assert r.code == 0, r.err
    page = (tmp_path / "site" / "index.html").read_text()
    assert "Graph not drawn: drawing the dependency graph needs igraph" in page


def test_mermaid_node_ids_are_one_per_task_id():
    """Ids that differ only in punctuation stay apart (they were all `n_api_1`)."""
    from taskctl.render.graph import _mid

    ids = ["api-1", "api.1", "api_1", "api__1", "api_2d1", "api-2d1", "é-1", "a_u" + "e9_"]
    mids = [_mid(i) for i in ids]
    assert len(set(mids)) == len(ids), mids
    assert all(re.fullmatch(r"n_[A-Za-z0-9_]+", m) for m in mids)


def test_mermaid_node_ids_are_injective_on_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from taskctl.render.graph import _mid

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=8), st.text(max_size=8))
    def check(a, b):
        assert (_mid(a) == _mid(b)) == (a == b)

    check()

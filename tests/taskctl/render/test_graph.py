"""Mermaid / DOT / Gantt structure, and a real PNG/SVG render of agent-mvp."""

from __future__ import annotations

import re

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
    assert '    n_B_1["B-1<br/>task B-1"]:::pending' in lines  # unsafe id made safe
    assert '    n_C["C<br/>say #quot;hi#quot; #lt;b#gt;"]:::pending' in lines
    assert '    n_GONE["GONE<br/>missing"]:::missing' in lines
    edges = [ln.strip() for ln in lines if "-->" in ln or "==>" in ln]
    assert edges == ["n_A --> n_B_1", "n_B_1 ==> n_C", "n_GONE --> n_C"]
    assert "    class n_B_1,n_C critical" in lines
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
    assert "    B-1 task B-1 :crit, n_B_1, 0, 2" in text
    assert '    C say "hi" <b> :crit, n_C, 2, 3' in text
    assert "    D task D :n_D, 0, 1" in text


def test_layers_follow_dependencies(small):
    bl, s = small
    cols = rg.layers(rg.model(bl, s))
    level = {v: i for i, c in enumerate(cols) for v in c}
    assert level["A"] < level["B-1"] < level["C"] and level["GONE"] < level["C"]


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_picture_of_agent_mvp(copy_example, taskctl, tmp_path, fmt):
    pytest.importorskip("matplotlib")
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

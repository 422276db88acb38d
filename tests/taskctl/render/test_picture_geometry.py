"""Edges of the drawn dependency graph never pass under a box that is not one of their ends:
read back from the SVG that `taskctl graph --format svg` writes, on the bundled backlog and on
random DAGs with many long edges (the old hand-made layered layout ran them under boxes)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.taskctl.render.geometry import edges_under_boxes, read_svg, write_random_dag

REPO = Path(__file__).resolve().parents[3]
import igraph  # noqa: F401,E402 - the graph extra, installed by .[dev]: missing is a failure
import matplotlib  # noqa: F401,E402 - the graph extra, installed by .[dev]: missing is a failure


def _tracked_tasks(dst: Path) -> Path:
    """Copy the bundled backlog's tracked files (no caches, no local state) to `dst`."""
    files = subprocess.run(["git", "ls-files", ".tasks"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    assert files, "no tracked .tasks files"
    for f in files:
        (dst / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f, dst / f)
    return dst / ".tasks"


def _drawn(taskctl, tasks: Path, out: Path) -> tuple[list, list]:
    r = taskctl(["graph", "--format", "svg", "--output", out, "--tasks-dir", tasks])
    assert r.code == 0, r.err
    boxes, edges = read_svg(out.read_text(encoding="utf-8"))
    return boxes, edges


def test_no_edge_passes_under_a_box_on_the_bundled_backlog(taskctl, tmp_path):
    tasks = _tracked_tasks(tmp_path)
    boxes, edges = _drawn(taskctl, tasks, tmp_path / "g.svg")
    n_tasks = len(list((tasks / "tasks").glob("*.yaml")))
    assert len(boxes) >= n_tasks and len(edges) >= 50  # the reader found the picture
    assert edges_under_boxes(boxes, edges) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_edge_passes_under_a_box_on_a_random_dag(taskctl, tmp_path, seed):
    deps = write_random_dag(tmp_path / ".tasks", 36, seed)
    boxes, edges = _drawn(taskctl, tmp_path / ".tasks", tmp_path / "g.svg")
    assert len(boxes) == len(deps) and len(edges) == sum(map(len, deps.values()))
    assert edges_under_boxes(boxes, edges) == []


def test_no_edge_passes_under_a_box_in_the_html_report(tmp_path):
    from taskctl.core.load.loader import load
    from taskctl.core.plan import cpm
    from taskctl.render import graph, html_graph

    for tasks in (_tracked_tasks(tmp_path / "bundled"),
                  write_random_dag(tmp_path / "random" / ".tasks", 36, 4) and
                  tmp_path / "random" / ".tasks"):
        bl = load(tasks, use_cache=False)
        g = graph.model(bl, cpm.schedule(bl, "auto"))
        boxes, edges = read_svg(html_graph.svg(g, "t"))
        assert len(boxes) == len(g.nodes) and len(edges) == len(g.edges)
        assert edges_under_boxes(boxes, edges) == []


def test_the_checker_sees_an_edge_under_a_box():
    box = (0.0, 0.0, 100.0, 40.0)
    left, right, under = (-300.0, -20.0, -200.0, 20.0), (300.0, 0.0, 400.0, 40.0), box
    straight = [[(-200.0, 0.0), (300.0, 20.0)]]  # from `left` to `right`, through `under`
    assert edges_under_boxes([left, right, under], straight)
    around = [[(-200.0, 0.0), (-100.0, -60.0), (200.0, -60.0), (300.0, 20.0)]]
    assert edges_under_boxes([left, right, under], around) == []


@pytest.mark.parametrize("seeds", [range(0, 100), range(100, 200)])
def test_layout_invariants_on_random_graphs(seeds):
    """Straight from the layout, on random graphs (some with cycles, several groups): boxes
    never overlap, curved pieces stay inside a gap between columns, straight runs across a
    column miss every box. (igraph alone fails this: it can put boxes half a slot apart.)"""
    for seed in seeds:
        _check_random_layout(seed)


def _check_random_layout(seed: int) -> None:
    import random

    from taskctl.render.graph import GraphModel, Node
    from taskctl.render.layout import Geometry, layout
    from tests.taskctl.render.geometry import crosses

    rng = random.Random(seed)
    n = rng.randint(1, 60)
    ids = [f"N{i}" for i in range(n)]
    edges = {(ids[j], ids[i], rng.random() < 0.1) for i in range(n)
             for j in rng.sample(range(n), min(n, rng.randint(0, 3)))
             if j != i and (j < i and rng.random() < 0.9 or rng.random() < 0.05)}
    lay = layout(GraphModel([Node(v, v, "pending", False) for v in ids], sorted(edges), None),
                 Geometry(box_w=10, box_h=4, col_gap=6, row_gap=2, margin=1))
    rects = {v: (b.x - b.w / 2 + 0.01, b.y - b.h / 2 + 0.01, b.x + b.w / 2 - 0.01,
                 b.y + b.h / 2 - 0.01) for v, b in lay.boxes.items()}
    assert set(rects) == set(ids) and len(lay.routes) == len(edges)
    boxes = sorted(rects.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    for r in lay.routes:
        for i, (p, q) in enumerate(zip(r.points, r.points[1:], strict=False)):
            lo, hi = sorted((p[0], q[0]))
            for v, box in rects.items():
                if i % 2 == 0:
                    assert not (box[0] < hi and lo < box[2]), (r, v)  # nothing in the gap
                else:
                    assert not crosses(p, q, box), (r, v)
        assert all(0 <= x <= lay.width and 0 <= y <= lay.height for x, y in r.points)

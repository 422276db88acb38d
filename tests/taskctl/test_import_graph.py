"""taskctl's import graph: no cycles; the pure core imports nothing from the CLI or the
renderers; the core's sub-packages import one way; taskctl never imports the trainer."""

from __future__ import annotations

from tests.import_graph import cycles, import_graph

# the core's layers, lowest first: a module may import its own layer or any layer below it
LAYERS = ("taskctl.errors", "taskctl.core.status", "taskctl.core.problems", "taskctl.core.model",
          "taskctl.core.files", "taskctl.core.load", "taskctl.core.plan", "taskctl.core.write",
          "taskctl.core.verify", "taskctl.core.todo", "taskctl.core.report")


def _layer(module: str) -> int | None:
    return next((i for i, p in enumerate(LAYERS) if module == p or module.startswith(p + ".")),
                None)


def test_no_import_cycles():
    assert cycles(import_graph("taskctl")) == []


def test_core_imports_no_cli_render_or_trainer():
    graph = import_graph("taskctl", foreign=("training", "typer", "rich"))
    bad = [(a, b) for a, b in graph.edges if a.startswith("taskctl.core")
           and b.split(".")[0] in ("training", "typer", "rich")
           or a.startswith("taskctl.core") and b.startswith(("taskctl.cli", "taskctl.render"))]
    assert bad == []
    assert not [(a, b) for a, b in graph.edges if b.startswith("training")]


def test_core_layers_point_one_way():
    graph = import_graph("taskctl")
    upward = [(a, b) for a, b in graph.edges
              if _layer(a) is not None and _layer(b) is not None and _layer(b) > _layer(a)]
    assert upward == []

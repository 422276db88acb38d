"""The trainer's import graph: no cycles, and ``training`` never imports ``taskctl``.

A static read (ast) of every ``import`` in training/, lazy (in-function) imports included,
so a cycle hidden behind a function-level import still fails here (tests/import_graph.py).
"""

from __future__ import annotations

from tests.import_graph import cycles, import_graph


def test_training_has_no_import_cycles():
    found = cycles(import_graph("training"))
    assert not found, f"import cycles in training/: {found}"


def test_training_never_imports_taskctl():
    arrows = [(a, b) for a, b in import_graph("training", foreign=("taskctl",)).edges
              if b.split(".")[0] == "taskctl"]
    assert not arrows, f"training/ must not import taskctl: {arrows}"


def test_graph_sees_the_packages():
    graph = import_graph("training")
    # a sanity check on the reader itself: known arrows of each layer are present
    assert graph.has_edge("training.cli", "training.cli.train")
    assert graph.has_edge("training.train", "training.loop")
    assert graph.has_edge("training.loop", "training.step")
    assert graph.has_edge("training.data.dataset", "training.data.golden")

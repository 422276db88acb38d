"""The trainer's import graph: no cycles, and ``training`` never imports ``taskctl``.

A static read (ast) of every ``import`` in training/, lazy (in-function) imports included,
so a cycle hidden behind a function-level import still fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "training"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every dotted name an import statement in ``tree`` may refer to."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{a.name}" for a in node.names)
    return names


def import_graph(package: Path = PACKAGE) -> nx.DiGraph:
    """module -> imported module, for modules of ``training`` (and any ``taskctl`` import)."""
    files = {_module_name(f): f for f in package.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for module, path in files.items():
        for name in _imported(ast.parse(path.read_text()), module, path.name == "__init__.py"):
            if name in files and name != module:
                graph.add_edge(module, name)
            elif name.split(".")[0] == "taskctl":
                graph.add_edge(module, name)
    return graph


def test_training_has_no_import_cycles():
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles in training/: {cycles}"


def test_training_never_imports_taskctl():
    arrows = [(a, b) for a, b in import_graph().edges if b.split(".")[0] == "taskctl"]
    assert not arrows, f"training/ must not import taskctl: {arrows}"


def test_graph_sees_the_packages():
    graph = import_graph()
    # a sanity check on the reader itself: known arrows of each layer are present
    assert graph.has_edge("training.cli", "training.cli.train")
    assert graph.has_edge("training.train", "training.loop")
    assert graph.has_edge("training.loop", "training.step")
    assert graph.has_edge("training.data.dataset", "training.data.golden")

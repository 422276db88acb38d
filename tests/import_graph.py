"""A static import graph (ast) of one of our packages, lazy in-function imports included, so a
cycle hidden behind a function-level import still shows. Shared by the import-graph tests."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every dotted name an import statement in `tree` may refer to."""
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


def import_graph(package: str, foreign: tuple[str, ...] = ()) -> nx.DiGraph:
    """module -> imported module, for the modules of `package`; imports of the top-level
    packages named in `foreign` are kept as edges too (to assert they never happen)."""
    files = {_module_name(f): f for f in (ROOT / package).rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for module, path in files.items():
        for name in _imported(ast.parse(path.read_text()), module, path.name == "__init__.py"):
            if name in files and name != module:
                graph.add_edge(module, name)
            elif name.split(".")[0] in foreign:
                graph.add_edge(module, name)
    return graph


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]

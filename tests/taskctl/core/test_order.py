"""Natural id order against its definition, and Kahn's orders against networkx."""

from __future__ import annotations

import re
from unittest import mock

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core import order
from taskctl.core.order import generations, natural, natural_key, topological_order


def tagged_key(tid: str) -> tuple:
    """The definition: each part tagged text or number, digits compared as numbers, text
    case-insensitively, the id itself last (the key `natural_key` had before it was flat)."""
    parts = re.split(r"(\d+)", tid)
    return tuple((0, int(p), "") if i % 2 else (1, 0, p.casefold())
                 for i, p in enumerate(parts) if p != "" or i == 0), tid


ids = st.text(alphabet="Tt-._aZ0123456789٣", max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=30))
def test_natural_order_is_the_tagged_parts_order(xs):
    assert natural(xs) == sorted(xs, key=tagged_key)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(ids, st.from_regex(r"[A-Za-z_.-]{0,3}[0-9]{1,6}", fullmatch=True)),
                min_size=101, max_size=300))
def test_natural_order_of_many_new_ids_is_the_tagged_parts_order(xs):
    """Many ids: the keys of unseen ones are made in bulk (`_learn`), as the first
    sort of a 10,000-task plan in a new process does."""
    with mock.patch.dict(order._KEYS, clear=True):
        assert natural(xs) == sorted(xs, key=tagged_key)
        assert all(order._KEYS[x] == order._key(x) for x in xs)


def test_natural_order_examples():
    assert natural(["T10", "t2", "T2", "T02", "1.10", "1.2", "T1a", "T1", ""]) == [
        "", "1.2", "1.10", "T1", "T1a", "T02", "T2", "t2", "T10"]
    assert natural_key("T0042") < natural_key("T43") < natural_key("T043b")


@st.composite
def digraphs(draw, max_nodes=12):
    n = draw(st.integers(0, max_nodes))
    nodes = [f"N{i}" for i in range(n)]
    edges = draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes)),
                          max_size=3 * n)) if n else []
    succ = {v: [b for a, b in edges if a == v and a != b] for v in nodes}
    return succ


def nx_graph(succ):
    g = nx.DiGraph()
    g.add_nodes_from(succ)
    g.add_edges_from((a, b) for a in succ for b in succ[a])
    return g


@settings(max_examples=300, deadline=None)
@given(digraphs())
def test_topological_order_leaves_out_exactly_cycles_and_what_follows_them(succ):
    g = nx_graph(succ)
    on_cycles = {v for c in nx.strongly_connected_components(g) if len(c) > 1 for v in c}
    behind = set(on_cycles).union(*(nx.descendants(g, v) for v in on_cycles))
    order = topological_order(succ)
    assert len(order) == len(set(order)) and set(order) == set(succ) - behind
    place = {v: i for i, v in enumerate(order)}
    assert all(place[a] < place[b] for a in order for b in succ[a] if b in place)


@settings(max_examples=300, deadline=None)
@given(digraphs())
def test_generations_are_networkx_topological_generations(succ):
    g = nx_graph(succ)
    if not nx.is_directed_acyclic_graph(g):
        return
    assert [set(layer) for layer in generations(succ)] == [
        set(layer) for layer in nx.topological_generations(g)]


def test_repeated_edges_count_on_both_sides():
    succ = {"A": ["B", "B"], "B": ["C"], "C": []}
    assert topological_order(succ) == ["A", "B", "C"]
    assert generations(succ) == [["A"], ["B"], ["C"]]

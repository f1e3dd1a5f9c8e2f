"""Tests for ``debiasgen.core.graph.CausalGraph``.

Expected tuples are worked out by hand on small graphs; the Adult graph is the
39-edge literature graph (DECAF; Zhang, Wu & Wu 2017), written out here so the
test does not depend on the data set module.
"""

from __future__ import annotations

import copy
import json
import pickle

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debiasgen.core.graph import CausalGraph, structural_hamming_distance
from debiasgen.exceptions import CycleError, GraphError

# Diamond a -> {b, c} -> d, then a chain d -> e -> f, plus an isolated node z.
DIAMOND_EDGES = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("e", "f")]
DIAMOND_NODES = ["a", "b", "c", "d", "e", "f", "z"]

ADULT_EDGES = (
    [("race", c) for c in ["occupation", "income", "hours-per-week", "education", "marital-status"]]
    + [
        ("age", c)
        for c in [
            "occupation",
            "hours-per-week",
            "income",
            "workclass",
            "marital-status",
            "education",
            "relationship",
        ]
    ]
    + [
        ("sex", c)
        for c in [
            "occupation",
            "marital-status",
            "income",
            "workclass",
            "education",
            "relationship",
        ]
    ]
    + [
        ("native-country", c)
        for c in [
            "marital-status",
            "hours-per-week",
            "education",
            "workclass",
            "income",
            "relationship",
        ]
    ]
    + [
        ("marital-status", c)
        for c in [
            "occupation",
            "hours-per-week",
            "income",
            "workclass",
            "relationship",
            "education",
        ]
    ]
    + [
        ("education", c)
        for c in ["occupation", "hours-per-week", "income", "workclass", "relationship"]
    ]
    + [(p, "income") for p in ["occupation", "hours-per-week", "workclass", "relationship"]]
)


@pytest.fixture
def diamond() -> CausalGraph:
    return CausalGraph(DIAMOND_EDGES, nodes=DIAMOND_NODES)


@pytest.fixture
def adult() -> CausalGraph:
    return CausalGraph(ADULT_EDGES)


# --- construction ----------------------------------------------------------------------


def test_node_order_defaults_to_first_appearance():
    g = CausalGraph([("y", "x"), ("w", "x"), ("y", "w")])
    assert g.nodes == ("y", "x", "w")
    # edges sorted by (parent index, child index) in node order
    assert g.edges == (("y", "x"), ("y", "w"), ("w", "x"))


def test_nodes_fix_order_and_allow_isolated(diamond):
    assert diamond.nodes == tuple(DIAMOND_NODES)
    assert len(diamond) == 7
    assert "z" in diamond and "q" not in diamond and ["a"] not in diamond
    assert diamond.roots == ("a", "z")
    assert repr(diamond) == "CausalGraph(nodes=7, edges=6)"


def test_edges_sorted_by_node_order():
    g = CausalGraph([("c", "d"), ("a", "d"), ("a", "b")], nodes=["d", "c", "b", "a"])
    assert g.edges == (("c", "d"), ("a", "d"), ("a", "b"))


def test_every_input_type_gives_equal_graphs(diamond):
    dg = nx.DiGraph()
    dg.add_nodes_from(DIAMOND_NODES)
    dg.add_edges_from(DIAMOND_EDGES)
    adj = pd.DataFrame(0, index=DIAMOND_NODES, columns=DIAMOND_NODES)
    for p, c in DIAMOND_EDGES:
        adj.loc[p, c] = 1
    as_bool = adj.astype(bool)
    shuffled_columns = adj[list(reversed(DIAMOND_NODES))]
    candidates = [
        CausalGraph.from_networkx(dg),
        CausalGraph.from_adjacency(adj),
        CausalGraph.from_adjacency(as_bool),
        CausalGraph.from_adjacency(shuffled_columns),
        CausalGraph.from_dict({"nodes": DIAMOND_NODES, "edges": [list(e) for e in DIAMOND_EDGES]}),
        CausalGraph.coerce(dg),
        CausalGraph.coerce(adj),
        CausalGraph.coerce(iter(DIAMOND_EDGES)).add_nodes(["z"]),
    ]
    for g in candidates:
        assert g == diamond
        assert g.nodes == diamond.nodes
        assert g.edges == diamond.edges
    assert CausalGraph.coerce(diamond) is diamond
    assert len({hash(g) for g in candidates}) == 1


def test_equality_ignores_order_but_not_content():
    g1 = CausalGraph([("a", "b"), ("c", "b")])
    g2 = CausalGraph([("c", "b"), ("a", "b")], nodes=["c", "b", "a"])
    assert g1 == g2 and hash(g1) == hash(g2)
    assert g1 != CausalGraph([("a", "b")], nodes=["a", "b", "c"])
    assert g1 != g1.add_nodes(["d"])
    assert g1 != [("a", "b"), ("c", "b")]


def test_empty_graph():
    g = CausalGraph()
    assert g.nodes == () and g.edges == () and g.topological_levels() == []
    assert g.to_adjacency().shape == (0, 0)


# --- construction errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "edges, nodes, error, match",
    [
        ([("a", 1)], None, TypeError, r"got 1 of type int"),
        ([("a", "b")], ["a", "b", 3.5], TypeError, r"got 3\.5"),
        ([("a", "a")], None, GraphError, r"self-loop on 'a'"),
        ([("a", "b"), ("b", "c"), ("a", "b")], None, GraphError, r"edge 'a' -> 'b' is given more"),
        ([], ["a", "b", "a", "b", "c"], GraphError, r"\['a', 'b'\] more than once"),
        ([("a", "b"), ("q", "b"), ("a", "r")], ["a", "b"], GraphError, r"\['q', 'r'\]"),
        ([("a", "b", "c")], None, TypeError, r"\('a', 'b', 'c'\)"),
        (["ab"], None, TypeError, r"pair of strings; got 'ab'"),
        ("ab", None, TypeError, r"edges must be an iterable"),
        ([("a", "b")], "ab", TypeError, r"nodes must be an iterable"),
    ],
)
def test_construction_errors(edges, nodes, error, match):
    with pytest.raises(error, match=match):
        CausalGraph(edges, nodes=nodes)


def test_cycle_error_names_the_cycle():
    with pytest.raises(
        CycleError, match=r"cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c);"
    ):
        CausalGraph([("x", "a"), ("a", "b"), ("b", "c"), ("c", "a")])
    with pytest.raises(GraphError):  # CycleError is a GraphError, hence a ValueError
        CausalGraph([("a", "b"), ("b", "a")])
    assert issubclass(CycleError, ValueError)


def test_from_adjacency_errors():
    frame = pd.DataFrame(0, index=["a", "b"], columns=["a", "c"])
    with pytest.raises(
        GraphError, match=r"only in the index: \['b'\].*only in the columns: \['c'\]"
    ):
        CausalGraph.from_adjacency(frame)
    text = pd.DataFrame("x", index=["a", "b"], columns=["a", "b"])
    with pytest.raises(GraphError, match=r"column 'a'"):
        CausalGraph.from_adjacency(text)
    missing = pd.DataFrame([[0.0, None], [0.0, 0.0]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(GraphError, match=r"\['a', 'b'\] is missing"):
        CausalGraph.from_adjacency(missing)
    dup = pd.DataFrame(0, index=["a", "a"], columns=["a", "a"])
    with pytest.raises(GraphError, match=r"repeats the labels \['a'\]"):
        CausalGraph.from_adjacency(dup)
    loop = pd.DataFrame([[1, 0], [0, 0]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(GraphError, match=r"self-loop on 'a'"):
        CausalGraph.from_adjacency(loop)


def test_from_networkx_and_dict_errors():
    with pytest.raises(TypeError, match=r"networkx.DiGraph; got Graph"):
        CausalGraph.from_networkx(nx.Graph([("a", "b")]))
    with pytest.raises(TypeError, match=r"got MultiDiGraph"):
        CausalGraph.from_networkx(nx.MultiDiGraph([("a", "b")]))
    with pytest.raises(TypeError, match=r"got 1 of type int"):
        CausalGraph.from_networkx(nx.DiGraph([(1, 2)]))
    with pytest.raises(GraphError, match=r"\['edges', 'node'\]"):
        CausalGraph.from_dict({"node": [], "edges": []})


@pytest.mark.parametrize("obj", [None, 3, "a->b", {"nodes": [], "edges": []}])
def test_coerce_rejects_other_types(obj):
    with pytest.raises(TypeError, match=r"CausalGraph, a networkx.DiGraph, an adjacency DataFrame"):
        CausalGraph.coerce(obj)


def test_coerce_rejects_bad_pairs():
    with pytest.raises(TypeError, match=r"got \('a',\)"):
        CausalGraph.coerce([("a",)])


# --- structure queries -----------------------------------------------------------------


def test_structure_queries(diamond):
    g = diamond
    assert g.parents("d") == ("b", "c")
    assert g.parents("a") == ()
    assert g.children("a") == ("b", "c")
    assert g.children("f") == ()
    assert g.ancestors("f") == ("a", "b", "c", "d", "e")
    assert g.ancestors("c") == ("a",)
    assert g.descendants("b") == ("d", "e", "f")
    assert g.descendants("a") == ("b", "c", "d", "e", "f")
    assert g.descendants("z") == () and g.ancestors("z") == ()
    assert g.has_edge("a", "b") and not g.has_edge("b", "a") and not g.has_edge("a", "nope")
    assert g.topological_order() == ("a", "b", "c", "d", "e", "f", "z")
    assert g.topological_levels() == [("a", "z"), ("b", "c"), ("d",), ("e",), ("f",)]


def test_levels_use_longest_path():
    # d has a root parent (a) and a parent at depth 2 (c): it belongs to level 3.
    g = CausalGraph([("a", "d"), ("a", "b"), ("b", "c"), ("c", "d")])
    assert g.topological_levels() == [("a",), ("b",), ("c",), ("d",)]


def test_topological_order_prefers_node_order():
    g = CausalGraph([("c", "x"), ("a", "x")], nodes=["x", "c", "b", "a"])
    assert g.topological_order() == ("c", "b", "a", "x")


@pytest.mark.parametrize("method", ["parents", "children", "ancestors", "descendants"])
def test_unknown_node_is_named(diamond, method):
    with pytest.raises(GraphError, match=r"'foo' is not a node of the graph; nodes are: \['a'"):
        getattr(diamond, method)("foo")


# --- immutability and derived graphs ---------------------------------------------------


def test_immutable(diamond):
    with pytest.raises(AttributeError, match="immutable"):
        diamond.nodes = ("a",)
    with pytest.raises(AttributeError, match="immutable"):
        diamond._edges = ()
    with pytest.raises(AttributeError, match="immutable"):
        diamond.anything = 1
    with pytest.raises(AttributeError, match="immutable"):
        del diamond._nodes
    nxg = diamond.to_networkx()
    nxg.add_edge("f", "a")  # a copy: the graph does not change
    assert not diamond.has_edge("f", "a")
    assert diamond.to_networkx() is not diamond.to_networkx()
    assert list(diamond.to_networkx().nodes) == DIAMOND_NODES


def test_copy_and_pickle_keep_the_graph(diamond):
    for other in (copy.copy(diamond), copy.deepcopy(diamond), pickle.loads(pickle.dumps(diamond))):
        assert other == diamond and other.nodes == diamond.nodes


def test_remove_edges_returns_new_graph(diamond):
    smaller = diamond.remove_edges([("b", "d"), ("e", "f")])
    assert smaller is not diamond
    assert smaller.nodes == diamond.nodes
    assert smaller.edges == (("a", "b"), ("a", "c"), ("c", "d"), ("d", "e"))
    assert diamond.edges == CausalGraph(DIAMOND_EDGES).edges  # original untouched
    assert len(diamond.edges) == 6


def test_remove_edges_rejects_missing_edge(diamond):
    with pytest.raises(GraphError, match=r"cannot remove 'd' -> 'b'.*'b' has parents \['a'\]"):
        diamond.remove_edges([("d", "b")])
    with pytest.raises(GraphError, match=r"cannot remove 'a' -> 'nope'"):
        diamond.remove_edges([("a", "nope")])


def test_add_nodes(diamond):
    bigger = diamond.add_nodes(["new", "a", "new", "other"])
    assert bigger.nodes == (*DIAMOND_NODES, "new", "other")
    assert bigger.edges == diamond.edges
    assert diamond.nodes == tuple(DIAMOND_NODES)
    with pytest.raises(TypeError, match="names must be an iterable"):
        diamond.add_nodes("new")


def test_check_columns(diamond):
    diamond.check_columns(pd.Index([*DIAMOND_NODES, "extra"]))
    with pytest.raises(GraphError, match=r"names \['e', 'z'\].*available columns: \['a', 'b'"):
        diamond.check_columns(["a", "b", "c", "d", "f"])


def test_to_adjacency_layout(diamond):
    adj = diamond.to_adjacency()
    assert adj.index.name == "parent" and adj.columns.name == "child"
    assert list(adj.index) == DIAMOND_NODES and list(adj.columns) == DIAMOND_NODES
    assert (adj.dtypes == "int64").all()
    assert int(adj.to_numpy().sum()) == 6
    assert adj.loc["a", "b"] == 1 and adj.loc["b", "a"] == 0


def test_to_dict_is_json_friendly(diamond):
    d = diamond.to_dict()
    assert d == {"nodes": DIAMOND_NODES, "edges": [list(e) for e in diamond.edges]}
    assert json.loads(json.dumps(d)) == d


# --- fairness edges --------------------------------------------------------------------


def test_adult_graph_shape(adult):
    assert len(adult.edges) == 39 and len(adult) == 11
    assert adult.roots == ("race", "age", "sex", "native-country")


def test_fairness_edges_ftu_and_cf(adult):
    assert adult.fairness_edges("sex", "income", "ftu") == (("sex", "income"),)
    # cf removes every causal path, as dp does (dp also decouples the roots when generating)
    assert adult.fairness_edges("sex", "income", "cf") == adult.fairness_edges(
        "sex", "income", "dp")
    # no direct edge: nothing to remove
    assert adult.fairness_edges("sex", "hours-per-week", "ftu") == ()


def test_fairness_edges_dp(adult):
    edges = adult.fairness_edges("sex", "income", "dp")
    assert all(child == "income" for _, child in edges)
    assert {p for p, _ in edges} == {
        "sex",
        "marital-status",
        "education",
        "occupation",
        "hours-per-week",
        "workclass",
        "relationship",
    }
    # in edge order
    assert list(edges) == [e for e in adult.edges if e in set(edges)]
    # sex has no direct edge into hours-per-week; it reaches it via education, marital-status
    # node order is first appearance in ADULT_EDGES: education precedes marital-status
    assert adult.fairness_edges("sex", "hours-per-week", "dp") == (
        ("education", "hours-per-week"),
        ("marital-status", "hours-per-week"),
    )


def test_fairness_edges_errors(adult):
    with pytest.raises(ValueError, match=r"\['ftu', 'dp', 'cf'\]; got 'eo'"):
        adult.fairness_edges("sex", "income", "eo")
    with pytest.raises(GraphError, match=r"both 'sex'"):
        adult.fairness_edges("sex", "sex", "dp")
    with pytest.raises(GraphError, match=r"'gender' is not a node"):
        adult.fairness_edges("gender", "income", "ftu")
    with pytest.raises(GraphError, match=r"'salary' is not a node"):
        adult.fairness_edges("sex", "salary", "dp")


# --- property-based round trips --------------------------------------------------------


@st.composite
def random_dags(draw) -> CausalGraph:
    names = draw(st.lists(st.text(min_size=0, max_size=6), min_size=0, max_size=8, unique=True))
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    edges = [(names[i], names[j]) for i, j in chosen]
    return CausalGraph(edges, nodes=names)


@settings(max_examples=60, deadline=None)
@given(random_dags())
def test_round_trips_and_levels(g):
    for other in (
        CausalGraph.from_networkx(g.to_networkx()),
        CausalGraph.from_adjacency(g.to_adjacency()),
        CausalGraph.from_dict(json.loads(json.dumps(g.to_dict()))),
    ):
        assert other == g
        assert other.nodes == g.nodes
        assert other.edges == g.edges
    levels = g.topological_levels()
    level_of = {n: k for k, level in enumerate(levels) for n in level}
    assert sorted(level_of) == sorted(g.nodes) and sum(map(len, levels)) == len(g)
    assert set(levels[0] if levels else ()) == set(g.roots)
    for parent, child in g.edges:
        assert level_of[parent] < level_of[child]
    for node in g.nodes:  # each level is exactly one more than the deepest parent
        expected = 1 + max((level_of[p] for p in g.parents(node)), default=-1)
        assert level_of[node] == expected
    order = {n: i for i, n in enumerate(g.topological_order())}
    assert all(order[p] < order[c] for p, c in g.edges)


# --- edge origins ----------------------------------------------------------------------


def test_origins_are_kept_and_read_back(diamond):
    labels = {("a", "b"): "data", ("c", "d"): "rule", ("e", "f"): "learned"}
    g = CausalGraph(DIAMOND_EDGES, nodes=DIAMOND_NODES, origins=labels)
    assert g.origins == {("a", "b"): "data", ("c", "d"): "rule", ("e", "f"): "learned"}
    assert list(g.origins) == [e for e in g.edges if e in labels]  # edge order
    assert g.origin("a", "b") == "data" and g.origin("a", "c") is None
    g.origins[("a", "c")] = "data"  # a copy: the graph does not change
    assert g.origin("a", "c") is None
    # equality and hashing compare structure only
    assert g == diamond and hash(g) == hash(diamond) and diamond.origins == {}
    smaller = g.remove_edges([("c", "d")])
    assert smaller.origins == {("a", "b"): "data", ("e", "f"): "learned"}
    assert g.add_nodes(["new"]).origins == g.origins
    for other in (
        copy.deepcopy(g),
        pickle.loads(pickle.dumps(g)),
        CausalGraph.from_dict(json.loads(json.dumps(g.to_dict()))),
    ):
        assert other.origins == g.origins and other.edges == g.edges
    assert g.to_dict()["origins"] == [["a", "b", "data"], ["c", "d", "rule"], ["e", "f", "learned"]]
    assert "origins" not in diamond.to_dict()  # unlabelled graphs write the old format


def test_origin_errors(diamond):
    with pytest.raises(GraphError, match=r"origins labels 'b' -> 'a', which is not an edge"):
        CausalGraph(DIAMOND_EDGES, origins={("b", "a"): "data"})
    with pytest.raises(GraphError, match=r"origin of 'a' -> 'b' is 'guess'; use one of"):
        CausalGraph(DIAMOND_EDGES, origins={("a", "b"): "guess"})
    with pytest.raises(TypeError, match=r"origins must be a mapping"):
        CausalGraph(DIAMOND_EDGES, origins=[("a", "b", "data")])
    with pytest.raises(GraphError, match=r"'d' -> 'a' is not an edge of the graph; it has no"):
        diamond.origin("d", "a")
    with pytest.raises(TypeError, match=r"\[parent, child, label\]; got \['a', 'b'\]"):
        CausalGraph.from_dict({"nodes": ["a", "b"], "edges": [["a", "b"]], "origins": [["a", "b"]]})
    with pytest.raises(GraphError, match=r"'edges', 'nodes', 'origin'"):
        CausalGraph.from_dict({"nodes": [], "edges": [], "origin": []})


# --- structural Hamming distance -------------------------------------------------------


def test_shd_counts_missing_extra_and_reversed(diamond):
    assert structural_hamming_distance(diamond, diamond) == 0
    # reverse a -> b (1), drop e -> f (1), add a -> f (1)
    other = CausalGraph(
        [("b", "a"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("a", "f")],
        nodes=list(reversed(DIAMOND_NODES)),
    )
    assert structural_hamming_distance(diamond, other) == 3
    assert structural_hamming_distance(other, diamond) == 3
    empty = CausalGraph([], nodes=DIAMOND_NODES)
    assert structural_hamming_distance(diamond, empty) == len(DIAMOND_EDGES)


def test_shd_errors(diamond):
    with pytest.raises(GraphError, match=r"only in a: \['z'\], only in b: \[\]"):
        structural_hamming_distance(diamond, CausalGraph(DIAMOND_EDGES))
    with pytest.raises(TypeError, match=r"b must be a CausalGraph; got list"):
        structural_hamming_distance(diamond, DIAMOND_EDGES)


@settings(max_examples=60, deadline=None)
@given(random_dags(), st.randoms(use_true_random=False))
def test_shd_is_a_metric_on_random_dags(g, rnd):
    # A second DAG over the same nodes: keep, drop or reverse each edge, add a few edges
    # that follow a random order (so the result stays acyclic).
    order = list(g.nodes)
    rnd.shuffle(order)
    rank = {n: i for i, n in enumerate(order)}
    edges = set()
    for p, c in g.edges:
        action = rnd.choice(["keep", "drop", "flip"])
        if action != "drop":
            edges.add((p, c) if action == "keep" else (c, p))
    for _ in range(rnd.randint(0, 3)):
        if len(order) >= 2:
            edges.add(tuple(rnd.sample(order, 2)))
    h = CausalGraph([(p, c) for p, c in edges if rank[p] < rank[c]], nodes=g.nodes)
    # brute force over node pairs
    expected = 0
    for i, u in enumerate(g.nodes):
        for v in g.nodes[i + 1 :]:
            expected += (g.has_edge(u, v), g.has_edge(v, u)) != (h.has_edge(u, v), h.has_edge(v, u))
    assert structural_hamming_distance(g, h) == expected == structural_hamming_distance(h, g)
    assert (expected == 0) == (set(g.edges) == set(h.edges))

"""The partially trainable causal layer: ``fit(..., learn_edges=True)``."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from debiasgen import CausalGraph, CCGMSynthesizer, discover_graph
from debiasgen.exceptions import GraphError
from debiasgen.structure.edge_learning import (
    candidate_edges,
    check_knowledge,
    orient_by_colliders,
    select_edges,
)

TRUTH = [("a", "b"), ("b", "c"), ("s", "c"), ("c", "d")]


def _data(n=5000, seed=0):
    """a -> b -> c <- s, c -> d (d binary); every edge carries a strong signal."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    s = rng.integers(0, 2, n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)
    c = 0.7 * b - 0.8 * s + 0.6 * rng.normal(size=n)
    d = np.where(c + rng.normal(size=n) > 0, "yes", "no")
    return pd.DataFrame({"a": a, "s": s, "b": b, "c": c, "d": d})


def _fit(df, held, **kw):
    graph = CausalGraph([e for e in TRUTH if e != held], nodes=list(df.columns))
    params = {k: kw.pop(k) for k in ("edge_penalty",) if k in kw}
    synth = CCGMSynthesizer(epochs=12, random_state=0, **params)
    return synth.fit(df, graph=graph, learn_edges=True, **kw)


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def learned_bc(data):
    return _fit(data, ("b", "c"), sensitive="s", target="d")


@pytest.mark.parametrize("held", [("b", "c"), ("s", "c"), ("c", "d")])
def test_a_held_out_edge_is_learned_and_nothing_else(data, learned_bc, held):
    # ("c", "d") leaves d isolated, a root after s and a in the joint root block: its
    # candidate inputs from the block must be gated, not also fed to it unconditionally
    synth = learned_bc if held == ("b", "c") else _fit(data, held, sensitive="s", target="d")
    assert synth.learned_edges_ == (held,)
    assert set(synth.graph_.edges) == set(TRUTH)
    assert synth.graph_.origin(*held) == "learned"
    scores = synth.edge_scores_
    assert scores.loc[held, "probability"] > 0.8
    # the held-out gain of the true edge pays the 0.01-nat penalty many times over
    assert scores.loc[held, "gain"] > 0.1
    others = scores.drop(held)
    assert not ((others["probability"] > 0.5) & (others["gain"] > 0.01)).any()


def test_a_large_penalty_keeps_the_given_graph(data):
    # c = 0.7 b + ...: b is worth I(c; b | s) = 0.43 nats per row of c, far below 5.
    synth = _fit(data, ("b", "c"), edge_penalty=5.0, sensitive="s", target="d")
    assert synth.learned_edges_ == ()
    assert set(synth.graph_.edges) == set(TRUTH) - {("b", "c")}


def test_learned_edges_respect_background_knowledge(data):
    # Forbid the one edge the data asks for; the layer must not add it (nor any edge
    # into the sensitive column or out of the target).
    synth = _fit(data, ("b", "c"), sensitive="s", target="d", forbidden=[("b", "c")])
    assert ("b", "c") not in synth.graph_.edges
    assert synth.graph_.parents("s") == ()
    assert synth.graph_.children("d") == ()
    assert nx.is_directed_acyclic_graph(synth.graph_.to_networkx())
    assert ("b", "c") not in synth.edge_scores_.index


def test_candidates_follow_the_knowledge():
    graph = CausalGraph([("a", "b"), ("b", "c")], nodes=["a", "b", "c", "s", "y"])
    knowledge = check_knowledge(
        graph.nodes, sensitive=["s"], target="y", forbidden=[("a", "c")],
        tiers=[["s", "a"], ["b", "c", "y"]],
    )
    cands = set(candidate_edges(graph, knowledge))
    assert not any(c == "s" for _, c in cands)          # nothing into the sensitive column
    assert not any(p == "y" for p, _ in cands)          # nothing out of the target
    assert ("a", "c") not in cands                      # forbidden
    assert ("b", "a") not in cands and ("c", "a") not in cands  # later tier -> earlier
    assert ("c", "b") not in cands                      # would close b -> c -> b
    assert ("a", "b") not in cands                      # already an edge
    assert ("s", "a") not in cands                      # root -> placed root: root block
    assert ("s", "y") in cands                          # an isolated column may get parents
    assert {("s", "y"), ("c", "y"), ("a", "y"), ("s", "b")} <= cands


def test_selection_is_strongest_first_and_acyclic():
    graph = CausalGraph([("a", "b")], nodes=["a", "b", "c"])
    scored = [(("b", "c"), 0.9), (("c", "a"), 0.8), (("c", "b"), 0.7), (("a", "c"), 0.4)]
    # c -> a would close a -> b -> c -> a; c -> b would close b -> c -> b
    assert select_edges(graph, scored) == [("b", "c")]
    assert select_edges(graph, scored, threshold=0.95) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sensitive": "zz"}, "columns the data lacks: \\['zz'\\]"),
        ({"forbidden": [("a", "qq")]}, "columns the data lacks: \\['qq'\\]"),
        ({"tiers": [["a"], ["a", "b"]]}, "'a' is in more than one tier"),
        ({"target": "s", "sensitive": "s"}, "both the target and a sensitive"),
        ({"forbidden": ["ab"]}, "forbidden must hold \\(parent, child\\) pairs"),
        ({"target": ["d"]}, "target must be one column name"),
    ],
)
def test_bad_knowledge_is_named(data, kwargs, match):
    with pytest.raises((GraphError, TypeError), match=match):
        CCGMSynthesizer(epochs=1).fit(data, graph=TRUTH, learn_edges=True, **kwargs)


def test_edge_penalty_is_validated(data):
    with pytest.raises(ValueError, match="edge_penalty must be a number >= 0"):
        CCGMSynthesizer(edge_penalty=-1).fit(data, graph=TRUTH)


def test_an_unmentioned_sensitive_column_stays_a_root(data):
    synth = CCGMSynthesizer(epochs=1, random_state=0).fit(
        data, graph=[("a", "b"), ("b", "c"), ("c", "d")], sensitive="s"
    )
    assert synth.graph_.parents("s") == ()
    # without the knowledge, an unmentioned column is a child of every other column
    plain = CCGMSynthesizer(epochs=1, random_state=0).fit(
        data, graph=[("a", "b"), ("b", "c"), ("c", "d")]
    )
    assert set(plain.graph_.parents("s")) == {"a", "b", "c", "d"}


def test_learned_edges_survive_save_and_load(learned_bc, tmp_path):
    synth = learned_bc
    synth.save(tmp_path / "m.pt")
    back = CCGMSynthesizer.load(tmp_path / "m.pt")
    assert back.learned_edges_ == synth.learned_edges_ == (("b", "c"),)
    assert back.graph_ == synth.graph_
    pd.testing.assert_frame_equal(back.sample(50, random_state=3), synth.sample(50, random_state=3))


def test_without_a_graph_fit_uses_the_discovered_one(data):
    synth = CCGMSynthesizer(epochs=1, random_state=0).fit(data, sensitive="s", target="d")
    found = discover_graph(data, sensitive="s", target="d")
    assert synth.graph_ == found and synth.graph_.origins == found.origins
    assert synth.graph_.parents("s") == () and synth.graph_.children("d") == ()
    assert set(synth.graph_.origins.values()) <= {"data", "background", "rule"}


def test_no_candidates_gives_empty_scores_and_a_refit_clears_them(data):
    # a complete order over the columns leaves nothing to learn
    cols = list(data.columns)
    full = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    synth = CCGMSynthesizer(epochs=1, random_state=0).fit(data, graph=full, learn_edges=True)
    assert synth.learned_edges_ == () and synth.edge_scores_.empty
    synth.fit(data, graph=full)
    assert not hasattr(synth, "edge_scores_")


def _collider(n=3000, seed=0):
    """j -> c <- k with j and k independent (and a categorical k)."""
    rng = np.random.default_rng(seed)
    j = rng.normal(size=n)
    k = rng.choice(["p", "q", "r"], size=n)
    c = 0.8 * j + pd.Series(k).map({"p": -1.0, "q": 0.0, "r": 1.0}).to_numpy()
    c = c + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"j": j, "k": k, "c": c})


def test_a_reversed_collider_edge_is_turned_round():
    df = _collider()
    given = CausalGraph([("k", "c")], nodes=list(df.columns))
    allowed = {("j", "c"), ("c", "j")}
    # learned the wrong way round: the v-structure j -> c <- k says otherwise
    assert orient_by_colliders(given, [("c", "j")], allowed, df) == [("j", "c")]
    assert orient_by_colliders(given, [("j", "c")], allowed, df) == [("j", "c")]
    # only an allowed reverse is used
    assert orient_by_colliders(given, [("c", "j")], {("c", "j")}, df) == [("c", "j")]


def test_a_chain_edge_is_left_as_learned():
    # k -> c -> j: no v-structure at c (j depends on k), so the data do not say
    rng = np.random.default_rng(1)
    k = rng.normal(size=3000)
    c = k + 0.5 * rng.normal(size=3000)
    j = c + 0.5 * rng.normal(size=3000)
    df = pd.DataFrame({"j": j, "k": k, "c": c})
    given = CausalGraph([("k", "c")], nodes=list(df.columns))
    allowed = {("j", "c"), ("c", "j")}
    assert orient_by_colliders(given, [("c", "j")], allowed, df) == [("c", "j")]


def test_edges_after_a_turned_one_are_dropped_for_the_next_round():
    df = _collider()
    df["z"] = np.random.default_rng(2).normal(size=len(df))
    given = CausalGraph([("k", "c")], nodes=list(df.columns))
    allowed = {("j", "c"), ("c", "j"), ("z", "j")}
    assert orient_by_colliders(given, [("c", "j"), ("z", "j")], allowed, df) == [("j", "c")]

"""Background knowledge: one validator and one object for discovery, edge learning and fit.

Also the one rank-based normal-score transform (``core.encoding.rank_normal_scores``)
shared by the model's encoding and the mixed-data independence test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from debiasgen import CausalGraph, CCGMSynthesizer, discover_graph
from debiasgen.core.encoding import TabularEncoder, normal_scores, rank_normal_scores
from debiasgen.exceptions import (
    CycleError,
    DataValidationError,
    GraphError,
    InvalidParameterError,
    InvalidTypeError,
    UnknownColumnError,
)
from debiasgen.structure import edge_learning
from debiasgen.structure.edge_learning import candidate_edges
from debiasgen.structure.independence import encode
from debiasgen.structure.knowledge import Knowledge, check_knowledge, require_edges

COLUMNS = ["a", "b", "c", "d", "e"]


def _fast(**kw):
    return CCGMSynthesizer(epochs=2, hidden_size=16, latent_dim=2, random_state=0, **kw)


@pytest.fixture(scope="module")
def chain():
    """a -> b -> c, d and e independent noise; 400 rows."""
    rng = np.random.default_rng(0)
    n = 400
    a = rng.normal(size=n)
    b = a + 0.5 * rng.normal(size=n)
    c = b + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": rng.normal(size=n),
                         "e": rng.normal(size=n)})


# --- one validator -------------------------------------------------------------------------

MISTAKES = [
    ({"sensitive": "zz"}, UnknownColumnError, r"sensitive names 'zz', which is not a column"),
    ({"target": "y"}, UnknownColumnError, r"target names 'y'"),
    ({"required": [("a", "zz")]}, UnknownColumnError, r"required names 'zz'"),
    ({"forbidden": [("q", "a")]}, UnknownColumnError, r"forbidden names 'q'"),
    ({"tiers": [["a"], ["b", "nope"]]}, UnknownColumnError, r"tiers\[1\] names 'nope'"),
    ({"target": ["d"]}, InvalidTypeError, r"target must be one column name"),
    ({"sensitive": 3}, InvalidTypeError, r"sensitive must be a column name or a list"),
    ({"forbidden": ["ab"]}, InvalidTypeError, r"each entry of forbidden must be a \(parent"),
    ({"required": "ab"}, InvalidTypeError, r"required must be a list of \(parent, child\)"),
    ({"tiers": ["a", "b"]}, InvalidTypeError, r"tiers\[0\] is the string 'a'"),
    ({"tiers": [["a"], ["a", "b"]]}, GraphError, r"'a' in tier 0 and in tier 1"),
    ({"sensitive": "a", "target": "a"}, GraphError, r"'a' is both the target and a sens"),
    ({"forbidden": [("b", "b")]}, GraphError, r"forbidden has the self-loop 'b' -> 'b'"),
    ({"required": [("c", "a")], "sensitive": "a"}, GraphError, r"'c' -> 'a' contradicts"),
    ({"required": [("a", "b"), ("b", "a")]}, CycleError, r"cycle"),
]


@pytest.mark.parametrize("kwargs, error, match", MISTAKES)
def test_fit_and_discovery_give_the_same_error(chain, kwargs, error, match):
    with pytest.raises(error, match=match) as found:
        discover_graph(chain, **kwargs)
    with pytest.raises(error, match=match) as fitted:
        _fast().fit(chain, graph=[("a", "b")], learn_edges=True, **kwargs)
    with pytest.raises(error, match=match) as checked:
        check_knowledge(COLUMNS, **kwargs)
    assert str(found.value) == str(fitted.value) == str(checked.value)


def test_an_unknown_column_is_both_a_data_and_a_graph_error(chain):
    for call in (lambda: discover_graph(chain, sensitive=["a", "sex"]),
                 lambda: _fast().fit(chain, graph=[("a", "b")], sensitive=["a", "sex"])):
        with pytest.raises(UnknownColumnError) as info:
            call()
        assert isinstance(info.value, DataValidationError)
        assert isinstance(info.value, GraphError)
        message = str(info.value)
        # both wordings the older validators used, and the columns to choose from
        assert "sensitive names 'sex', which is not a column" in message
        assert "columns the data lacks: ['sex']" in message
        assert "columns are ['a', 'b', 'c', 'd', 'e']" in message


def test_every_unknown_name_is_reported_at_once():
    with pytest.raises(UnknownColumnError, match=r"lacks: \['x', 'y'\]") as info:
        check_knowledge(COLUMNS, sensitive="x", forbidden=[("a", "y")])
    assert "sensitive names 'x'" in str(info.value)
    assert "forbidden names 'y'" in str(info.value)


def test_edge_learning_reads_the_same_knowledge_object():
    assert edge_learning.check_knowledge is check_knowledge
    knowledge = check_knowledge(
        COLUMNS, sensitive="a", target="e", forbidden=[("b", "c")], tiers=[["a", "b"], ["c", "d"]]
    )
    assert isinstance(knowledge, Knowledge)
    # five isolated columns: every ordered pair is a candidate unless the knowledge
    # forbids it, so the candidates are the complement of Knowledge.forbidden()
    graph = CausalGraph([], nodes=COLUMNS)
    pairs = {(p, c) for p in COLUMNS for c in COLUMNS if p != c}
    assert set(candidate_edges(graph, knowledge)) == pairs - knowledge.forbidden()
    assert knowledge.forbidden() == (
        {(p, "a") for p in "bcde"}          # into the sensitive column
        | {("e", c) for c in "abcd"}        # out of the target
        | {("b", "c")}                      # forbidden
        | {(p, c) for p in "cd" for c in "ab"}  # later tier -> earlier tier
    )
    assert knowledge.why_forbidden("c", "b") == "tiers put 'c' (tier 1) after 'b' (tier 0)"
    assert knowledge.why_forbidden("b", "d") is None


def test_discovery_options_raise_our_errors(chain):
    with pytest.raises(InvalidParameterError, match="method must be one of"):
        discover_graph(chain, "lingam")
    with pytest.raises(InvalidParameterError, match="alpha must be a number"):
        discover_graph(chain, alpha=2)
    with pytest.raises(InvalidTypeError, match="max_rows must be an int or None"):
        discover_graph(chain, max_rows=2.5)
    with pytest.raises(InvalidTypeError, match="verbose must be True or False"):
        discover_graph(chain, verbose="yes")


# --- required edges in fit -------------------------------------------------------------------


def test_fit_without_a_graph_passes_required_to_discovery(chain):
    # d and e are independent noise: discovery finds no edge between them, so the
    # edge d -> e is in the graph only because it is required
    assert not discover_graph(chain).has_edge("d", "e")
    synth = _fast().fit(chain, required=[("d", "e")])
    found = discover_graph(chain, required=[("d", "e")])
    assert synth.graph_ == found and synth.graph_.origins == found.origins
    assert synth.graph_.origin("d", "e") == "background"


def test_fit_with_learn_edges_adds_a_missing_required_edge_as_fixed(chain):
    graph = [("a", "b"), ("b", "c")]
    synth = _fast().fit(chain, graph=graph, learn_edges=True, required=[("d", "e")])
    assert synth.graph_.has_edge("d", "e")
    assert synth.graph_.origin("d", "e") == "background"
    assert ("d", "e") not in synth.learned_edges_
    assert ("d", "e") not in synth.edge_scores_.index  # fixed, so never a candidate
    # a required edge the graph already has changes nothing
    given = CausalGraph(graph)
    assert require_edges(given, check_knowledge(COLUMNS, required=[("a", "b")]), add=True) is given


def test_a_required_edge_that_closes_a_cycle_is_named(chain):
    with pytest.raises(CycleError, match=r"required edge 'c' -> 'a' closes the cycle"):
        _fast().fit(chain, graph=[("a", "b"), ("b", "c")], learn_edges=True,
                    required=[("c", "a")])


def test_a_required_edge_against_the_knowledge_is_refused(chain):
    with pytest.raises(GraphError, match=r"required edge 'b' -> 'a' contradicts .* 'a' gets no"):
        _fast().fit(chain, graph=[("a", "b")], learn_edges=True, required=[("b", "a")],
                    sensitive="a")


def test_fit_without_learn_edges_refuses_a_graph_lacking_a_required_edge(chain):
    with pytest.raises(GraphError, match=r"required edge 'd' -> 'e' is not in graph"):
        _fast().fit(chain, graph=[("a", "b"), ("b", "c")], required=[("d", "e")])
    # with the edge in the graph, the fit goes ahead and keeps the graph as given
    synth = _fast().fit(chain, graph=[("a", "b"), ("d", "e")], required=[("d", "e")])
    assert synth.graph_.has_edge("d", "e") and synth.graph_.origin("d", "e") is None


def test_require_edges_names_every_missing_edge():
    knowledge = check_knowledge(COLUMNS, required=[("d", "e"), ("a", "c")])
    graph = CausalGraph([("a", "b")])  # d and e are not even nodes yet
    with pytest.raises(GraphError, match=r"edges 'a' -> 'c', 'd' -> 'e' are not in graph"):
        require_edges(graph, knowledge, add=False)
    added = require_edges(graph, knowledge, add=True)
    assert set(added.edges) == {("a", "b"), ("a", "c"), ("d", "e")}
    assert added.nodes == ("a", "b", "c", "d", "e")


# --- one normal-score transform ----------------------------------------------------------------


def test_rank_normal_scores_by_construction():
    values = np.array([3.0, 1.0, 2.0, 2.0])
    # ranks 4, 1, 2.5, 2.5 (ties share their average); mid-rank ECDF (r - 1/2) / n
    expected = special.ndtri(np.array([3.5, 0.5, 2.0, 2.0]) / 4)
    np.testing.assert_array_equal(rank_normal_scores(values), expected)
    # scipy's average ranks give the same
    np.testing.assert_array_equal(
        rank_normal_scores(values), special.ndtri((stats.rankdata(values) - 0.5) / 4)
    )
    assert rank_normal_scores([]).shape == (0,)
    assert rank_normal_scores([7.0]) == pytest.approx([0.0])


def test_rank_normal_scores_are_standard_normal():
    x = np.random.default_rng(0).lognormal(size=20_000)  # skewed input
    z = rank_normal_scores(x)
    assert abs(z.mean()) < 1e-12  # symmetric by construction
    assert z.std() == pytest.approx(1.0, abs=0.01)
    assert np.all(np.diff(z[np.argsort(x)]) > 0)  # order kept


def test_the_model_and_the_independence_test_share_the_transform():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": np.round(rng.exponential(size=500), 1),
                          "k": rng.choice(["p", "q", "r"], size=500)})
    encoder = TabularEncoder().fit(frame)
    knots, scores = normal_scores(encoder.layout_[0])
    values = frame["x"].to_numpy()
    # the model's knots are the transform's scores at each distinct training value
    np.testing.assert_array_equal(knots, np.unique(values))
    np.testing.assert_array_equal(np.interp(values, knots, scores), rank_normal_scores(values))
    # the mixed-data test sees the same scores for a numeric column
    data, (expanded, blocks) = encode(frame, "mixed")
    np.testing.assert_array_equal(data[:, 0], rank_normal_scores(values))
    np.testing.assert_array_equal(
        data[:, 1], rank_normal_scores(pd.factorize(frame["k"], sort=True)[0])
    )

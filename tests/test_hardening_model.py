"""Hardening of ``CCGMSynthesizer``'s API: mistakes that used to pass silently are
refused before any work with an error naming the argument; a failed refit leaves
the estimator whole; the public methods' docstrings are complete and their examples
run."""

from __future__ import annotations

import doctest
import inspect
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from debiasgen import CausalGraph, CCGMSynthesizer
from debiasgen.exceptions import (
    CycleError,
    DataValidationError,
    DebiasgenError,
    GraphError,
    InvalidParameterError,
    InvalidTypeError,
)

SMALL = dict(epochs=2, hidden_size=8, batch_size=128)
EDGES = [("s", "m"), ("m", "y")]


def frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    m = rng.normal(size=n) + s
    return pd.DataFrame({"s": s, "m": m, "y": (m + rng.normal(size=n) > 0.5).astype(int)})


@pytest.fixture(scope="module")
def df():
    return frame()


@pytest.fixture(scope="module")
def synth(df):
    return CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=EDGES)


# -- 1. a graph passed as y --------------------------------------------------------------

GRAPH_LIKE = {
    "list of tuples": lambda: list(EDGES),
    "tuple of lists": lambda: tuple(list(e) for e in EDGES),
    "empty list": lambda: [],
    "CausalGraph": lambda: CausalGraph(EDGES),
    "networkx DiGraph": lambda: nx.DiGraph(EDGES),
    "adjacency frame": lambda: pd.DataFrame([[0, 1, 0], [0, 0, 1], [0, 0, 0]],
                                            index=list("smy"), columns=list("smy")),
}


@pytest.mark.parametrize("case", list(GRAPH_LIKE))
def test_a_graph_passed_as_y_is_refused(df, case):
    est = CCGMSynthesizer(**SMALL, random_state=0)
    with pytest.raises(InvalidParameterError,
                       match=r"fit\(X, y\) ignores y; pass the graph as fit\(X, graph=\.\.\.\)"):
        est.fit(df, GRAPH_LIKE[case]())
    assert not hasattr(est, "graph_")


@pytest.mark.parametrize("y", [
    np.zeros(200), np.arange(200) % 2, pd.Series(np.ones(200)), list(range(200)),
    np.zeros((200, 2)), pd.DataFrame({"a": np.zeros(200), "b": np.ones(200)}),
])
def test_an_ordinary_y_is_ignored(df, synth, y):
    """scikit-learn passes arrays as y (tests/test_sklearn_checks.py): ignored."""
    est = CCGMSynthesizer(**SMALL, random_state=0).fit(df, y, graph=EDGES)
    pd.testing.assert_frame_equal(est.sample(50, random_state=1),
                                  synth.sample(50, random_state=1))


# -- 2. fit's keyword arguments ----------------------------------------------------------


@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, [True]])
def test_learn_edges_must_be_a_bool(df, value):
    est = CCGMSynthesizer(**SMALL, random_state=0)
    with pytest.raises(InvalidTypeError, match=r"^learn_edges must be True or False"):
        est.fit(df, graph=EDGES, learn_edges=value)
    assert not hasattr(est, "graph_")


def test_learn_edges_accepts_numpy_bools(df, synth):
    est = CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=EDGES,
                                                       learn_edges=np.bool_(False))
    assert est.learned_edges_ == ()
    pd.testing.assert_frame_equal(est.sample(30, random_state=2),
                                  synth.sample(30, random_state=2))


# -- 3. a failed refit, huge parameters and sizes ------------------------------------------

BAD_REFITS = {
    "cycle": (lambda df: (df, [("s", "m"), ("m", "s")]), CycleError),
    "unknown column": (lambda df: (df, [("s", "nope")]), GraphError),
    "other columns, bad graph": (
        lambda df: (df.assign(extra=1.0).rename(columns={"y": "z"}), [("z", "q")]), GraphError),
    "infinite values": (lambda df: (df.assign(m=np.inf), EDGES), DataValidationError),
    "no rows": (lambda df: (df.iloc[:0], EDGES), DataValidationError),
    "a graph as y": (lambda df: (df, "as y"), InvalidParameterError),
}


@pytest.mark.parametrize("case", list(BAD_REFITS))
def test_a_failed_refit_leaves_the_estimator_whole(df, case):
    est = CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=EDGES)
    before = est.sample(100, random_state=0)
    graph, history = est.graph_, est.history_
    names, n_in = list(est.feature_names_in_), est.n_features_in_
    data, graph_arg = BAD_REFITS[case][0](df)
    with pytest.raises(BAD_REFITS[case][1]):
        if graph_arg == "as y":
            est.fit(data, EDGES)
        else:
            est.fit(data, graph=graph_arg)
    pd.testing.assert_frame_equal(est.sample(100, random_state=0), before)
    assert est.graph_ is graph and est.history_ is history
    assert list(est.feature_names_in_) == names and est.n_features_in_ == n_in


def test_a_refit_on_an_array_drops_the_feature_names(df):
    est = CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=EDGES)
    est.fit(df.to_numpy(dtype=float), graph=[("x0", "x1")])
    assert not hasattr(est, "feature_names_in_") and est.n_features_in_ == 3


@pytest.mark.parametrize("param, value", [
    ("learning_rate", float("inf")), ("learning_rate", float("nan")), ("hidden_size", 10**6),
    ("epochs", 10**9), ("batch_size", 2**40), ("latent_dim", 10**5), ("max_bins", 10**9),
    ("learning_rate", -1.0), ("validation_fraction", 0.9), ("edge_penalty", float("inf")),
])
def test_huge_or_impossible_parameters_are_refused_before_any_work(param, value):
    # X is not even a table: the parameter is checked first
    with pytest.raises(InvalidParameterError, match=rf"^{param} must be"):
        CCGMSynthesizer(**{param: value}).fit("not a table", graph=EDGES)


@pytest.mark.parametrize("n", [10**12, 2**62])
def test_huge_sample_sizes_are_refused_at_once(synth, n):
    with pytest.raises(InvalidParameterError, match=rf"^n={n:,} rows of 3 columns need"):
        synth.sample(n)
    with pytest.raises(InvalidParameterError, match=rf"^n={n:,} rows"):
        synth.intervene({"s": 1}, n=n)
    # n is checked before the interventions
    with pytest.raises(InvalidParameterError, match=rf"^n={n:,} rows"):
        synth.intervene({"nope": 1}, n=n)


@pytest.mark.parametrize("reference", ["s", ["s"], 0, ("s", 1)])
def test_debias_reference_must_be_a_dict(synth, reference):
    with pytest.raises(InvalidTypeError, match="^reference must be a dict"):
        synth.debias(reference=reference)
    with pytest.raises(InvalidTypeError, match="^reference must be a dict"):
        synth.debias([("s", "m")], reference=reference)


# -- 5. docstrings ----------------------------------------------------------------------------

PUBLIC = ["fit", "sample", "intervene", "counterfactual", "debias", "save", "load"]


@pytest.mark.parametrize("method", PUBLIC)
def test_public_methods_have_full_numpydoc(method):
    doc = inspect.getdoc(getattr(CCGMSynthesizer, method))
    for section in ["Parameters", "Returns", "Raises", "Examples"]:
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, f"{method} lacks {section}"
    examples = doc.split("Examples\n--------\n")[1]
    assert "random_state=0" in examples and ">>> " in examples
    assert f".{method}(" in examples
    epochs = [int(e) for e in re.findall(r"epochs=(\d+)", examples)]
    assert epochs and max(epochs) <= 5


def test_docstring_examples_run():
    import debiasgen.model.synthesizer as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 40
    assert result.failed == 0


# -- 6. errors are ours ----------------------------------------------------------------------


def test_every_error_above_is_a_debiasgen_error(synth):
    for call in [lambda: synth.sample(0), lambda: synth.debias(reference="s"),
                 lambda: synth.intervene({"s": 1}, n=10**15)]:
        with pytest.raises(DebiasgenError):
            call()

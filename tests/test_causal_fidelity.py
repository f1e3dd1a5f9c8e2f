"""Causal fidelity measures, and CCGMSynthesizer against known-truth SCMs of every kind.

Tolerances.  A mean of ``n`` rows of a unit-variance column has standard error
``1/sqrt(n)``; a model learned from ``N_TRAIN`` rows and sampled ``N_GEN`` times
has ``SE = sqrt(1/N_TRAIN + 1/N_GEN)``, and checks allow ``Z`` of them.  Where a
check also bounds the model's own approximation error (binning, finite capacity,
few epochs) the allowance is written next to it, in sd units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import SCM_KINDS, make_scm
from debiasgen.evaluation.known_truth import (
    counterfactual_error,
    edge_removal_error,
    intervention_grid,
    interventional_error,
)

N_TRAIN, N_GEN, Z = 3000, 3000, 4.0
SE = np.sqrt(1 / N_TRAIN + 1 / N_GEN)
FIT = dict(epochs=40, patience=6, batch_size=256, random_state=0)
SCM_ARGS = {  # small graphs with at least one chain, so every query has descendants
    "linear": dict(n_nodes=4, edge_prob=0.7, random_state=1),
    "nonlinear": dict(n_nodes=4, edge_prob=0.7, random_state=1),
    "mixed": dict(n_nodes=5, edge_prob=0.6, random_state=4),
    "fairness": dict(n_nodes=5, random_state=0),
}


@pytest.fixture(scope="module")
def fitted():
    out = {}
    for kind, args in SCM_ARGS.items():
        scm = make_scm(kind, **args)
        data = scm.sample(N_TRAIN, random_state=10)
        out[kind] = scm, CCGMSynthesizer(**FIT).fit(data, graph=scm.graph)
    return out


def _max_abs(values) -> float:
    """Largest absolute value, 0 for none (a kind may be absent from a small SCM)."""
    return float(np.abs(np.asarray(values, dtype=float)).max(initial=0.0))


def _source(scm):
    """A root with the most descendants (the treatment of the checks)."""
    return max(scm.graph.roots, key=lambda r: len(scm.graph.descendants(r)))


class _FixedSeed:
    """The truth, always drawn with seed 0: a model identical to it, draw for draw."""

    def __init__(self, scm):
        self.scm, self.graph, self.column_kinds = scm, scm.graph, scm.column_kinds

    def sample(self, n, random_state=None, return_noise=False):
        return self.scm.sample(n, random_state=0, return_noise=return_noise)

    def intervene(self, interventions, n, random_state=None):
        return self.scm.intervene(interventions, n, random_state=0)


# -- the measures themselves ------------------------------------------------------------
def test_measures_are_zero_for_identical_inputs():
    scm = make_scm("mixed", 5, edge_prob=0.6, random_state=2)
    same = _FixedSeed(scm)
    grid = intervention_grid(scm, _source(scm), random_state=0)
    err = interventional_error(same, same, grid, n=1000, random_state=0)
    assert err.index.names == ["intervention", "column"] and len(err) > 0
    assert err["distance"].eq(0).all() and err["floor"].eq(0).all()
    assert err["mean_error"].fillna(0).eq(0).all()
    assert set(err["kind"]) <= {"numeric", "binary", "categorical"}


def test_counterfactual_error_of_the_truth_is_zero_on_numeric_columns():
    # an oracle that abducts the noise exactly (additive noise) is the truth itself
    scm = make_scm("nonlinear", 5, edge_prob=0.7, random_state=3)

    class Oracle:
        def counterfactual(self, rows, interventions, random_state=None):
            return scm.counterfactual(scm.abduct(rows), interventions)

    source = _source(scm)
    err = counterfactual_error(Oracle(), scm, {source: 0.5}, n=500, random_state=0)
    assert err.index.names == ["intervention", "column"]
    assert list(err.columns) == ["kind", "affected", "metric", "value", "floor", "moved"]
    np.testing.assert_allclose(err["value"], 0.0, atol=1e-9)
    assert err.loc[err["affected"], "moved"].min() > 0.5  # the check is not vacuous


def test_truth_against_itself_is_within_the_floor():
    scm = make_scm("linear", 5, edge_prob=0.7, random_state=4)
    grid = intervention_grid(scm, _source(scm), random_state=0)
    err = interventional_error(scm, scm, grid, n=4000, random_state=1)
    # two independent samples of the same law: mean error ~ N(0, 2/n) in sd units
    assert err["mean_error"].abs().max() < Z * np.sqrt(2 / 4000)
    assert err["distance"].max() < 4 * err["floor"].max()


def test_a_model_with_a_missing_edge_has_clearly_larger_interventional_error(fitted):
    scm, right = fitted["linear"]
    source = _source(scm)
    child = scm.graph.children(source)[0]
    data = scm.sample(N_TRAIN, random_state=10)
    wrong = CCGMSynthesizer(**FIT).fit(data, graph=scm.graph.remove_edges([(source, child)]))
    grid = intervention_grid(scm, source, quantiles=(0.1, 0.9), random_state=0)
    good = interventional_error(right, scm, grid, n=N_GEN, random_state=0)
    bad = interventional_error(wrong, scm, grid, n=N_GEN, random_state=0)
    good_child = good.xs(child, level="column")["mean_error"].abs().max()
    bad_child = bad.xs(child, level="column")["mean_error"].abs().max()
    assert good_child < Z * SE + 0.05  # allowance: 0.05 sd of model error
    assert bad_child > 3 * good_child and bad_child > 0.3


# -- CCGMSynthesizer against each kind of truth -----------------------------------------
@pytest.mark.parametrize("kind", SCM_KINDS)
def test_interventions_match_the_truth(fitted, kind):
    scm, synth = fitted[kind]
    grid = intervention_grid(scm, _source(scm), quantiles=(0.25, 0.75), random_state=0)
    err = interventional_error(synth, scm, grid, n=N_GEN, columns="all", random_state=0)
    numeric = err["kind"] == "numeric"
    # means: Z standard errors plus 0.05 sd of model error (a 3000-row, 40-epoch fit)
    assert err.loc[numeric, "mean_error"].abs().max() < Z * SE + 0.05
    assert _max_abs(err.loc[err["kind"] == "binary", "mean_error"]) < Z * SE + 0.05
    # distributions: categorical TV within sampling noise (~Z/sqrt(n)) plus 0.05
    assert _max_abs(err.loc[err["kind"] != "numeric", "distance"]) < Z * SE + 0.05
    assert (err["distance"] < err["floor"] + 0.15).all()


@pytest.mark.parametrize("kind", SCM_KINDS)
def test_counterfactuals_match_the_truth(fitted, kind):
    scm, synth = fitted[kind]
    source = _source(scm)
    grid = intervention_grid(scm, source, quantiles=(0.25, 0.75), random_state=0)
    err = counterfactual_error(synth, scm, grid, n=1000, random_state=0)
    # columns that are not descendants keep their observed values exactly
    kept = err[~err["affected"]]
    assert (kept["value"] == kept["metric"].map({"rmse_sd": 0.0, "accuracy": 1.0})).all()
    numeric = err[err["affected"] & (err["metric"] == "rmse_sd")]
    # model error of a small fit, in sd, above the floor (a numeric child of a
    # categorical node inherits the categorical node's unidentified noise); the
    # nonlinear SCM's worst node measured .295 (learning rate 2e-3) and .305 (4e-3 with
    # the plateau decay, a better validation loss): the margin is a fit's spread
    assert (numeric["value"] < numeric["floor"] + 0.35).all()
    cats = err[err["affected"] & (err["metric"] == "accuracy")]
    # categorical noise is only known up to its class: compare with posterior sampling
    assert (cats["value"] > cats["floor"] - 0.1).all()


@pytest.mark.parametrize("kind", SCM_KINDS)
def test_counterfactual_identity(fitted, kind):
    scm, synth = fitted[kind]
    data = scm.sample(N_TRAIN, random_state=10)
    train = data.iloc[:300]  # rows the model was fitted on
    fresh = scm.sample(300, random_state=5)
    numeric = [c for c, k in scm.column_kinds.items() if k == "numeric"]
    # decoding never leaves the training range, so units outside it are clipped there
    inside = ((fresh[numeric] >= data[numeric].min()) & (fresh[numeric] <= data[numeric].max()))
    fresh = fresh[inside.all(axis=1)]
    assert len(fresh) > 290
    for column in scm.columns:
        same = synth.counterfactual(train, {column: lambda v: v}, random_state=0)
        pd.testing.assert_frame_equal(same, train)
        # a new row's regenerated numeric values are decoded to training values (the
        # same conditional rank): equal up to the spacing of N_TRAIN sorted values,
        # about 0.001 sd in the bulk and larger in the tails
        near = synth.counterfactual(fresh, {column: lambda v: v}, random_state=0)
        for c, kind_c in scm.column_kinds.items():
            if kind_c == "numeric":
                gap = (near[c] - fresh[c]).abs()
                assert gap.median() < 0.005 and gap.quantile(0.95) < 0.05, (column, c)
            else:
                assert (near[c] == fresh[c]).all(), (column, c)


@pytest.mark.parametrize("kind", ["linear", "mixed", "fairness"])
def test_edge_removal_matches_the_truth(fitted, kind):
    scm, synth = fitted[kind]
    edge = ("s", "y") if kind == "fairness" else scm.graph.edges[-1]
    err = edge_removal_error(synth.debias(remove_edges=[edge]), scm, [edge], n=N_GEN,
                             n_units=1000, columns="all", random_state=0)
    assert err.index.names == ["query", "column"]
    sample = err.loc["sample"]
    numeric = sample["kind"] == "numeric"
    assert sample.loc[numeric, "value"].abs().max() < Z * SE + 0.1
    assert _max_abs(sample.loc[sample["kind"] == "binary", "value"]) < Z * SE + 0.05
    cf = err.loc["counterfactual"]
    unaffected = [c for c in scm.columns
                  if c != edge[1] and c not in scm.graph.descendants(edge[1])]
    exact = cf.loc[unaffected]
    assert (exact["value"] == exact["metric"].map({"rmse_sd": 0.0, "accuracy": 1.0})).all()
    # the de-biased unit is a draw: compare with two draws of the truth
    child = cf.loc[edge[1]]
    if child["metric"] == "rmse_sd":
        assert child["value"] < child["floor"] + 0.2
    else:
        assert child["value"] > child["floor"] - 0.1


def test_removing_the_direct_edge_leaves_the_gap_of_the_truth(fitted):
    scm, synth = fitted["fairness"]
    model = synth.debias(remove_edges=[("s", "y")]).sample(20_000, random_state=0)
    true = scm.remove_edges([("s", "y")], 20_000, random_state=0)
    full = scm.sample(20_000, random_state=0)

    def gap(frame):
        rate = frame.groupby("s", observed=True)["y"].mean()
        return rate["g1"] - rate["g0"]

    # the de-biased model's gap in the rate of y = 1 between the groups is nearer the
    # truth with the edge removed than the truth with it (about 0.09 apart here)
    assert abs(gap(model) - gap(true)) < abs(gap(model) - gap(full))


def test_errors_name_the_argument():
    scm = make_scm("linear", 4, random_state=0)
    with pytest.raises(TypeError, match="interventions must be a non-empty dict"):
        interventional_error(scm, scm, [], n=100)
    with pytest.raises(ValueError, match="columns must be 'affected' or 'all'"):
        interventional_error(scm, scm, {"x0": 1.0}, n=100, columns="some")
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        counterfactual_error(scm, scm, {"x0": 1.0}, n=1)
    with pytest.raises(ValueError, match="column 'nope' is not a column"):
        intervention_grid(scm, "nope")
    with pytest.raises(ValueError, match="columns must be 'affected' or 'all'"):
        edge_removal_error(scm, scm, scm.graph.edges[:1], n=100, columns="x")

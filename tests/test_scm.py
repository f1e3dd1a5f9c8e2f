"""The known-truth SCM generators against their own closed forms and invariants.

Tolerances: a mean of ``n`` draws of a unit-variance column has standard error
``1 / sqrt(n)``; checks allow ``Z`` of them (a column's sd is at most about 1.5
under the interventions used here, so ``Z * 1.5 / sqrt(n)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from debiasgen import CausalGraph
from debiasgen.datasets import SCM_KINDS, StructuralCausalModel, make_scm

N, Z = 20_000, 5.0
TOL = Z * 1.5 / np.sqrt(N)


@pytest.mark.parametrize("kind", SCM_KINDS)
@pytest.mark.parametrize("n_nodes", [3, 6, 30])
def test_shapes_dtypes_and_scale(kind, n_nodes):
    scm = make_scm(kind, n_nodes, random_state=n_nodes)
    assert isinstance(scm, StructuralCausalModel) and isinstance(scm.graph, CausalGraph)
    data, noise = scm.sample(N, random_state=0, return_noise=True)
    assert list(data.columns) == scm.columns == list(scm.graph.nodes)
    assert list(noise.columns) == scm.columns and len(data) == len(noise) == N
    for column, col_kind in scm.column_kinds.items():
        x = data[column]
        if col_kind == "numeric":
            assert x.dtype == np.float64
            assert abs(x.mean()) < TOL + 0.02 and abs(x.std() - 1) < 0.05  # calibrated on 20k
        elif col_kind == "binary":
            assert x.dtype == np.int64 and set(x.unique()) <= {0, 1}
        else:
            assert isinstance(x.dtype, pd.CategoricalDtype)
            assert x.notna().all()
    if kind == "fairness":
        assert scm.sensitive == "s" and scm.target == "y"
        assert scm.graph.has_edge("s", "y") and "y" in scm.graph.descendants("m0")
        assert scm.column_kinds["y"] == "binary" and scm.column_kinds["s"] == "categorical"
    if kind == "mixed":
        assert {"numeric", "binary", "categorical"} <= set(scm.column_kinds.values())


def test_seeded_reproducibility():
    a, b = make_scm("mixed", 8, random_state=3), make_scm("mixed", 8, random_state=3)
    assert a.graph == b.graph
    pd.testing.assert_frame_equal(a.sample(200, random_state=1), b.sample(200, random_state=1))
    assert not a.sample(200, random_state=1).equals(a.sample(200, random_state=2))
    assert make_scm("mixed", 8, random_state=4).graph != a.graph
    rng = np.random.default_rng(0)  # a Generator advances: two calls differ
    assert not a.sample(50, random_state=rng).equals(a.sample(50, random_state=rng))


def test_expected_degree_and_edge_prob():
    dense = make_scm("linear", 30, edge_prob=1.0, random_state=0)
    assert len(dense.graph.edges) == 30 * 29 // 2
    assert len(make_scm("linear", 30, edge_prob=0.0, random_state=0).graph.edges) == 0
    counts = [len(make_scm("nonlinear", 30, expected_degree=3, random_state=s).graph.edges)
              for s in range(10)]
    # 45 edges expected per graph (Binomial(435, 3/29)); the mean of 10 has sd about 2
    assert abs(np.mean(counts) - 45) < 10


def test_column_order_is_not_the_causal_order():
    scm = make_scm("linear", 10, edge_prob=0.5, random_state=0)
    position = {c: i for i, c in enumerate(scm.columns)}
    assert any(position[p] > position[c] for p, c in scm.graph.edges)


def test_linear_interventional_mean_matches_closed_form():
    scm = make_scm("linear", 6, edge_prob=0.6, random_state=1)
    source = scm.graph.topological_order()[0]
    assert scm.graph.descendants(source)
    for value in (-1.5, 2.0):
        truth = scm.interventional_mean({source: value})
        got = scm.intervene({source: value}, N, random_state=2).mean()
        np.testing.assert_allclose(got, truth, atol=TOL)
        assert truth[source] == value
        for c in scm.columns:  # non-descendants keep their observational mean 0
            if c not in scm.graph.descendants(source) and c != source:
                assert truth[c] == 0
    # the closed form itself: exact zero means and the effects move with the value
    np.testing.assert_allclose(scm.interventional_mean({source: 0.0}), 0.0, atol=1e-12)
    # a wrong closed form would be caught: the effect on some descendant is not small
    assert scm.interventional_mean({source: 2.0}).drop(source).abs().max() > 0.3


def test_linear_unit_variance_is_exact():
    scm = make_scm("linear", 8, edge_prob=0.7, random_state=2)
    data = scm.sample(200_000, random_state=0)
    # sd of a sample variance of a Gaussian is sqrt(2 / n) = 0.003
    np.testing.assert_allclose(data.var(), 1.0, atol=5 * np.sqrt(2 / 200_000))


@pytest.mark.parametrize("kind", SCM_KINDS)
def test_counterfactual_identity_and_non_descendants(kind):
    scm = make_scm(kind, 6, edge_prob=0.6, random_state=5)
    data, noise = scm.sample(2000, random_state=0, return_noise=True)
    for column in scm.columns:
        same = scm.counterfactual(noise, {column: lambda v: v})
        pd.testing.assert_frame_equal(same, data)
    source = scm.graph.topological_order()[0]
    value = data[source].iloc[0]  # a value the column takes
    cf = scm.counterfactual(noise, {source: value})
    assert (cf[source] == value).all()
    untouched = [c for c in scm.columns if c not in scm.graph.descendants(source) and c != source]
    pd.testing.assert_frame_equal(cf[untouched], data[untouched])
    # the units whose source already equals the value are their own counterfactual
    same_rows = data[source] == value
    pd.testing.assert_frame_equal(cf[same_rows], data[same_rows])


def test_additive_noise_counterfactual_is_a_shift_in_linear_scm():
    # in a linear SCM, x_c(do(s = v)) - x_c = (E[x_c | do(s = v)] - E[x_c | do(s = s_unit)])
    scm = make_scm("linear", 5, edge_prob=1.0, random_state=0)
    source = scm.graph.topological_order()[0]
    data, noise = scm.sample(500, random_state=0, return_noise=True)
    cf = scm.counterfactual(noise, {source: 1.0})
    slope = scm.interventional_mean({source: 1.0})  # effect of a unit change
    expected = data + np.outer(1.0 - data[source], slope)
    np.testing.assert_allclose(cf, expected, atol=1e-9)


def test_categorical_counterfactual_follows_the_units_uniform():
    scm = make_scm("mixed", 6, edge_prob=0.8, random_state=1)
    cats = [c for c, k in scm.column_kinds.items() if k == "categorical"]
    child = next(c for c in cats if scm.graph.parents(c))
    parent = scm.graph.parents(child)[0]
    data, noise = scm.sample(5000, random_state=0, return_noise=True)
    # equal noise under the same parents gives the same class; the uniform orders classes
    lo = noise[child] < 0.2
    hi = noise[child] > 0.8
    codes = data[child].cat.codes
    assert codes[lo].mean() < codes[hi].mean()
    grid = data[parent].iloc[0] if scm.column_kinds[parent] != "numeric" else 1.0
    cf = scm.counterfactual(noise, {parent: grid})
    assert set(cf[child].unique()) <= set(data[child].cat.categories)


def test_edge_removal_cuts_the_dependence_and_keeps_the_marginals_elsewhere():
    scm = make_scm("linear", 3, edge_prob=1.0, random_state=0)
    a, b, c = scm.graph.topological_order()
    cut = scm.remove_edges([(a, c), (b, c)], N, random_state=1)
    # c now reads a and b from one independent row: c is independent of (a, b)
    assert abs(cut[c].corr(cut[a])) < Z / np.sqrt(N)
    assert abs(cut[c].corr(cut[b])) < Z / np.sqrt(N)
    # ... and keeps its marginal, var 1: with (a, b) drawn jointly from one row the
    # cross term of var(w_a a + w_b b) stays; drawing each cut parent on its own
    # would drop it (a and b are correlated here)
    obs = scm.sample(N, random_state=1)
    assert abs(obs[a].corr(obs[b])) > 0.2
    assert abs(cut[c].std() - 1) < 0.03 and abs(cut[c].mean()) < TOL
    assert abs(cut[b].corr(cut[a]) - obs[b].corr(obs[a])) < 2 * Z / np.sqrt(N)
    # a reference value instead of a draw: b = its mechanism at a = 0.5
    ref = scm.remove_edges([(a, b)], N, random_state=1, reference={a: 0.5})
    assert abs(ref[b].mean() - scm.interventional_mean({a: 0.5})[b]) < TOL
    assert abs(ref[b].corr(ref[a])) < Z / np.sqrt(N)


def test_edge_removal_counterfactual_leaves_non_descendants():
    scm = make_scm("fairness", 6, random_state=0)
    data, noise = scm.sample(1000, random_state=0, return_noise=True)
    cf = scm.counterfactual(noise, remove_edges=[("s", "y")], random_state=1)
    pd.testing.assert_frame_equal(cf.drop(columns="y"), data.drop(columns="y"))
    assert (cf["y"] != data["y"]).any()


def test_roots_share_a_hidden_cause_in_the_fairness_kind():
    scm = make_scm("fairness", 6, random_state=0)
    assert scm.confounded_roots == ("s", "a0")
    data = scm.sample(N, random_state=0)
    gap = data.groupby("s", observed=True)["a0"].mean()
    assert gap["g1"] - gap["g0"] > 0.3  # rho 0.5: about 0.8 sd
    # do(s) leaves a0 at its marginal
    out = scm.intervene({"s": "g1"}, N, random_state=0)
    assert abs(out["a0"].mean()) < TOL
    indep = make_scm("fairness", 6, confounding=0.0, random_state=0).sample(N, random_state=0)
    gap = indep.groupby("s", observed=True)["a0"].mean()
    assert abs(gap["g1"] - gap["g0"]) < 2 * TOL * 2


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="kind must be one of"):
        make_scm("quadratic", 5)
    with pytest.raises(ValueError, match="n_nodes must be an integer from 3 to 200"):
        make_scm("linear", 2)
    with pytest.raises(ValueError, match="n_nodes must be an integer"):
        make_scm("linear", 5.0)
    with pytest.raises(ValueError, match="not both"):
        make_scm("linear", 5, edge_prob=0.3, expected_degree=2)
    with pytest.raises(ValueError, match=r"edge_prob must be a number in \[0, 1\]"):
        make_scm("linear", 5, edge_prob=1.5)
    with pytest.raises(ValueError, match="expected_degree must be a number >= 0"):
        make_scm("linear", 5, expected_degree=-1)
    with pytest.raises(ValueError, match="confounding applies to kind='fairness' only"):
        make_scm("linear", 5, confounding=0.2)
    with pytest.raises(ValueError, match=r"confounding must be a number in \[0, 1\)"):
        make_scm("fairness", 5, confounding=1.0)
    scm = make_scm("fairness", 6, random_state=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        scm.sample(0)
    with pytest.raises(ValueError, match="cannot intervene on 'nope'"):
        scm.intervene({"nope": 1.0}, 10)
    with pytest.raises(ValueError, match=r"set 's' to 'x': its categories are \['g0', 'g1'\]"):
        scm.intervene({"s": "x"}, 10)
    with pytest.raises(ValueError, match="cannot set binary 'y' to 2: give 0 or 1"):
        scm.intervene({"y": 2}, 10)
    with pytest.raises(ValueError, match="cannot set numeric 'a0' to 'high'"):
        scm.intervene({"a0": "high"}, 10)
    with pytest.raises(TypeError, match="interventions must be a dict"):
        scm.intervene([("s", "g0")], 10)
    with pytest.raises(ValueError, match="cannot remove 'y' -> 's'"):
        scm.remove_edges([("y", "s")], 10)
    with pytest.raises(ValueError, match="edges is empty"):
        scm.remove_edges([], 10)
    with pytest.raises(ValueError, match="reference names 'a0'"):
        scm.remove_edges([("s", "y")], 10, reference={"a0": 0.0})
    with pytest.raises(ValueError, match="noise must be the noise frame"):
        scm.counterfactual(scm.sample(5), {"s": "g0"})
    _, noise = scm.sample(5, return_noise=True)
    with pytest.raises(ValueError, match="needs interventions or remove_edges"):
        scm.counterfactual(noise)
    with pytest.raises(ValueError, match="closed form only for kind='linear'"):
        scm.interventional_mean({"s": "g0"})
    with pytest.raises(ValueError, match="returned shape"):
        scm.counterfactual(noise, {"a0": lambda v: v[:2]})

"""Counterfactuals for observed rows, against SCMs whose counterfactuals are known.

In an additive-noise SCM the counterfactual of a unit is exact: keep the unit's
noise terms (``e = x - f(parents)``) and recompute.  The model's answer carries
its own approximation error, so the accuracy tests bound the RMSE in units of
the column's standard deviation (the measure of issue 4), and the structural
tests (identity, untouched non-descendants, alignment) are exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from debiasgen import CCGMSynthesizer, DataValidationError

pytestmark = pytest.mark.slow  # 200-epoch fits on known-truth SCMs (pytest -m "not slow" skips)

N = 6000
FIT = dict(epochs=200, patience=10, random_state=0)


def _chain_data(rng, n):
    x = rng.normal(size=n)
    m = 0.8 * x + 0.6 * rng.normal(size=n)
    y = 1.5 * m - 0.5 * x + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": y})


@pytest.fixture(scope="module")
def chain():
    df = _chain_data(np.random.default_rng(4), N)
    synth = CCGMSynthesizer(**FIT).fit(df, graph=[("x", "m"), ("m", "y"), ("x", "y")])
    return df, synth


@pytest.fixture(scope="module")
def mixed():
    # s in {"a", "b"} -> m (numeric, additive) -> y in {"lo", "hi"}; s -> y
    rng = np.random.default_rng(5)
    s = rng.integers(0, 2, N)
    m = 1.0 * s + rng.normal(size=N)
    y = np.where(m + 0.5 * s + rng.normal(size=N) > 1.0, "hi", "lo")
    df = pd.DataFrame({"s": pd.Categorical(np.where(s == 1, "b", "a")), "m": m, "y": y})
    synth = CCGMSynthesizer(**FIT).fit(df, graph=[("s", "m"), ("m", "y"), ("s", "y")])
    return df, synth


def _rmse(got, truth, scale):
    return float(np.sqrt(np.mean((np.asarray(got) - np.asarray(truth)) ** 2)) / scale)


def test_identity_intervention_returns_rows_unchanged(chain, mixed):
    for df, synth, column in [(*chain, "x"), (*chain, "m"), (*mixed, "s")]:
        rows = df.sample(500, random_state=0)
        same = synth.counterfactual(rows, {column: lambda v: v}, random_state=0)
        pd.testing.assert_frame_equal(same, rows)


def test_output_is_aligned_and_non_descendants_are_untouched(chain):
    df, synth = chain
    rows = df.iloc[100:400][["y", "x", "m"]]  # another column order, a non-default index
    out = synth.counterfactual(rows, {"m": 0.5}, random_state=0)
    assert list(out.columns) == ["y", "x", "m"] and out.index.equals(rows.index)
    assert (out.dtypes == rows.dtypes).all()
    assert (out["x"] == rows["x"]).all()  # an ancestor of m, exactly
    assert (out["m"] == 0.5).all()
    assert not np.allclose(out["y"], rows["y"])


def test_counterfactual_matches_the_additive_noise_truth(chain):
    df, synth = chain
    rows = df.head(2000)
    e_m = rows["m"] - 0.8 * rows["x"]
    e_y = rows["y"] - 1.5 * rows["m"] + 0.5 * rows["x"]
    out = synth.counterfactual(rows, {"x": 1.0}, random_state=0)
    true_m = 0.8 + e_m
    true_y = 1.5 * true_m - 0.5 + e_y
    assert _rmse(out["m"], true_m, df["m"].std()) < 0.1
    assert _rmse(out["y"], true_y, df["y"].std()) < 0.15
    # the rank-preserving answer beats ignoring the unit: a fresh interventional draw
    fresh = synth.intervene({"x": 1.0}, len(rows), random_state=0)
    assert _rmse(out["m"], true_m, 1) < 0.5 * _rmse(fresh["m"], true_m, 1)


def test_counterfactual_on_categorical_parent(mixed):
    df, synth = mixed
    rows = df.head(2000)
    flipped = np.where(rows["s"] == "a", "b", "a")
    out = synth.counterfactual(rows, {"s": lambda v: np.where(v == "a", "b", "a")},
                               random_state=0)
    assert (out["s"].astype(str) == flipped).all()
    # m = s + e_m: each unit's m moves by exactly +-1
    true_m = rows["m"] + np.where(rows["s"] == "a", 1.0, -1.0)
    assert _rmse(out["m"], true_m, df["m"].std()) < 0.15
    # y is binary: moving s from a to b raises P(y = hi); no unit should go the other way
    up = (rows["s"] == "a").to_numpy()
    assert ((out["y"] == "hi") | (rows["y"] != "hi"))[up].mean() > 0.95


def test_debiased_counterfactual_removes_the_direct_dependence(chain):
    df, synth = chain
    rows = df.head(3000)
    fair = synth.debias(remove_edges=[("x", "y")])
    out = fair.counterfactual(rows, random_state=0)
    assert (out["x"] == rows["x"]).all() and (out["m"] == rows["m"]).all()
    # truth: y = 1.5 m - 0.5 x' + e_y with x' independent of the row, so y - 1.5 m is
    # independent of x; in the data it is -0.5 x + e_y (correlation about -0.7)
    resid_real = rows["y"] - 1.5 * rows["m"]
    resid = out["y"] - 1.5 * out["m"]
    assert resid_real.corr(rows["x"]) < -0.5
    # the abducted noise of y is its rank under the *learned* mechanism, which captures
    # the partial effect of x only approximately, so a little dependence remains
    assert abs(resid.corr(rows["x"])) < 0.2


def test_counterfactual_errors(chain):
    df, synth = chain
    with pytest.raises(ValueError, match="needs interventions"):
        synth.counterfactual(df.head(3))
    with pytest.raises(DataValidationError, match="'extra'"):
        synth.counterfactual(df.head(3).assign(extra=1), {"x": 0.0})
    with pytest.raises(DataValidationError, match="'nope'"):
        synth.counterfactual(df.head(3), {"nope": 0.0})
    with pytest.raises(DataValidationError, match=r"lacks the fitted columns \['y'\]"):
        synth.counterfactual(df.head(3).drop(columns="y"), {"x": 0.0})


def test_a_spike_is_spread_over_the_quantiles_it_occupies():
    # x is 40 for 60% of group F and 30% of group M, else spread over 20..60: mapping
    # F's rows to M must give M's distribution; placing every tied 40 at the middle of
    # its quantiles (no randomized PIT) sent the whole spike to one value (KS .15)
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(0)
    n = 4000
    s = rng.choice(["F", "M"], n)
    spike = rng.random(n) < np.where(s == "F", 0.6, 0.3)
    df = pd.DataFrame({"s": s, "x": np.where(spike, 40.0, rng.uniform(20, 60, n).round(1))})
    model = CCGMSynthesizer(epochs=40, hidden_size=32, random_state=0)
    model.fit(df, graph=[("s", "x")])
    women = df[df["s"] == "F"]
    cf = model.counterfactual(women, {"s": "M"}, random_state=0)
    men = df.loc[df["s"] == "M", "x"]
    # two samples of about 2,000 rows: KS critical value at 1% is about .05
    assert ks_2samp(cf["x"], men).statistic < 0.06
    assert cf["x"].isin(df["x"]).all()  # training values, ties included

"""Tests for ``debiasgen.evaluation.fidelity.fidelity_report`` against known answers.

Identical tables (every distance 0), a shifted numeric column (KS as scipy computes
it), independently permuted columns (synthetic associations vanish, so the difference
is the real association), hand-counted categorical shares (total variation), designs
with exactly known Cramér's V and correlation ratio, and detection AUCs of
indistinguishable and separable tables.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from scipy.stats.contingency import association

from debiasgen.evaluation.fidelity import FidelityReport, fidelity_report

matplotlib.use("Agg")

N = 1000


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    c = np.where(x + rng.normal(size=n) > 0, "hi", "lo")
    d = np.where(rng.random(n) < 0.8, c, "other")
    z = rng.exponential(size=n)
    z[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "c": pd.Categorical(c),
            "d": d,
            "flag": rng.random(n) < 0.3,
            "z": z,
        }
    )


def null_auc_tolerance(n_per_class: int, folds: int = 5) -> float:
    """Three standard deviations of one fold's AUC when the classes are identical
    (Mann-Whitney: var = (n1 + n2 + 1) / (12 n1 n2)); the 5-fold mean varies less."""
    m = n_per_class / folds
    return 3 * np.sqrt((2 * m + 1) / (12 * m * m))


pytestmark = pytest.mark.usefixtures("one_openmp_thread", "close_figures")


@pytest.fixture(scope="module")
def real():
    return frame(N, 0)


@pytest.fixture(scope="module")
def identical(real):
    return fidelity_report(real, real.copy())


def test_identical_data_has_zero_distances(identical, real):
    assert isinstance(identical, FidelityReport)
    cols = identical.columns.loc["synthetic"]
    assert list(cols.index) == list(real.columns)
    assert cols["kind"].to_dict() == {
        "x": "numeric",
        "y": "numeric",
        "c": "categorical",
        "d": "categorical",
        "flag": "categorical",
        "z": "numeric",
    }
    assert cols["statistic"].tolist() == ["ks", "ks", "tv", "tv", "tv", "ks"]
    assert (cols["distance"] == 0).all()
    assert cols.loc["z", "missing_rate_real"] == pytest.approx(real["z"].isna().mean())
    assert (cols["missing_rate_real"] == cols["missing_rate_synthetic"]).all()
    assert len(identical.pairs) == 6 * 5 // 2
    assert identical.pairs["abs_difference"].max() == pytest.approx(0.0, abs=1e-12)
    summary = identical.summary.loc["synthetic"]
    assert summary["mean_column_distance"] == 0.0
    assert summary["mean_association_difference"] == pytest.approx(0.0, abs=1e-12)
    assert summary["max_missing_rate_difference"] == 0.0
    assert abs(summary["detection_auc"] - 0.5) <= null_auc_tolerance(N)


def test_same_distribution_is_hard_to_detect(real):
    other = frame(N, 1)
    rep = fidelity_report(real, {"fresh": other, "copy": real})
    assert abs(rep.summary.loc["fresh", "detection_auc"] - 0.5) <= null_auc_tolerance(N)
    assert abs(rep.summary.loc["copy", "detection_auc"] - 0.5) <= null_auc_tolerance(N)


def test_shifted_column_gives_scipys_ks_and_is_detected(real):
    shifted = real.assign(x=real["x"] + 0.5)
    far = real.assign(x=real["x"] + 10.0)
    rep = fidelity_report(real, {"shifted": shifted, "far": far}, detection_rows=400)
    expected = ks_2samp(real["x"], shifted["x"]).statistic
    assert rep.columns.loc[("shifted", "x"), "distance"] == pytest.approx(expected)
    assert rep.columns.loc[("far", "x"), "distance"] == pytest.approx(1.0)
    others = rep.columns.loc["shifted"].drop(index="x")
    assert (others["distance"] == 0).all()
    # Pearson correlation and eta do not change when a column is shifted.
    assert rep.pairs.loc["shifted", "abs_difference"].max() == pytest.approx(0.0, abs=1e-12)
    assert rep.summary.loc["far", "detection_auc"] > 0.95
    assert rep.summary.loc["shifted", "max_column_distance"] == pytest.approx(expected)


def test_independent_columns_lose_the_real_association(real):
    rng = np.random.default_rng(5)
    independent = real.apply(lambda col: col.to_numpy()[rng.permutation(len(col))])
    independent["c"] = independent["c"].astype("category")
    rep = fidelity_report(real, independent, detection_rows=200)
    pairs = rep.pairs.loc["synthetic"]
    r_xy = np.corrcoef(real["x"], real["y"])[0, 1]
    assert pairs.loc[("x", "y"), "measure"] == "pearson"
    assert pairs.loc[("x", "y"), "association_real"] == pytest.approx(r_xy)
    # A sample correlation of independent columns has standard error about 1/sqrt(N).
    tol = 4 / np.sqrt(N)
    assert abs(pairs.loc[("x", "y"), "association_synthetic"]) < tol
    assert pairs.loc[("x", "y"), "abs_difference"] == pytest.approx(abs(r_xy), abs=tol)
    assert pairs.loc[("x", "c"), "measure"] == "eta"
    assert pairs.loc[("c", "d"), "measure"] == "cramers_v"
    assert pairs.loc[("c", "d"), "abs_difference"] == pytest.approx(
        pairs.loc[("c", "d"), "association_real"], abs=tol
    )
    # Marginals are untouched by a permutation.
    assert (rep.columns["distance"] == 0).all()


def test_pearson_keeps_its_sign(real):
    rep = fidelity_report(real, real.assign(y=-real["y"]), detection_rows=50)
    r_xy = np.corrcoef(real["x"], real["y"])[0, 1]
    pair = rep.pairs.loc[("synthetic", "x", "y")]
    assert pair["association_synthetic"] == pytest.approx(-r_xy)
    assert pair["abs_difference"] == pytest.approx(2 * r_xy)


def test_total_variation_counts_missing_as_a_category():
    real = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50, "x": np.arange(100.0)})
    skewed = real.assign(c=["a"] * 80 + ["b"] * 20)
    gappy = real.assign(c=["a"] * 50 + ["b"] * 40 + [None] * 10)
    rep = fidelity_report(real, {"skewed": skewed, "gappy": gappy}, detection_rows=50)
    assert rep.columns.loc[("skewed", "c"), "distance"] == pytest.approx(0.3)
    assert rep.columns.loc[("gappy", "c"), "distance"] == pytest.approx(0.1)
    assert rep.columns.loc[("gappy", "c"), "missing_rate_synthetic"] == pytest.approx(0.1)
    assert rep.summary.loc["gappy", "max_missing_rate_difference"] == pytest.approx(0.1)
    assert rep.summary.loc["skewed", "mean_column_distance"] == pytest.approx(0.15)


def test_association_measures_on_known_designs():
    g = np.repeat(["a", "b", "c"], 40)
    balanced = np.tile(["u", "v", "w", "t"], 30)  # every (g, h) cell has 10 rows
    values = np.tile([1.0, 2.0, 3.0, 4.0], 30)  # same values in every group of g
    real = pd.DataFrame({"g": g, "h": g, "x": np.repeat([0.0, 1.0, 5.0], 40)})
    synth = pd.DataFrame({"g": g, "h": balanced, "x": values})
    rep = fidelity_report(real, synth, detection_rows=50)
    pairs = rep.pairs.loc["synthetic"]
    assert pairs.loc[("g", "h"), "association_real"] == pytest.approx(1.0)  # V of a copy
    assert pairs.loc[("g", "h"), "association_synthetic"] == pytest.approx(0.0, abs=1e-12)
    assert pairs.loc[("g", "x"), "association_real"] == pytest.approx(1.0)  # eta: x = f(g)
    assert pairs.loc[("g", "x"), "association_synthetic"] == pytest.approx(0.0, abs=1e-12)
    assert pairs.loc[("g", "h"), "abs_difference"] == pytest.approx(1.0)


def test_cramers_v_matches_scipy(real):
    rep = fidelity_report(real, frame(N, 2), detection_rows=50)
    got = rep.pairs.loc[("synthetic", "c", "d"), "association_real"]
    table = pd.crosstab(real["c"], real["d"]).to_numpy()
    assert got == pytest.approx(association(table, method="cramer", correction=False))


def test_several_datasets_markdown_and_plot(real):
    rep = fidelity_report(real, {"one": frame(300, 3), "two": frame(300, 4)}, detection_rows=100)
    assert list(rep.summary.index) == ["one", "two"]
    assert rep.summary.index.name == "dataset"
    assert rep.columns.index.names == ["dataset", "column"]
    assert rep.pairs.index.names == ["dataset", "column_a", "column_b"]
    text = rep.to_markdown()
    assert "| one |" in text and "| two |" in text
    fig = rep.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 3  # distance bars, heatmap, colour bar


def test_column_sets_must_match(real):
    with pytest.raises(ValueError, match=r"missing \['z'\], extra \['w'\]"):
        fidelity_report(real, real.drop(columns="z").assign(w=1.0))


def test_empty_frames(real):
    with pytest.raises(ValueError, match="real has no rows"):
        fidelity_report(real.iloc[:0], real)
    with pytest.raises(ValueError, match="dataset 'synthetic' has no rows"):
        fidelity_report(real, real.iloc[:0])
    with pytest.raises(ValueError, match="synthetic is empty"):
        fidelity_report(real, {})


def test_argument_types(real):
    with pytest.raises(TypeError, match="real must be a pandas DataFrame"):
        fidelity_report(real.to_numpy(), real)
    with pytest.raises(TypeError, match="column 'x' is numeric in the real data"):
        fidelity_report(real, real.assign(x=real["x"].astype(str)))
    with pytest.raises(ValueError, match="detection_rows"):
        fidelity_report(real, real, detection_rows=1)

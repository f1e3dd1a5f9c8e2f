"""Tests for ``debiasgen.fairness.report.fairness_report`` against known answers.

Small tables where the truth is known by construction: a label that equals the
sensitive attribute (every group metric at its extreme), a label independent of it
(group gaps within sampling error), estimators that ignore or use only the sensitive
column (FTU exactly 0, or the probability gap computed here independently), and
hand-counted group outcome rates.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from debiasgen.fairness.report import FairnessReport, fairness_report

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

N = 800


def table(n: int, seed: int, groups=("a", "b")) -> pd.DataFrame:
    """Label depends on x only; s is independent of both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "s": rng.choice(list(groups), n),
            "x": x,
            "y": np.where(x + rng.normal(scale=0.5, size=n) > 0, "yes", "no"),
        }
    )


def only(columns) -> Pipeline:
    """Logistic regression on the one-hot encoded ``columns`` only."""
    encode = ColumnTransformer([("keep", OneHotEncoder(), list(columns))], remainder="drop")
    return Pipeline([("encode", encode), ("model", LogisticRegression())])


def without_s() -> Pipeline:
    encode = ColumnTransformer([("x", "passthrough", ["x"])], remainder="drop")
    return Pipeline([("encode", encode), ("model", LogisticRegression())])


pytestmark = pytest.mark.usefixtures("one_openmp_thread", "close_figures")


@pytest.fixture(scope="module")
def data():
    train, test = table(N, 0), table(N, 1)
    biased = train.assign(y=np.where(train["s"] == "b", "yes", "no"))
    shuffled = train.assign(y=np.random.default_rng(2).permutation(train["y"].to_numpy()))
    return train, test, {"biased": biased, "shuffled": shuffled}


@pytest.fixture(scope="module")
def report(data):
    train, test, synthetic = data
    return fairness_report(train, test, synthetic, target="y", sensitive="s")


def test_tables_have_the_documented_shape(report):
    assert isinstance(report, FairnessReport)
    assert report.metrics.index.name == "dataset"
    assert report.metrics.columns.name == "metric"
    assert list(report.metrics.index) == ["real", "biased", "shuffled"]
    assert list(report.metrics.columns) == [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "auroc",
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
        "equal_opportunity_difference",
        "ftu",
        "positive_rate",
    ]
    assert report.by_group.index.names == ["dataset", "group"]
    assert list(report.by_group.columns) == [
        "selection_rate",
        "true_positive_rate",
        "false_positive_rate",
        "error_rate",
        "count",
    ]
    assert report.data_level.index.names == ["dataset", "group"]
    assert report.positive == "yes"


def test_label_equal_to_sensitive_gives_extreme_gaps(report, data):
    _, test, _ = data
    m = report.metrics.loc["biased"]
    # The classifier predicts yes exactly for s == "b": selection rates 0 and 1,
    # true positive rates 0 and 1.
    assert m["demographic_parity_difference"] == pytest.approx(1.0)
    assert m["demographic_parity_ratio"] == pytest.approx(0.0)
    assert m["equalized_odds_difference"] == pytest.approx(1.0)
    assert m["equal_opportunity_difference"] == pytest.approx(1.0)
    assert m["positive_rate"] == pytest.approx((test["s"] == "b").mean())
    assert m["ftu"] > 0.9
    groups = report.by_group.loc["biased"]
    assert groups.loc["a", "selection_rate"] == 0.0 and groups.loc["b", "selection_rate"] == 1.0
    assert groups["count"].sum() == len(test)
    assert groups.loc["a", "count"] == (test["s"] == "a").sum()


def test_label_independent_of_sensitive_gives_small_gaps(report):
    # Selection-rate difference between two groups of about N/2 rows: standard error
    # at most sqrt(0.25 * (2/N + 2/N)) = 1/sqrt(N); allow 4 standard errors.
    tol = 4 / np.sqrt(N)
    for name in ["real", "shuffled"]:
        assert report.metrics.loc[name, "demographic_parity_difference"] < tol
    assert report.metrics.loc["real", "auroc"] > 0.85  # x carries the label
    assert abs(report.metrics.loc["shuffled", "auroc"] - 0.5) < 0.15


def test_data_level_rates_and_gap(report, data):
    train, _, synthetic = data
    level = report.data_level
    assert level.loc[("biased", "a"), "outcome_rate"] == 0.0
    assert level.loc[("biased", "b"), "outcome_rate"] == 1.0
    assert level.loc[("biased", "a"), "gap"] == 1.0
    expected = train.groupby("s")["y"].apply(lambda v: (v == "yes").mean())
    assert level.loc["real", "outcome_rate"].to_dict() == pytest.approx(expected.to_dict())
    assert report.data_gap["real"] == pytest.approx(expected.max() - expected.min())


def test_data_level_hand_counted():
    s = ["a"] * 100 + ["b"] * 100
    y = ["yes"] * 20 + ["no"] * 80 + ["yes"] * 60 + ["no"] * 40
    train = pd.DataFrame({"s": s, "x": np.arange(200.0), "y": y})
    rep = fairness_report(train, train, target="y", sensitive="s", estimator=without_s())
    level = rep.data_level.loc["real"]
    assert level["outcome_rate"].tolist() == pytest.approx([0.2, 0.6])
    assert level["count"].tolist() == [100, 100]
    assert level["gap"].tolist() == pytest.approx([0.4, 0.4])
    flipped = fairness_report(
        train, train, target="y", sensitive="s", positive="no", estimator=without_s()
    )
    assert flipped.data_level.loc["real", "outcome_rate"].tolist() == pytest.approx([0.8, 0.4])


def test_classifier_metrics_match_sklearn(data):
    train, test, _ = data
    rep = fairness_report(train, test, target="y", sensitive="s", estimator=without_s())
    model = clone(without_s()).fit(train[["s", "x"]], (train["y"] == "yes").astype(int))
    y_test = (test["y"] == "yes").astype(int)
    proba = model.predict_proba(test[["s", "x"]])[:, 1]
    assert rep.metrics.loc["real", "accuracy"] == pytest.approx(
        accuracy_score(y_test, model.predict(test[["s", "x"]]))
    )
    assert rep.metrics.loc["real", "auroc"] == pytest.approx(roc_auc_score(y_test, proba))


def test_ftu_is_zero_for_an_estimator_that_ignores_the_sensitive_column(data):
    train, test, synthetic = data
    rep = fairness_report(train, test, synthetic, target="y", sensitive="s", estimator=without_s())
    assert (rep.metrics["ftu"] == 0.0).all()


def test_ftu_equals_the_probability_gap_for_an_estimator_of_s_only(data):
    train, test, synthetic = data
    rep = fairness_report(train, test, synthetic, target="y", sensitive="s", estimator=only(["s"]))
    biased = synthetic["biased"]
    model = only(["s"]).fit(biased[["s", "x"]], (biased["y"] == "yes").astype(int))
    p = model.predict_proba(pd.DataFrame({"s": ["a", "b"], "x": [0.0, 0.0]}))[:, 1]
    assert rep.metrics.loc["biased", "ftu"] == pytest.approx(abs(p[1] - p[0]), rel=1e-6)
    assert rep.metrics.loc["biased", "ftu"] > 0.5
    assert rep.metrics.loc["real", "ftu"] < rep.metrics.loc["biased", "ftu"] / 5


def test_ftu_with_three_groups_averages_over_the_other_groups():
    rng = np.random.default_rng(3)
    n = 900
    s = rng.choice(["a", "b", "c"], n)
    rate = pd.Series({"a": 0.2, "b": 0.5, "c": 0.8})
    train = pd.DataFrame({"s": s, "x": rng.normal(size=n), "y": rng.random(n) < rate[s].to_numpy()})
    test = table(n, 4, groups=("a", "b", "c")).assign(y=lambda d: d["y"] == "yes")
    rep = fairness_report(train, test, target="y", sensitive="s", estimator=only(["s"]))
    assert rep.positive is True or rep.positive == 1
    model = only(["s"]).fit(train[["s", "x"]], train["y"].astype(int))
    p = pd.Series(
        model.predict_proba(pd.DataFrame({"s": ["a", "b", "c"], "x": 0.0}))[:, 1],
        index=["a", "b", "c"],
    )
    per_group = {g: np.mean([abs(p[h] - p[g]) for h in p.index if h != g]) for g in p.index}
    expected = test["s"].map(per_group).mean()
    assert rep.metrics.loc["real", "ftu"] == pytest.approx(expected, rel=1e-6)


def test_several_sensitive_columns():
    train, test = table(N, 5), table(N, 6)
    train["s2"] = np.random.default_rng(7).choice(["u", "v"], N)
    test["s2"] = np.random.default_rng(8).choice(["u", "v"], N)
    train = train.assign(y=np.where(train["s"] == "b", "yes", "no"))
    one = fairness_report(train, test, target="y", sensitive="s", estimator=only(["s"]))
    two = fairness_report(train, test, target="y", sensitive=["s", "s2"], estimator=only(["s"]))
    # s2 is ignored by the estimator, so flipping it changes nothing: the mean halves.
    assert two.metrics.loc["real", "ftu"] == pytest.approx(one.metrics.loc["real", "ftu"] / 2)
    assert set(two.by_group.loc["real"].index) == {"a, u", "a, v", "b, u", "b, v"}
    assert two.metrics.loc["real", "demographic_parity_difference"] == pytest.approx(1.0)


def test_default_positive_is_last_category():
    train = table(300, 9)
    train["y"] = pd.Categorical(
        np.where(train["y"] == "yes", ">50K", "<=50K"), categories=["<=50K", ">50K"]
    )
    rep = fairness_report(train, train, target="y", sensitive="s", estimator=without_s())
    assert rep.positive == ">50K"
    assert rep.data_level.loc["real", "count"].sum() == 300


def test_undefined_group_rates_warn():
    train = table(300, 10)
    test = train.assign(y=np.where(train["s"] == "a", "no", train["y"]))
    with pytest.warns(UserWarning, match="without positive labels"):
        fairness_report(train, test, target="y", sensitive="s", estimator=without_s())


def test_markdown_html_plot_and_save(report, tmp_path):
    text = report.to_markdown()
    for name in ["real", "biased", "shuffled"]:
        assert f"| {name} |" in text
    assert "unbiased" not in text.lower() and "data is fair" not in text.lower()
    assert "<table" in report.to_html()
    fig = report.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 1
    fig2, ax = plt.subplots()
    assert report.plot(ax=ax) is fig2
    md = report.save(tmp_path / "report.md")
    assert md.read_text().startswith("# Fairness report")
    assert (tmp_path / "report.png").stat().st_size > 0
    report.save(tmp_path / "other.html")
    assert "<h1>" in (tmp_path / "other.html").read_text()
    with pytest.raises(ValueError, match=r"\.md or \.html"):
        report.save(tmp_path / "report.txt")


@pytest.fixture(scope="module")
def small():
    return table(200, 11), table(200, 12)


def test_missing_target_or_sensitive_names_the_dataset(small):
    train, test = small
    with pytest.raises(ValueError, match="target column 'y' is missing from dataset 'syn'"):
        fairness_report(train, test, {"syn": train.drop(columns="y")}, target="y", sensitive="s")
    with pytest.raises(ValueError, match="sensitive column 's' is missing from dataset 'test'"):
        fairness_report(train, test.drop(columns="s"), target="y", sensitive="s")


def test_non_binary_target(small):
    train, test = small
    train = train.assign(y=np.where(train["x"] > 1, "maybe", train["y"]))
    with pytest.raises(ValueError, match="only binary targets are supported: binarise"):
        fairness_report(train, test, target="y", sensitive="s")


def test_positive_label_must_occur(small):
    train, test = small
    with pytest.raises(ValueError, match="positive label 'Yes' does not occur in target 'y'"):
        fairness_report(train, test, target="y", sensitive="s", positive="Yes")


def test_one_class_dataset(small):
    train, test = small
    with pytest.raises(ValueError, match="one class only .* in dataset 'flat'"):
        fairness_report(train, test, {"flat": train.assign(y="no")}, target="y", sensitive="s")


def test_nothing_to_compare(small):
    train, test = small
    with pytest.raises(ValueError, match="nothing to compare"):
        fairness_report(train, test, {}, target="y", sensitive="s", include_real=False)


def test_argument_types(small):
    train, test = small
    with pytest.raises(TypeError, match="sensitive must be a column name"):
        fairness_report(train, test, target="y", sensitive=3)
    with pytest.raises(TypeError, match="test must be a pandas DataFrame"):
        fairness_report(train, test.to_numpy(), target="y", sensitive="s")
    with pytest.raises(ValueError, match="named 'real'"):
        fairness_report(train, test, {"real": train}, target="y", sensitive="s")

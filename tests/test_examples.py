"""The examples run end to end (small settings), so none can rot.

Each example's ``main(argv)`` prints its tables for people and returns them as data;
these tests check the returned numbers and frames against what must hold, never the
printed text.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from debiasgen.datasets import adult_graph, make_scm

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytestmark = pytest.mark.usefixtures("one_openmp_thread")


def load_example(name: str):
    module_name = f"debiasgen_example_{name}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    # registered first, as importlib's recipe does: dataclasses look their module up
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo on 3,000 rows and 2 epochs, run once for the tests that read it."""
    demo = load_example("demo_adult")
    out = tmp_path_factory.mktemp("demo_output")
    with threadpool_limits(limits=1, user_api="openmp"):  # as one_openmp_thread does
        result = demo.main(["--rows", "3000", "--epochs", "2", "--out", str(out), "--quiet"])
    return demo, result, out


def test_demo_returns_its_tables_and_writes_its_report(demo_run):
    _, result, out = demo_run
    datasets = ["real", "synthetic", "ftu", "dp"]
    assert result.n_train + result.n_test == 3000 and result.n_test == 600

    rates = result.income_by_sex
    assert list(rates.columns) == datasets
    shares = rates.loc[["Female", "Male"]].to_numpy(dtype=float)
    assert np.all((shares >= 0) & (shares <= 1))
    gap = rates.loc["Male"] - rates.loc["Female"]
    np.testing.assert_allclose(rates.loc["gap (Male - Female)"], gap, rtol=0, atol=1e-12)

    # ftu removes exactly the direct edge; dp removes it and more (edges from sex's
    # descendants into income)
    assert result.removed_edges["ftu"] == [("sex", "income")]
    assert ("sex", "income") in result.removed_edges["dp"]
    assert len(result.removed_edges["dp"]) > 1
    descendants = set(adult_graph().descendants("sex")) | {"sex"}
    assert all(parent in descendants for parent, child in result.removed_edges["dp"]
               if child == "income")

    metrics = result.metrics
    assert list(metrics.index) == datasets
    assert list(metrics.columns) == [
        "auroc", "f1", "recall", "demographic_parity_difference",
        "equalized_odds_difference", "ftu",
    ]
    values = metrics.to_numpy(dtype=float)
    assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    pd.testing.assert_frame_equal(metrics, result.report.metrics[list(metrics.columns)])

    assert result.written == [out / "fairness.md", out / "fairness.png"]
    assert all(path.stat().st_size > 0 for path in result.written)
    assert (out / "fairness.png").stat().st_size > 1000
    assert (out / "fairness.md").read_text(encoding="utf-8") == result.report.to_markdown()


def test_demo_writes_the_markdown_report_without_matplotlib(demo_run, tmp_path, monkeypatch):
    # matplotlib is the optional "plot" extra; the README's demo runs without it
    demo, result, _ = demo_run
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    written = demo.write_report(result.report, tmp_path / "out")
    assert written == [tmp_path / "out" / "fairness.md"]
    assert written[0].read_text(encoding="utf-8") == result.report.to_markdown()
    assert not (tmp_path / "out" / "fairness.png").exists()


def test_pipeline_gridsearch_example():
    example = load_example("pipeline_gridsearch")
    result = example.main(["--rows", "800", "--epochs", "1", "2", "--max-iter", "5",
                           "--cv", "2"])
    assert result.n_train + result.n_test == 800
    assert result.best_params["estimator__max_iter"] == 5
    assert result.best_params["synthesizer__epochs"] in (1, 2)
    assert set(result.best_params) == {"estimator__max_iter", "synthesizer__epochs"}

    # one row per combination of the grid; the best one ranks first
    cv = result.cv_results
    assert len(cv) == 2
    best = cv.loc[cv["rank_test_score"] == 1].iloc[0]
    assert best["param_synthesizer__epochs"] == result.best_params["synthesizer__epochs"]
    assert cv["mean_test_score"].between(0, 1).all()

    assert ("sex", "income") in result.removed_edges  # the dp edge set
    table = result.table
    assert list(table.index) == ["trained on real rows", "DebiasedClassifier (dp)"]
    assert list(table.columns) == ["accuracy", "f1", "demographic_parity_difference"]
    values = table.to_numpy(dtype=float)
    assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))


def test_counterfactuals_example():
    example = load_example("counterfactuals")
    result = example.main(["--rows", "1500", "--epochs", "2", "--show", "2", "--quiet"])

    # the people shown: women, each with a counterfactual "had sex been Male"
    assert len(result.people) == 2 and (result.people["sex"] == "Female").all()
    for counterfactual in (result.had_male, result.fair_had_male):
        assert list(counterfactual.index) == list(result.people.index)
        assert (counterfactual["sex"] == "Male").all()
    # columns that sex does not cause keep their observed values, exactly (columns
    # missing from the literature graph are fitted as children of all its nodes)
    graph = adult_graph()
    kept = [c for c in graph.nodes if c != "sex" and c not in graph.descendants("sex")]
    assert set(kept) == {"age", "race", "native-country"}
    pd.testing.assert_frame_equal(result.had_male[kept], result.people[kept])

    shares = result.shares
    assert list(shares.index) == [
        "observed", "had sex been Male", "de-biased model (dp), sex as observed",
        "de-biased model (dp), had sex been Male",
    ]
    assert shares.between(0, 1).all()
    n = result.n_women
    assert 0 < n < 1500
    # the observed share is a share of whole women
    assert math.isclose(shares["observed"] * n, round(shares["observed"] * n), abs_tol=1e-9)
    # Under "dp" income does not depend on sex along any path, so flipping sex moves
    # the share only by noise: two shares over n women, SD <= sqrt(2 * 0.25 / n); 4 SD.
    flip = shares["de-biased model (dp), had sex been Male"]
    assert abs(flip - shares["de-biased model (dp), sex as observed"]) < 4 * (0.5 / n) ** 0.5


def test_discovery_example():
    example = load_example("discovery")
    result = example.main(["--nodes", "5", "--rows", "1500", "--epochs", "2"])
    truth = make_scm("linear", 5, random_state=3)  # the example's model
    assert result.n_true == len(truth.graph.edges)

    counts = result.counts
    assert set(counts) <= {"correct", "reversed", "extra", "missing"}
    assert counts == result.edges["status"].value_counts().to_dict()
    # every true edge is found, reversed or missing; every found edge is classified
    assert sum(counts.get(k, 0) for k in ("correct", "reversed", "missing")) == result.n_true
    assert sum(counts.get(k, 0) for k in ("correct", "reversed", "extra")) == result.n_found
    # only discovered edges have an origin, and it is one of the three
    found = result.edges[result.edges["status"] != "missing"]
    assert found["origin"].isin(["data", "background", "rule"]).all()

    # do(X = 1) on the column with the most descendants: exact vs both fitted models
    column = result.intervened
    assert len(truth.graph.descendants(column)) == max(
        len(truth.graph.descendants(c)) for c in truth.columns
    )
    means = result.means
    assert list(means.columns) == ["exact", "discovered graph", "true graph"]
    assert set(means.index) == set(truth.columns)
    pd.testing.assert_series_equal(
        means["exact"], truth.interventional_mean({column: 1.0}), check_names=False
    )
    assert means.loc[column].tolist() == pytest.approx([1.0, 1.0, 1.0])  # do() sets it
    assert list(result.error.index) == ["discovered graph", "true graph"]
    assert np.all(np.isfinite(result.error)) and (result.error >= 0).all()

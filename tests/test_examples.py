"""The examples run end to end (small settings), so none can rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO = EXAMPLES / "demo_adult.py"

pytestmark = pytest.mark.usefixtures("one_openmp_thread")


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_runs_and_writes_its_report(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("demo_adult", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.main(["--rows", "3000", "--epochs", "2", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert "Share of >50K incomes by sex" in out and "sex -> income" in out
    assert "demographic_parity_difference" in out
    report = (tmp_path / "fairness.md").read_text()
    for name in ("real", "synthetic", "ftu", "dp"):
        assert name in report
    assert (tmp_path / "fairness.png").stat().st_size > 1000


def test_pipeline_gridsearch_example(capsys):
    example = load_example("pipeline_gridsearch")
    example.main(["--rows", "800", "--epochs", "1", "2", "--max-iter", "5", "--cv", "2"])
    out = capsys.readouterr().out
    assert "best: {'estimator__max_iter': 5, 'synthesizer__epochs':" in out
    assert "sex -> income" in out
    assert "DebiasedClassifier (dp)" in out and "demographic_parity_difference" in out


def test_counterfactuals_example(capsys):
    example = load_example("counterfactuals")
    example.main(["--rows", "1500", "--epochs", "2", "--show", "2", "--quiet"])
    out = capsys.readouterr().out
    assert "had sex=Male" in out and "Male *" in out  # sex itself always changes
    shares = {}
    for line in out.splitlines()[-4:]:
        label, value = line.rsplit(maxsplit=1)
        shares[label.strip()] = float(value)
    assert set(shares) == {
        "observed", "had sex been Male", "de-biased model (dp), sex as observed",
        "de-biased model (dp), had sex been Male",
    }
    assert all(0 <= v <= 1 for v in shares.values())
    # Under "dp" income does not depend on sex along any path, so flipping sex moves
    # the share only by noise: two shares over n women, SD <= sqrt(2 * 0.25 / n); 4 SD.
    n = int(out.split("Share of the ")[1].split(" women")[0].replace(",", ""))
    flip = shares["de-biased model (dp), had sex been Male"]
    assert abs(flip - shares["de-biased model (dp), sex as observed"]) < 4 * (0.5 / n) ** 0.5


def test_discovery_example(capsys):
    example = load_example("discovery")
    example.main(["--nodes", "5", "--rows", "1500", "--epochs", "2"])
    out = capsys.readouterr().out
    n_true = int(out.split("true graph: ")[1].split(" edges")[0])
    n_found = int(out.split("discovered: ")[1].split(" edges")[0])
    summary = dict(
        item.rsplit(" ", 1) for item in
        out.split("summary: ")[1].splitlines()[0].split(", ")
    )
    counts = {k: int(v) for k, v in summary.items()}
    # every true edge is found, reversed or missing; every found edge is classified
    assert sum(counts.get(k, 0) for k in ("correct", "reversed", "missing")) == n_true
    assert sum(counts.get(k, 0) for k in ("correct", "reversed", "extra")) == n_found
    assert "Mean of each column under do(" in out
    assert "mean absolute error: discovered graph" in out

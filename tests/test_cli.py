"""The debiasgen command line, called through main([...]) on tiny tables."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from debiasgen.integrations.cli import main
from debiasgen.model.synthesizer import CCGMSynthesizer

pytestmark = pytest.mark.usefixtures("one_openmp_thread")


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.choice(["a", "b"], n)
    k = rng.integers(0, 4, n)
    x = rng.normal(size=n) + k
    y = np.where(x + 1.5 * (s == "a") + rng.normal(size=n) > 2.0, "yes", "no")
    return pd.DataFrame({"s": s, "k": k, "x": x, "y": y})


@pytest.fixture(scope="module")
def files(tmp_path_factory, one_openmp_thread):
    root = tmp_path_factory.mktemp("cli")
    table(400, 0).to_csv(root / "data.csv", index=False)
    pd.DataFrame({"parent": ["s", "k", "x"], "child": ["y", "x", "y"]}).to_csv(
        root / "edges.csv", index=False)
    rc = main(["fit", str(root / "data.csv"), "--graph", str(root / "edges.csv"),
               "-o", str(root / "model.dbg"), "--epochs", "3", "--quiet"])
    assert rc == 0
    return root


def test_fit_saves_a_model_with_the_given_graph(files):
    model = CCGMSynthesizer.load(files / "model.dbg")
    assert {("s", "y"), ("k", "x"), ("x", "y")} <= set(model.graph_.edges)
    assert model.epochs == 3 and model.random_state == 0


def test_fit_streams_a_parquet_table_with_a_graph(files, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    data = table(400, 0)
    data.to_parquet(tmp_path / "data.parquet", index=False, row_group_size=100)
    rc = main(["fit", str(tmp_path / "data.parquet"), "--graph", str(files / "edges.csv"),
               "-o", str(tmp_path / "m.dbg"), "--epochs", "2"])
    assert rc == 0
    assert "streaming fitting on 400 rows x 4 columns" in capsys.readouterr().err
    model = CCGMSynthesizer.load(tmp_path / "m.dbg")
    assert {("s", "y"), ("k", "x"), ("x", "y")} <= set(model.graph_.edges)
    # the streamed encoder saw every category and the exact range
    assert sorted(model.sample(300, random_state=0)["s"].unique()) == ["a", "b"]
    rc = main(["fit", str(tmp_path / "none.parquet"), "--graph", str(files / "edges.csv"),
               "-o", str(tmp_path / "m2.dbg")])
    assert rc == 1 and "none.parquet" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sample_writes_rows_like_the_data(files, tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    assert main(["sample", str(files / "model.dbg"), "-n", "57", "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["s", "k", "x", "y"] and len(frame) == 57
    assert set(frame["s"]) <= {"a", "b"} and set(frame["y"]) <= {"yes", "no"}
    assert pd.api.types.is_integer_dtype(frame["k"])


def test_intervene_parses_values_with_the_column_types(files, tmp_path):
    out = tmp_path / "do.csv"
    rc = main(["intervene", str(files / "model.dbg"), "--do", "s=b", "--do", "k=3",
               "-n", "80", "-o", str(out), "--quiet"])
    assert rc == 0
    frame = pd.read_csv(out)
    assert (frame["s"] == "b").all() and (frame["k"] == 3).all() and len(frame) == 80


@pytest.mark.parametrize(
    ("do", "match"),
    [
        ("s=c", r"'c' is not a category of column 's'.*\['a', 'b'\]"),
        ("k=2.5", "column 'k' holds integers; '2.5' is not one"),
        ("x=big", "column 'x' holds numbers"),
        ("age=30", r"unknown column 'age'.*\['s', 'k', 'x', 'y'\]"),
        ("s", "--do expects COLUMN=VALUE"),
    ],
)
def test_intervene_rejects_bad_values_in_one_line(files, tmp_path, capsys, do, match):
    rc = main(["intervene", str(files / "model.dbg"), "--do", do, "-o",
               str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("debiasgen intervene: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert re.search(match, err)


def test_debias_by_edges_saves_the_debiased_model(files, tmp_path):
    out, saved = tmp_path / "fair.csv", tmp_path / "fair.dbg"
    rc = main(["debias", str(files / "model.dbg"), "--remove", "s:y", "-n", "60",
               "-o", str(out), "--save", str(saved), "-q"])
    assert rc == 0
    assert len(pd.read_csv(out)) == 60
    assert CCGMSynthesizer.load(saved).removed_edges_ == (("s", "y"),)


def test_debias_dp_preset_makes_the_outcome_rate_equal(files, tmp_path):
    out = tmp_path / "dp.parquet"
    n = 4000
    rc = main(["debias", str(files / "model.dbg"), "--sensitive", "s", "--target", "y",
               "--criterion", "dp", "-n", str(n), "-o", str(out), "-q"])
    assert rc == 0
    frame = pd.read_parquet(out)
    rate = (frame["y"] == "yes").groupby(frame["s"]).mean()
    # y is independent of s in the de-biased model: two rates over about n/2 rows each
    # differ by a normal error with SD <= 0.5 * sqrt(4 / n); four SD.
    assert abs(rate["a"] - rate["b"]) < 4 * 0.5 * np.sqrt(4 / n)


def test_debias_needs_edges_or_a_complete_preset(files, tmp_path, capsys):
    rc = main(["debias", str(files / "model.dbg"), "--sensitive", "s", "-o",
               str(tmp_path / "o.csv")])
    assert rc == 1
    assert "missing --target, --criterion" in capsys.readouterr().err
    rc = main(["debias", str(files / "model.dbg"), "--remove", "y:s", "-o",
               str(tmp_path / "o.csv")])
    assert rc == 1
    assert "error:" in capsys.readouterr().err


def test_report_prints_and_saves_the_fairness_tables(files, tmp_path, capsys):
    synthetic = tmp_path / "synthetic.csv"
    assert main(["sample", str(files / "model.dbg"), "-n", "400", "-o", str(synthetic),
                 "-q"]) == 0
    out = tmp_path / "report.md"
    rc = main(["report", str(files / "data.csv"), str(synthetic), "--target", "y",
               "--sensitive", "s", "--out", str(out), "-q"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "demographic_parity_difference" in printed
    assert "| real" in printed and "| synthetic" in printed
    assert out.read_text() == printed.rstrip("\n")
    assert out.with_suffix(".png").stat().st_size > 1000


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_fit_discovers_a_graph(tmp_path, capsys, suffix):
    data = table(300, 1)[["s", "x", "y"]]
    if suffix == ".csv":
        data.to_csv(tmp_path / "d.csv", index=False)
    else:  # streamed: discovery reads a sample of the rows
        pytest.importorskip("pyarrow")
        data.to_parquet(tmp_path / "d.parquet", index=False, row_group_size=100)
    rc = main(["fit", str(tmp_path / f"d{suffix}"), "--discover", "--sensitive", "s",
               "--target", "y", "-o", str(tmp_path / "m.dbg"), "--epochs", "1"])
    assert rc == 0
    streaming = "streaming " if suffix == ".parquet" else ""
    assert f"{streaming}discovering a graph and fitting on 300 rows" in capsys.readouterr().err
    graph = CCGMSynthesizer.load(tmp_path / "m.dbg").graph_
    assert set(graph.nodes) == {"s", "x", "y"}
    assert graph.children("y") == () and graph.parents("s") == ()
    assert ("s", "y") in graph.edges


@pytest.mark.parametrize(
    ("argv", "code", "match"),
    [
        (["sample", "missing.dbg", "-o", "o.csv"], 1, "no such model file: 'missing.dbg'"),
        (["fit", "nope.csv", "--graph", "e.csv", "-o", "m.dbg"], 1, "no such file: 'nope.csv'"),
        (["fit", "data.txt", "--graph", "e.csv", "-o", "m.dbg"], 1, "ending in .csv, .parquet"),
        (["fit", "d.csv", "--graph", "e.csv", "--discover", "-o", "m"], 2, "not allowed with"),
        (["sample", "m.dbg", "-n", "0", "-o", "o.csv"], 2, "expected a number >= 1"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_bad_command_lines_fail_without_a_traceback(tmp_path, monkeypatch, capsys, argv,
                                                    code, match):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_fit_reports_a_graph_naming_unknown_columns(files, tmp_path, capsys):
    pd.DataFrame({"parent": ["sex"], "child": ["y"]}).to_csv(tmp_path / "e.csv", index=False)
    rc = main(["fit", str(files / "data.csv"), "--graph", str(tmp_path / "e.csv"), "-o",
               str(tmp_path / "m.dbg"), "-q"])
    assert rc == 1
    assert "sex" in capsys.readouterr().err


def test_help_explains_each_command(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("fit", "sample", "intervene", "debias", "report"):
        assert command in text
    assert main(["debias", "--help"]) == 0
    assert "'dp' removes every edge" in capsys.readouterr().out


def test_installed_entry_point_runs():
    exe = shutil.which("debiasgen") or str(Path(sys.executable).with_name("debiasgen"))
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "debiasgen intervene model.dbg --do sex=Female" in done.stdout


def test_parquet_without_pyarrow_names_it(files, tmp_path, monkeypatch, capsys):
    # sample streams Parquet through pyarrow itself: make pyarrow missing
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    rc = main(["sample", str(files / "model.dbg"), "-n", "5", "-o", str(tmp_path / "o.parquet")])
    assert rc == 1
    assert "Parquet files need pyarrow: pip install pyarrow" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sample_shows_a_progress_bar_unless_quiet(files, tmp_path, capsys, monkeypatch,
                                                  suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    import debiasgen.model.partition as partition

    monkeypatch.setattr(partition, "BLOCK_ROWS", 100)  # several blocks of rows
    out = tmp_path / f"o{suffix}"
    capsys.readouterr()
    assert main(["sample", str(files / "model.dbg"), "-n", "250", "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["sample", str(files / "model.dbg"), "-n", "250", "-o", str(out)]) == 0
    assert "sample: 100%" in capsys.readouterr().err  # the model was saved quiet

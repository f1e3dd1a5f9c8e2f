"""``debiasgen adapt``: fair data adaptation of real rows from the command line, called
through main([...]) on a tiny model (s -> x, s -> y, k -> x, x -> y)."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from debiasgen.integrations.cli import main

pytestmark = pytest.mark.usefixtures("one_openmp_thread")  # the report's classifiers

COLUMNS = ["s", "k", "x", "y"]


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.choice(["a", "b"], n)
    k = rng.integers(0, 4, n)
    x = rng.normal(size=n) + k + 1.5 * (s == "a")
    y = np.where(x + 1.5 * (s == "a") + rng.normal(size=n) > 3.0, "yes", "no")
    return pd.DataFrame({"s": s, "k": k, "x": x, "y": y})


@pytest.fixture(scope="module")
def files(tmp_path_factory, one_openmp_thread):
    root = tmp_path_factory.mktemp("cli_adapt")
    table(300, 0).to_csv(root / "data.csv", index=False)
    rows = table(80, 1)
    rows.to_csv(root / "rows.csv", index=False)
    rows.to_parquet(root / "rows.parquet", index=False)
    rows.drop(columns="y").to_csv(root / "nolabel.csv", index=False)
    rows[rows["s"] == "a"].to_csv(root / "only_a.csv", index=False)
    rows.drop(columns="s").to_csv(root / "nosens.csv", index=False)
    rows.drop(columns="k").to_csv(root / "nok.csv", index=False)
    rows.assign(zz=1).to_csv(root / "extra.csv", index=False)
    pd.DataFrame({"parent": ["s", "k", "x", "s"], "child": ["x", "x", "y", "y"]}).to_csv(
        root / "edges.csv", index=False)
    rc = main(["fit", str(root / "data.csv"), "--graph", str(root / "edges.csv"),
               "-o", str(root / "model.dbg"), "--epochs", "4", "--quiet"])
    assert rc == 0
    return root


def adapt(files, rows: str, out: Path, *extra: str) -> int:
    return main(["adapt", str(files / "model.dbg"), str(files / rows), "--sensitive", "s",
                 *extra, "-o", str(out), "-q"])


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def test_adapt_maps_rows_to_the_reference_and_keeps_its_group_exactly(files, tmp_path):
    out = tmp_path / "adapted.csv"
    assert adapt(files, "rows.csv", out, "--reference", "b") == 0
    rows, adapted = read(files / "rows.csv"), read(out)
    assert list(adapted.columns) == COLUMNS and len(adapted) == len(rows)
    assert (adapted["s"] == "b").all()
    reference = rows["s"] == "b"
    pd.testing.assert_frame_equal(adapted[reference], rows[reference], check_exact=True)
    # k is no descendant of s: kept exactly; x, a descendant, moves for the 'a' rows
    pd.testing.assert_series_equal(adapted["k"], rows["k"], check_exact=True)
    assert (adapted.loc[~reference, "x"] != rows.loc[~reference, "x"]).all()
    assert pd.api.types.is_integer_dtype(adapted["k"])


def test_adapt_reads_and_writes_parquet_like_csv(files, tmp_path):
    assert adapt(files, "rows.csv", tmp_path / "a.csv", "--reference", "b") == 0
    assert adapt(files, "rows.parquet", tmp_path / "a.parquet", "--reference", "b") == 0
    pd.testing.assert_frame_equal(read(tmp_path / "a.parquet"), read(tmp_path / "a.csv"))


def test_parquet_rows_stream_to_parquet_as_they_adapt_in_memory(files, tmp_path, capsys):
    # marginal mode: its marginal comes from the streamed file's sensitive column
    assert adapt(files, "rows.csv", tmp_path / "m.csv", "--seed", "5") == 0
    for chunk in ("7", "1000"):
        out = tmp_path / f"m{chunk}.parquet"
        assert main(["adapt", str(files / "model.dbg"), str(files / "rows.parquet"),
                     "--sensitive", "s", "--seed", "5", "--chunk-rows", chunk,
                     "-o", str(out)]) == 0
        pd.testing.assert_frame_equal(read(out), read(tmp_path / "m.csv"))
    capsys.readouterr()
    main(["adapt", str(files / "model.dbg"), str(files / "rows.parquet"), "--sensitive", "s",
          "--reference", "b", "-o", str(tmp_path / "r.parquet")])
    assert "adapted 80 rows to s = 'b' (cf; adapted columns: x, y) streamed" in \
        capsys.readouterr().err
    read(files / "rows.csv").drop(columns="s").to_parquet(tmp_path / "nos.parquet")
    assert main(["adapt", str(files / "model.dbg"), str(tmp_path / "nos.parquet"),
                 "--sensitive", "s", "-o", str(tmp_path / "x.parquet")]) != 0
    assert "lacks the sensitive column 's'" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_adapt_takes_rows_without_the_label(files, tmp_path):
    out = tmp_path / "adapted.csv"
    assert adapt(files, "nolabel.csv", out, "--reference", "b") == 0
    with_label = tmp_path / "with_label.csv"
    assert adapt(files, "rows.csv", with_label, "--reference", "b") == 0
    adapted = read(out)
    assert list(adapted.columns) == ["s", "k", "x"]
    # y is a leaf: whether it is there changes nothing upstream of it
    pd.testing.assert_frame_equal(adapted, read(with_label)[["s", "k", "x"]])


def test_adapt_takes_rows_none_of_which_is_in_the_reference_group(files, tmp_path):
    out = tmp_path / "adapted.csv"
    assert adapt(files, "only_a.csv", out, "--reference", "b") == 0
    assert (read(out)["s"] == "b").all() and len(read(out)) == len(read(files / "only_a.csv"))


def test_resolving_columns_keep_their_observed_values(files, tmp_path):
    out = tmp_path / "adapted.csv"
    assert adapt(files, "rows.csv", out, "--reference", "b", "--resolving", "x") == 0
    rows, adapted = read(files / "rows.csv"), read(out)
    pd.testing.assert_series_equal(adapted["x"], rows["x"], check_exact=True)
    assert (adapted["s"] == "b").all()


def test_marginal_mode_is_a_seeded_draw_per_row(files, tmp_path):
    paths = [tmp_path / f"m{i}.csv" for i in range(4)]
    assert adapt(files, "rows.csv", paths[0], "--random-state", "3") == 0
    assert adapt(files, "rows.csv", paths[1], "--random-state", "3") == 0
    assert adapt(files, "rows.csv", paths[2], "--seed", "3") == 0
    assert adapt(files, "rows.csv", paths[3], "--seed", "4") == 0
    first = read(paths[0])
    pd.testing.assert_frame_equal(read(paths[1]), first, check_exact=True)
    pd.testing.assert_frame_equal(read(paths[2]), first, check_exact=True)
    # both groups drawn (80 rows, about half each), and another seed draws other values
    assert set(first["s"]) == {"a", "b"}
    assert not read(paths[3])["s"].equals(first["s"])
    rows = read(files / "rows.csv")
    same = (first["s"] == rows["s"]).to_numpy()
    pd.testing.assert_frame_equal(first[same], rows[same], check_exact=True)


def test_dp_refits_on_the_training_rows(files, tmp_path):
    out = tmp_path / "dp.csv"
    assert adapt(files, "rows.csv", out, "--reference", "b", "--criterion", "dp",
                 "--data", str(files / "data.csv")) == 0
    rows, adapted = read(files / "rows.csv"), read(out)
    assert list(adapted.columns) == COLUMNS and (adapted["s"] == "b").all()
    reference = rows["s"] == "b"
    pd.testing.assert_frame_equal(adapted[reference], rows[reference], check_exact=True)


def test_dp_streams_parquet_training_rows(files, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    train = tmp_path / "data.parquet"
    pd.read_csv(files / "data.csv").to_parquet(train, index=False, row_group_size=100)
    out = tmp_path / "dp.parquet"
    assert main(["adapt", str(files / "model.dbg"), str(files / "rows.parquet"),
                 "--sensitive", "s", "--reference", "b", "--criterion", "dp", "--data",
                 str(train), "-o", str(out)]) == 0
    assert "streaming fitting the dp adaptation model on 300 rows x 4 columns" in \
        capsys.readouterr().err
    rows, adapted = read(files / "rows.parquet"), read(out)
    assert list(adapted.columns) == COLUMNS and (adapted["s"] == "b").all()
    reference = rows["s"] == "b"
    pd.testing.assert_frame_equal(adapted[reference], rows[reference], check_exact=True)
    assert (adapted.loc[~reference, "x"] != rows.loc[~reference, "x"]).all()


def test_dp_without_training_rows_is_refused_before_any_work(files, tmp_path, capsys):
    out = tmp_path / "dp.csv"
    assert adapt(files, "rows.csv", out, "--reference", "b", "--criterion", "dp") == 1
    err = capsys.readouterr().err
    assert err.startswith("debiasgen adapt: error: --criterion dp") and "--data" in err
    assert err.count("\n") == 1 and not out.exists()


def test_dp_training_rows_need_every_column_of_the_model(files, tmp_path, capsys):
    assert adapt(files, "rows.csv", tmp_path / "o.csv", "--criterion", "dp", "--data",
                 str(files / "nolabel.csv")) == 1
    assert "nolabel.csv' lacks the model's columns ['y']" in capsys.readouterr().err


def test_twins_write_each_row_beside_its_adapted_twin(files, tmp_path):
    out = tmp_path / "twins.csv"
    assert adapt(files, "rows.csv", out, "--reference", "b", "--twins") == 0
    twins, rows = read(out), read(files / "rows.csv")
    assert list(twins.columns) == [f"{c}:{t}" for c in COLUMNS
                                   for t in ("observed", "adapted", "changed")]
    for c in COLUMNS:
        pd.testing.assert_series_equal(twins[f"{c}:observed"], rows[c], check_names=False)
        assert twins[f"{c}:changed"].equals(twins[f"{c}:observed"] != twins[f"{c}:adapted"])
    assert not twins.loc[rows["s"] == "b", [f"{c}:changed" for c in COLUMNS]].any().any()
    assert twins.loc[rows["s"] == "a", "s:changed"].all()


def test_report_goes_to_stdout_and_the_table_stays_clean(files, tmp_path, capsys):
    out = tmp_path / "adapted.csv"
    assert adapt(files, "rows.csv", out, "--reference", "b", "--report") == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Adaptation (cf) of 's': sensitive AUROC observed")
    assert "| x | numeric | True |" in printed and "| k | numeric | False |" in printed
    assert list(read(out).columns) == COLUMNS


@pytest.mark.parametrize(
    ("rows", "extra", "match"),
    [
        ("rows.csv", ["--resolving", "zz"], r"--resolving 'zz' is not a column of the model"),
        ("rows.csv", ["--resolving", "s"], r"--resolving 's' is the sensitive column"),
        ("rows.csv", ["--reference", "c"],
         r"--reference: 'c' is not a category of column 's'.*\['a', 'b'\]"),
        ("nosens.csv", ["--reference", "b"], r"nosens.csv' lacks the sensitive column 's'"),
        ("extra.csv", ["--reference", "b"], r"extra.csv' has columns \['zz'\] the model"),
        ("nok.csv", ["--reference", "b"],
         r"nok.csv' lacks column 'k', which the model uses to adapt \['x', 'y'\]"),
        ("missing.csv", [], r"no such file: '.*missing.csv'"),
        ("rows.txt", [], r"ending in .csv, .parquet or .pq"),
    ],
)
def test_bad_adapt_arguments_fail_in_one_line(files, tmp_path, capsys, rows, extra, match):
    out = tmp_path / "o.csv"
    assert adapt(files, rows, out, *extra) == 1
    err = capsys.readouterr().err
    assert err.startswith("debiasgen adapt: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and re.search(match, err), err
    assert not out.exists()


def test_an_unknown_sensitive_column_is_named(files, tmp_path, capsys):
    rc = main(["adapt", str(files / "model.dbg"), str(files / "rows.csv"), "--sensitive",
               "sex", "-o", str(tmp_path / "o.csv")])
    assert rc == 1
    assert re.search(r"--sensitive 'sex' is not a column of the model; its columns are "
                     r"\['s', 'k', 'x', 'y'\]", capsys.readouterr().err)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--criterion", "ftu"], "invalid choice: 'ftu'"),
        (["--seed", "x"], "invalid int value: 'x'"),
    ],
)
def test_malformed_adapt_command_lines_exit_2(files, tmp_path, capsys, argv, match):
    rc = main(["adapt", str(files / "model.dbg"), str(files / "rows.csv"), "--sensitive", "s",
               *argv, "-o", str(tmp_path / "o.csv")])
    assert rc == 2 and match in capsys.readouterr().err
    rc = main(["adapt", str(files / "model.dbg"), str(files / "rows.csv"), "-o",
               str(tmp_path / "o.csv")])
    assert rc == 2 and "--sensitive" in capsys.readouterr().err


def test_help_lists_adapt(capsys):
    assert main(["--help"]) == 0
    assert "debiasgen adapt model.dbg rows.csv --sensitive sex" in capsys.readouterr().out
    assert main(["adapt", "--help"]) == 0
    assert "--criterion {cf,dp}" in capsys.readouterr().out


# -- random command lines: exit 0, 1 or 2, never a traceback -----------------------------
ROWS = ["rows.csv", "rows.parquet", "nolabel.csv", "only_a.csv", "nosens.csv", "extra.csv",
        "nok.csv", "data.csv", "model.dbg", "missing.csv", "edges.csv"]


@st.composite
def adapt_argv(draw):
    def maybe(values: list, tenths: int = 5):
        return draw(st.sampled_from(values)) if draw(st.integers(0, 9)) < tenths else None

    argv = ["adapt", "@" + (maybe(["rows.csv", "missing.dbg"], 2) or "model.dbg"),
            "@" + (maybe(ROWS, 4) or "rows.csv")]
    sensitive = maybe(["s", "s", "k", "x", "zz", ""], 9)
    if sensitive is not None:
        argv += ["--sensitive", sensitive]
    for flag, values in [("--reference", ["a", "b", "c", "", "1"]),
                         ("--resolving", ["x", "y", "k", "s", "zz"]),
                         ("--criterion", ["cf", "dp", "x"]),
                         ("--data", ["@data.csv", "@nolabel.csv", "@missing.csv"]),
                         ("--seed", ["0", "7", "-1", "x"])]:
        value = maybe(values, 3 if flag in ("--data", "--criterion") else 5)
        if value is not None:
            argv += [flag, value]
    argv += [f for f in (maybe(["--twins"], 3), maybe(["--report"], 1)) if f]
    argv += ["-o", "%" + (maybe(["out.txt", "nodir/out.csv"], 2)
                          or draw(st.sampled_from(["out.csv", "out.parquet"])))]
    return argv + ["-q"]


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=adapt_argv())
def test_adapt_with_random_arguments(files, argv):
    out_dir = Path(tempfile.mkdtemp(dir=files))
    args = [str(files / a[1:]) if a.startswith("@") else
            str(out_dir / a[1:]) if a.startswith("%") else a for a in argv]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = main(args)
    err = stderr.getvalue()
    event(f"exit {rc}")
    assert rc in (0, 1, 2) and "Traceback" not in err + stdout.getvalue(), err
    if rc == 1:
        assert err.startswith("debiasgen adapt: error: ") and "unexpected" not in err, err
    if rc == 0:
        output = Path(args[args.index("-o") + 1])
        frame = read(output)
        rows = read(Path(args[2]))
        assert len(frame) == len(rows)
        if "--twins" not in argv:
            assert list(frame.columns) == list(rows.columns)

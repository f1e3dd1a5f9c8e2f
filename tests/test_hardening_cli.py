"""Hardening of the command line: every user mistake ends in one line on stderr and
exit code 1, never a traceback; edge lists with and without a header; the 'cf' preset;
reports without matplotlib."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from debiasgen.integrations.cli import EDGE_HEADER_RULE, main, read_edges
from debiasgen.model.synthesizer import CCGMSynthesizer

pytestmark = pytest.mark.usefixtures("one_openmp_thread")

COLUMNS = ["s", "k", "x", "y"]


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.choice(["a", "b"], n)
    k = rng.integers(0, 4, n)
    x = rng.normal(size=n) + k
    y = np.where(x + 1.5 * (s == "a") + rng.normal(size=n) > 2.0, "yes", "no")
    return pd.DataFrame({"s": s, "k": k, "x": x, "y": y})


@pytest.fixture(scope="module")
def files(tmp_path_factory, one_openmp_thread):
    root = tmp_path_factory.mktemp("cli_hardening")
    table(300, 0).to_csv(root / "data.csv", index=False)
    (root / "edges.csv").write_text("parent,child\nk,x\ns,y\nx,y\n")
    rc = main(["fit", str(root / "data.csv"), "--graph", str(root / "edges.csv"),
               "-o", str(root / "model.dbg"), "--epochs", "2", "--quiet"])
    assert rc == 0
    (root / "folder").mkdir()
    (root / "folder.csv").mkdir()
    (root / "folder.md").mkdir()
    (root / "garbage.dbg").write_text("hello")
    shutil.copy(root / "data.csv", root / "table.dbg")  # a model file that is a CSV
    shutil.copy(root / "data.csv", root / "fake.parquet")
    (root / "empty.csv").write_text("")
    (root / "binary.csv").write_bytes(bytes(range(256)) * 8)
    return root


def fails_in_one_line(capsys, argv, command: str) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "Traceback" not in err
    assert err.startswith(f"debiasgen {command}: error: "), err
    assert err.count("\n") == 1, err
    return err


# -- edge lists with and without a header ------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "parent,child\nk,x\ns,y\nx,y\n",
        "k,x\ns,y\nx,y\n",                 # no header: the first row is an edge
        "Parent,Child\nk,x\ns,y\nx,y\n",
        "from,to\nk,x\ns,y\nx,y\n",
    ],
)
def test_edge_lists_with_and_without_a_header_give_the_same_edges(tmp_path, text):
    path = tmp_path / "e.csv"
    path.write_text(text)
    assert read_edges(path, COLUMNS) == [("k", "x"), ("s", "y"), ("x", "y")]


def test_a_headerless_edge_list_keeps_its_first_edge_in_the_model(files, tmp_path):
    (tmp_path / "e.csv").write_text("k,x\ns,y\nx,y\n")
    rc = main(["fit", str(files / "data.csv"), "--graph", str(tmp_path / "e.csv"), "-o",
               str(tmp_path / "m.dbg"), "--epochs", "1", "-q"])
    assert rc == 0
    with_header = CCGMSynthesizer.load(files / "model.dbg").graph_
    without = CCGMSynthesizer.load(tmp_path / "m.dbg").graph_
    assert set(without.edges) == set(with_header.edges)
    assert ("k", "x") in set(without.edges) and without.parents("k") == ()


@pytest.mark.parametrize("first", ["s,yy", "sex,income", "p,c"])
def test_a_first_row_that_is_neither_header_nor_edge_is_an_error(files, tmp_path, capsys,
                                                                  first):
    (tmp_path / "e.csv").write_text(f"{first}\nk,x\nx,y\n")
    err = fails_in_one_line(capsys, ["fit", str(files / "data.csv"), "--graph",
                                     str(tmp_path / "e.csv"), "-o", str(tmp_path / "m.dbg"),
                                     "-q"], "fit")
    assert f"the first row of '{tmp_path / 'e.csv'}', {first}, is neither a header" in err
    assert "parent,child" in err


def test_a_parquet_edge_list_has_its_header_in_the_schema(tmp_path):
    pd.DataFrame({"a": ["k", "s"], "b": ["x", "y"]}).to_parquet(tmp_path / "e.parquet")
    assert read_edges(tmp_path / "e.parquet", COLUMNS) == [("k", "x"), ("s", "y")]


def test_help_documents_the_header_rule_and_cf(capsys):
    assert main(["fit", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert " ".join(EDGE_HEADER_RULE.split()) in out
    assert main(["debias", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "{ftu,dp,cf}" in out and "'cf' removes the same edges" in out


# -- every user mistake: one line, exit code 1 -------------------------------------------
@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["sample", "{d}/garbage.dbg", "-o", "{t}/o.csv"], "is not a debiasgen model file"),
        (["sample", "{d}/table.dbg", "-o", "{t}/o.csv"], "is not a debiasgen model file"),
        (["sample", "{d}/data.csv", "-o", "{t}/o.csv"], "is not a debiasgen model file"),
        (["sample", "{d}/folder", "-o", "{t}/o.csv"], "is a directory, not a model file"),
        (["sample", "{d}/model.dbg", "-o", "{t}/missing/o.csv"], "folder .* does not exist"),
        (["sample", "{d}/model.dbg", "-o", "{d}/folder.csv"], "is a directory"),
        (["sample", "{d}/model.dbg", "-o", "{d}/folder"], "is a directory"),
        (["sample", "{d}/model.dbg", "-o", "{t}/o.txt"], "ending in .csv, .parquet"),
        (["sample", "{d}/model.dbg", "-n", "1000000000000", "-o", "{t}/o.csv"],
         r"n=1,000,000,000,000 rows .* draw fewer rows"),
        (["fit", "{d}/data.csv", "--graph", "{d}/edges.csv", "-o", "{t}/missing/m.dbg"],
         "folder .* does not exist"),
        (["fit", "{d}/data.csv", "--graph", "{d}/edges.csv", "-o", "{d}/folder"],
         "is a directory"),
        (["fit", "{d}/empty.csv", "--graph", "{d}/edges.csv", "-o", "{t}/m.dbg"],
         "empty.csv' is empty"),
        (["fit", "{d}/binary.csv", "--graph", "{d}/edges.csv", "-o", "{t}/m.dbg"],
         "cannot read .*binary.csv' as CSV"),
        (["fit", "{d}/fake.parquet", "--graph", "{d}/edges.csv", "-o", "{t}/m.dbg"],
         "cannot read .*fake.parquet' as Parquet"),
        (["fit", "{d}/data.csv", "--graph", "{d}/empty.csv", "-o", "{t}/m.dbg"], "is empty"),
        (["fit", "{d}/data.csv", "--graph", "{d}/data.csv", "-o", "{t}/m.dbg"],
         "has 4 columns; an edge list has two"),
        (["fit", "{d}/folder.csv", "--graph", "{d}/edges.csv", "-o", "{t}/m.dbg"],
         "is a directory"),
        (["intervene", "{d}/model.dbg", "--do", "k=9007199254740993", "-o", "{t}/o.csv"],
         r"column 'k': 9007199254740993 is beyond \+-2\*\*53"),
        (["intervene", "{d}/model.dbg", "--do", "k=-99999999999999999999", "-o", "{t}/o.csv"],
         r"column 'k'.* beyond \+-2\*\*53"),
        (["intervene", "{d}/model.dbg", "--do", "x=inf", "-o", "{t}/o.csv"], "'x'"),
        (["debias", "{d}/model.dbg", "--remove", "s:y", "-o", "{t}/o.csv", "--save",
          "{t}/missing/f.dbg"], "folder .* does not exist"),
        (["debias", "{d}/model.dbg", "--remove", "s:y", "-o", "{t}/o.csv", "--save",
          "{d}/folder"], "is a directory"),
        (["debias", "{d}/model.dbg", "--sensitive", "s", "--target", "y", "--criterion",
          "dp", "--noise-reuse", "5", "-o", "{t}/o.csv"], "noise_reuse"),
        (["report", "{d}/data.csv", "--target", "zz", "--sensitive", "s"], "'zz'"),
        (["report", "{d}/data.csv", "--target", "y", "--sensitive", "zz"], "'zz'"),
        (["report", "{d}/data.csv", "--target", "y", "--sensitive", "s", "--out",
          "{t}/missing/r.md"], "folder .* does not exist"),
        (["report", "{d}/data.csv", "--target", "y", "--sensitive", "s", "--out",
          "{d}/folder.md"], "is a directory"),
        (["report", "{d}/data.csv", "--target", "y", "--sensitive", "s", "--out",
          "{t}/r.pdf"], r"--out must end in \.md or \.html"),
        (["report", "{d}/data.csv", "{d}/garbage.dbg", "--target", "y", "--sensitive", "s"],
         "cannot tell the table format"),
    ],
)
def test_user_mistakes_end_in_one_line(files, tmp_path, capsys, argv, match):
    import re

    argv = [a.format(d=files, t=tmp_path) for a in argv]
    err = fails_in_one_line(capsys, [*argv, "-q"], argv[0])
    assert re.search(match, err), err
    assert not (tmp_path / "o.csv").exists()  # refused before anything was written


def test_a_column_of_another_kind_in_a_report_is_one_line(files, tmp_path, capsys):
    other = pd.read_csv(files / "data.csv")
    other["k"] = other["k"].astype(str) + "!"
    other.to_csv(tmp_path / "strk.csv", index=False)
    err = fails_in_one_line(capsys, ["report", str(files / "data.csv"),
                                     str(tmp_path / "strk.csv"), "--target", "y",
                                     "--sensitive", "s", "-q"], "report")
    assert "column 'k' is numeric in train" in err and "dataset 'strk'" in err


def test_an_unexpected_error_is_one_line_too(files, tmp_path, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(CCGMSynthesizer, "load", boom)
    monkeypatch.delenv("DEBIASGEN_TRACEBACK", raising=False)
    err = fails_in_one_line(capsys, ["sample", str(files / "model.dbg"), "-o",
                                     str(tmp_path / "o.csv")], "sample")
    assert "unexpected RuntimeError: boom second line" in err
    assert "DEBIASGEN_TRACEBACK=1" in err
    monkeypatch.setenv("DEBIASGEN_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["sample", str(files / "model.dbg"), "-o", str(tmp_path / "o.csv")])


def test_an_integer_at_2_to_the_53_is_accepted(files, tmp_path):
    out = tmp_path / "o.csv"
    rc = main(["intervene", str(files / "model.dbg"), "--do", "k=3", "-n", "20", "-o",
               str(out), "-q"])
    assert rc == 0 and (pd.read_csv(out)["k"] == 3).all()


# -- the cf preset -------------------------------------------------------------------
def test_debias_with_the_cf_preset(files, tmp_path):
    saved = tmp_path / "cf.dbg"
    rc = main(["debias", str(files / "model.dbg"), "--sensitive", "s", "--target", "y",
               "--criterion", "cf", "-n", "50", "-o", str(tmp_path / "cf.csv"), "--save",
               str(saved), "-q"])
    assert rc == 0
    model = CCGMSynthesizer.load(saved)
    assert model.removed_edges_ == (("s", "y"),)
    assert model.decoupled_ == ()
    assert len(pd.read_csv(tmp_path / "cf.csv")) == 50


# -- reports without matplotlib ------------------------------------------------------
def test_report_without_matplotlib_writes_the_markdown_and_says_so(files, tmp_path, capsys,
                                                                    monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    out = tmp_path / "report.md"
    rc = main(["report", str(files / "data.csv"), "--target", "y", "--sensitive", "s",
               "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert out.read_text() == captured.out.rstrip("\n")
    assert not out.with_suffix(".png").exists()
    assert "debiasgen[plot]" in captured.err and "Traceback" not in captured.err

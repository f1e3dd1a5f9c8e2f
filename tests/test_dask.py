"""The Dask backend on a 2-worker LocalCluster: the same rows for the same seed and
partitioning, no partition repeating another, the training dtypes, interventions,
de-biased synthesizers, counterfactuals, Parquet, clear errors."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from debiasgen import (
    CCGMSynthesizer,
    DataValidationError,
    InvalidParameterError,
    InvalidTypeError,
    NotFittedError,
    UnknownColumnError,
)
from debiasgen.model.partition import generate_partition, partition_seeds

GRAPH = [("s", "x"), ("x", "y"), ("s", "y"), ("k", "y")]


def test_without_dask_the_import_names_the_extra(monkeypatch):
    monkeypatch.delitem(sys.modules, "debiasgen.integrations.dask", raising=False)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"pip install 'debiasgen\[dask\]'"):
        import debiasgen.integrations.dask  # noqa: F401


@pytest.fixture(scope="module")
def dgd():
    pytest.importorskip("dask.dataframe")
    from debiasgen.integrations import dask as module

    return module


@pytest.fixture(scope="module")
def client(dgd):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 600
    s = rng.choice(["f", "m"], n)
    x = rng.normal(size=n) + (s == "m")
    x[rng.random(n) < 0.1] = np.nan
    y = pd.Categorical(np.where(np.nan_to_num(x) + rng.normal(size=n) > 0.5, "hi", "lo"))
    return pd.DataFrame({"s": s, "x": x, "k": rng.integers(0, 4, n), "y": y})


@pytest.fixture(scope="module")
def synth(data):
    return CCGMSynthesizer(epochs=2, hidden_size=16, random_state=0).fit(data, graph=GRAPH)


def expected(model, n, npartitions, seed, interventions=None):
    """The rows :func:`sample` must give, partition by partition, computed here."""
    seeds = partition_seeds(seed, npartitions)
    sizes = [len(part) for part in np.array_split(np.arange(n), npartitions)]
    return [generate_partition(model, rows, s, interventions) for rows, s in zip(sizes, seeds)]


@pytest.mark.filterwarnings("ignore:Running on a single-machine scheduler:UserWarning")
def test_same_seed_and_partitioning_give_the_same_rows_on_the_cluster(client, dgd, synth):
    ddf = dgd.sample(synth, 1_000, npartitions=3, random_state=7)
    first = ddf.compute()
    again = dgd.sample(synth, 1_000, npartitions=3, random_state=7).compute()
    pd.testing.assert_frame_equal(first, again)
    # the workers return exactly what the partition function gives in this process
    parts = expected(synth, 1_000, 3, 7)
    pd.testing.assert_frame_equal(first.reset_index(drop=True),
                                  pd.concat(parts, ignore_index=True))
    # and the threaded scheduler the same rows again
    pd.testing.assert_frame_equal(ddf.compute(scheduler="sync"), first)
    other = dgd.sample(synth, 1_000, npartitions=3, random_state=8).compute()
    assert not other["x"].equals(first["x"])


def test_no_partition_repeats_another(client, dgd, synth):
    ddf = dgd.sample(synth, 900, npartitions=3, random_state=0)
    out = ddf.compute()
    parts = [out.loc[start:start + 299].reset_index(drop=True) for start in (0, 300, 600)]
    parts.append(synth.sample(300, random_state=0))  # nor the draw of the root seed itself

    def same_rows(a, b):  # the share of positions where whole rows agree (NaN == NaN)
        return float(((a == b) | (a.isna() & b.isna())).all(axis=1).mean())

    # numbers are drawn from the training values, so single cells may coincide by
    # chance; a repeated stream would agree at every position
    for a in range(len(parts)):
        for b in range(a + 1, len(parts)):
            assert same_rows(parts[a], parts[b]) < 0.05, (a, b)
    assert same_rows(parts[0], parts[0]) == 1.0  # the measure sees a repeat


def test_rows_index_and_dtypes(client, dgd, synth, data, monkeypatch):
    ddf = dgd.sample(synth, 1_001, npartitions=4, random_state=1)
    assert ddf.npartitions == 4 and ddf.divisions == (0, 251, 501, 751, 1_000)
    out = ddf.compute()
    assert len(out) == 1_001 and len(ddf) == 1_001
    assert out.index.equals(pd.RangeIndex(1_001))
    assert list(out.columns) == list(data.columns)
    assert out.dtypes.equals(data.dtypes) and ddf.dtypes.equals(data.dtypes)
    assert set(out["y"].cat.categories) == {"hi", "lo"}
    # by default about one partition per ROWS_PER_PARTITION rows
    assert dgd.sample(synth, 1_000, random_state=0).npartitions == 1
    monkeypatch.setattr(dgd, "ROWS_PER_PARTITION", 100)
    assert dgd.sample(synth, 1_000, random_state=0).npartitions == 10
    assert dgd.sample(synth, 1_001, random_state=0).npartitions == 11


def test_interventions_hold_in_every_partition(client, dgd, synth):
    out = dgd.sample(synth, 800, npartitions=2, interventions={"s": "f"},
                     random_state=3).compute()
    assert (out["s"] == "f").all()
    parts = expected(synth, 800, 2, 3, {"s": "f"})
    pd.testing.assert_frame_equal(out.reset_index(drop=True), pd.concat(parts, ignore_index=True))


def test_a_debiased_synthesizer_samples_without_its_removed_edges(client, dgd, synth):
    fair = synth.debias(remove_edges=[("s", "y")])
    out = dgd.sample(fair, 800, npartitions=2, random_state=4).compute()
    parts = expected(fair, 800, 2, 4)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), pd.concat(parts, ignore_index=True))
    # the workers used the de-biased model: the plain one gives other rows for "y"
    plain = dgd.sample(synth, 800, npartitions=2, random_state=4).compute()
    assert not plain["y"].equals(out["y"])
    # a de-biased synthesizer's counterfactual needs no interventions
    import dask.dataframe as dd

    rows = dd.from_pandas(out, npartitions=2)  # (Dask's string dtype for "s" by default)
    cf = dgd.counterfactual(fair, rows, random_state=0).compute()
    pd.testing.assert_frame_equal(cf[["s", "x", "k"]], rows.compute()[["s", "x", "k"]])


def test_counterfactuals_keep_non_descendants_exactly(client, dgd, synth, data):
    import dask.dataframe as dd

    real = dd.from_pandas(data, npartitions=3)
    cf = dgd.counterfactual(synth, real, {"s": "m"}, random_state=5)
    assert cf.divisions == real.divisions
    out = cf.compute()
    data = real.compute()  # with the dtypes Dask gave it (its own strings by default)
    assert out.index.equals(data.index) and out.dtypes.equals(data.dtypes)
    assert (out["s"] == "m").all()
    pd.testing.assert_frame_equal(out["k"].to_frame(), data["k"].to_frame())  # no descendant
    changed = data["s"] == "f"
    assert not out.loc[changed, "x"].equals(data.loc[changed, "x"])  # a child of s moved
    pd.testing.assert_frame_equal(  # rows already at s = "m" keep their "x"
        out.loc[~changed & data["x"].notna(), "x"].to_frame(),
        data.loc[~changed & data["x"].notna(), "x"].to_frame(), atol=1e-9)
    # partition i is the model's counterfactual under the i-th spawned seed
    seeds = partition_seeds(5, 3)
    parts = [real.get_partition(i).compute() for i in range(3)]
    want = pd.concat([synth.counterfactual(p, {"s": "m"}, random_state=seeds[i])
                      for i, p in enumerate(parts)])
    pd.testing.assert_frame_equal(out, want)
    again = dgd.counterfactual(synth, real, {"s": "m"}, random_state=5).compute()
    pd.testing.assert_frame_equal(again, out)


def test_adapt_maps_every_partition_with_its_own_seed(client, dgd, synth, data):
    import copy

    import dask.dataframe as dd

    from debiasgen import FairAdapter

    adapter = FairAdapter(synth, sensitive="s", reference="m", random_state=1).fit(data)
    real = dd.from_pandas(data, npartitions=3)
    ddf = dgd.adapt(adapter, real, random_state=5)
    assert ddf.divisions == real.divisions
    out, data = ddf.compute(), real.compute()
    assert out.index.equals(data.index) and out.dtypes.equals(data.dtypes)
    assert (out["s"] == "m").all()
    kept = data["s"] == "m"  # the reference group comes back unchanged
    pd.testing.assert_frame_equal(out[kept], data[kept])
    pd.testing.assert_frame_equal(out[["k"]], data[["k"]])  # no descendant of s
    # partition i is the adapter's transform under the i-th spawned seed
    seeds = partition_seeds(5, 3)
    want = pd.concat([copy.copy(adapter).set_params(random_state=seeds[i]).transform(
        real.get_partition(i).compute()) for i in range(3)])
    pd.testing.assert_frame_equal(out, want)
    pd.testing.assert_frame_equal(dgd.adapt(adapter, real, random_state=5).compute(), out)
    # without a seed: the adapter's own
    pd.testing.assert_frame_equal(dgd.adapt(adapter, real).compute(),
                                  dgd.adapt(adapter, real, random_state=1).compute())


def test_adapt_bad_input_fails_before_any_partition_runs(dgd, synth, data):
    import dask.dataframe as dd

    from debiasgen import FairAdapter

    adapter = FairAdapter(synth, sensitive="s", reference="m", random_state=1)
    with pytest.raises(NotFittedError):
        dgd.adapt(adapter, dd.from_pandas(data, npartitions=2))
    adapter.fit(data)
    with pytest.raises(InvalidTypeError, match="adapter.transform"):
        dgd.adapt(adapter, data)
    with pytest.raises(UnknownColumnError, match="zz"):
        dgd.adapt(adapter, dd.from_pandas(data.assign(zz=1), npartitions=2))
    with pytest.raises(DataValidationError, match="sensitive column 's'"):
        dgd.adapt(adapter, dd.from_pandas(data.drop(columns="s"), npartitions=2))


@pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # Dask on pandas 3
def test_to_parquet_and_back(client, dgd, synth, tmp_path):
    pytest.importorskip("pyarrow")
    ddf = dgd.sample(synth, 700, npartitions=3, random_state=6)
    ddf.to_parquet(tmp_path / "rows")
    files = sorted((tmp_path / "rows").glob("*.parquet"))
    assert len(files) == 3
    import dask
    import dask.dataframe as dd

    with dask.config.set({"dataframe.convert-string": False}):  # the file's own dtypes
        back = dd.read_parquet(tmp_path / "rows")
    assert back.npartitions == 3
    back, want = back.compute(), ddf.compute()
    # text may come back as a pandas string dtype (Dask before 2025 writes it so)
    pd.testing.assert_frame_equal(back, want, check_dtype=False)
    assert back.dtypes[["x", "k", "y"]].equals(want.dtypes[["x", "k", "y"]])


def test_bad_arguments_are_clear_errors(dgd, synth, data):
    import dask.dataframe as dd

    with pytest.raises(InvalidParameterError, match=r"^n must be an integer >= 1, got 0"):
        dgd.sample(synth, 0)
    with pytest.raises(InvalidParameterError, match=r"^n must be an integer >= 1, got 2.5"):
        dgd.sample(synth, 2.5)
    with pytest.raises(InvalidParameterError, match=r"^npartitions must be an integer >= 1"):
        dgd.sample(synth, 10, npartitions=0)
    with pytest.raises(InvalidParameterError, match=r"npartitions must be between 1 and n=10"):
        dgd.sample(synth, 10, npartitions=11)
    with pytest.raises(InvalidTypeError, match=r"random_state must be"):
        dgd.sample(synth, 10, random_state="seed")
    with pytest.raises(UnknownColumnError, match=r"cannot intervene on 'age'"):
        dgd.sample(synth, 10, interventions={"age": 3})
    with pytest.raises(DataValidationError, match=r"'other'"):
        dgd.sample(synth, 10, interventions={"s": "other"})
    with pytest.raises(NotFittedError):
        dgd.sample(CCGMSynthesizer(), 10)
    real = dd.from_pandas(data, npartitions=2)
    with pytest.raises(InvalidTypeError, match=r"ddf must be a dask DataFrame.*DataFrame"):
        dgd.counterfactual(synth, data, {"s": "m"})
    with pytest.raises(DataValidationError, match=r"ddf lacks the fitted columns \['k'\]"):
        dgd.counterfactual(synth, real.drop(columns="k"), {"s": "m"})
    with pytest.raises(DataValidationError, match=r"ddf has columns \['z'\]"):
        dgd.counterfactual(synth, real.assign(z=1), {"s": "m"})
    with pytest.raises(InvalidParameterError, match=r"counterfactual needs interventions"):
        dgd.counterfactual(synth, real)
    with pytest.raises(UnknownColumnError, match=r"cannot intervene on 'age'"):
        dgd.counterfactual(synth, real, {"age": 1})
    with pytest.raises(InvalidTypeError, match=r"interventions must be a dict"):
        dgd.counterfactual(synth, real, [("s", "m")])


def _same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal values column by column (text may come back from Parquet as strings)."""
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    for column in want.columns:
        if pd.api.types.is_numeric_dtype(want[column]):
            np.testing.assert_array_equal(got[column].to_numpy(float),
                                          want[column].to_numpy(float))
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist()


def test_the_command_line_samples_on_a_dask_cluster(dgd, synth, tmp_path, capsys):
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    from debiasgen.integrations.cli import main

    model = tmp_path / "m.dbg"
    synth.save(model)
    out = tmp_path / "out.parquet"
    args = ["sample", str(model), "-n", "250", "-o", str(out), "--engine", "dask",
            "--workers", "2", "-q"]
    assert main([*args, "--chunk-rows", "100"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"part.{k}.parquet" for k in range(3)]
    # one partition of --chunk-rows rows each, from the partition seeds of --random-state
    want = pd.concat(expected(synth, 250, 3, 0), ignore_index=True)
    _same_rows(pd.read_parquet(out), want)
    # a second run replaces the earlier run's parts
    assert main([*args, "--chunk-rows", "250"]) == 0
    assert [p.name for p in out.iterdir()] == ["part.0.parquet"]
    _same_rows(pd.read_parquet(out), expected(synth, 250, 1, 0)[0])
    # what it cannot do is refused before any work, in one line
    capsys.readouterr()
    assert main(["sample", str(model), "-o", str(tmp_path / "o.csv"), "--engine", "dask"]) == 1
    assert "--engine dask writes a folder of Parquet files" in capsys.readouterr().err
    (tmp_path / "mixed.parquet").mkdir()
    (tmp_path / "mixed.parquet" / "notes.txt").write_text("mine")
    assert main(["sample", str(model), "-o", str(tmp_path / "mixed.parquet"),
                 "--engine", "dask"]) == 1
    assert "notes.txt" in capsys.readouterr().err
    assert main(["sample", str(model), "-o", str(tmp_path / "o.csv"), "--workers", "2"]) == 1
    assert "--workers applies to --engine dask only" in capsys.readouterr().err

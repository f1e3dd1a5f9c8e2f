"""Fitting from Parquet in bounded memory: the same model in distribution as the
in-memory fit, exact categories and missingness, memory independent of the rows,
determinism, and clear errors for bad sources."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import debiasgen.model.streaming_fit as streaming_fit
from debiasgen import (
    CCGMSynthesizer,
    DataValidationError,
    GraphError,
    InvalidTypeError,
)
from debiasgen.core.encoding import TabularEncoder
from debiasgen.core.sketch import FrameSketch, Reservoir
from debiasgen.io.parquet import open_source
from debiasgen.model.streaming_fit import fit_parquet, held_out

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

GRAPH = [("s", "x"), ("x", "y"), ("s", "y"), ("k", "y")]
PARAMS = dict(hidden_size=16, batch_size=256, learning_rate=5e-3, random_state=0)


def table(n: int, seed: int = 0) -> pd.DataFrame:
    """s -> x -> y, s -> y, k -> y; gaps in x (NaN) and k (None), categories in y."""
    rng = np.random.default_rng(seed)
    s = rng.choice(["f", "m"], n, p=[0.4, 0.6])
    x = rng.normal(size=n) + 1.0 * (s == "m")
    x[rng.random(n) < 0.1] = np.nan
    k = rng.choice(np.array(["a", "b", "c"], dtype=object), n).astype(object)
    k[rng.random(n) < 0.05] = None
    logit = 0.8 * np.nan_to_num(x) + 1.0 * (s == "m") + 0.5 * (k == "a") - 1.0
    y = pd.Categorical(np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "hi", "lo"),
                       categories=["lo", "hi"])
    return pd.DataFrame({"s": s, "x": x, "k": pd.Series(k, dtype=object), "y": y})


def write_parts(df: pd.DataFrame, folder, parts: int, row_group: int) -> list[str]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i, part in enumerate(np.array_split(np.arange(len(df)), parts)):
        path = str(folder / f"part{i}.parquet")
        pq.write_table(pa.Table.from_pandas(df.iloc[part], preserve_index=False), path,
                       row_group_size=row_group)
        paths.append(path)
    return paths


def share_tolerance(p: float, n_a: int, n_b: int, slack: float) -> float:
    """4 standard errors of a difference of two shares, plus the models' own slack."""
    return 4 * np.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b)) + slack


def test_streaming_fit_matches_the_in_memory_fit_in_distribution(tmp_path):
    df = table(5000)
    write_parts(df, tmp_path / "d", parts=3, row_group=700)
    streamed = CCGMSynthesizer(epochs=12, **PARAMS).fit(str(tmp_path / "d" / "*.parquet"),
                                                        graph=GRAPH)
    memory = CCGMSynthesizer(epochs=12, **PARAMS).fit(df, graph=GRAPH)
    n = 6000
    a, b = streamed.sample(n, random_state=1), memory.sample(n, random_state=1)
    # the columns and dtypes pandas reads from the files (object strings come back as str)
    assert a.dtypes.equals(pd.read_parquet(tmp_path / "d").dtypes)
    assert list(a.columns) == list(df.columns)
    # the streamed model held out rows and stopped on them
    assert all("val_loss" in h for h in streamed.history_)
    assert streamed.n_features_in_ == 4 and list(streamed.feature_names_in_) == list(df.columns)
    # category shares (missingness of k included)
    for col in ("s", "k", "y"):
        pa_ = a[col].astype(object).fillna("<NA>").value_counts(normalize=True)
        pb_ = b[col].astype(object).fillna("<NA>").value_counts(normalize=True)
        assert set(pa_.index) == set(pb_.index)
        for cat in pb_.index:
            tol = share_tolerance(pb_[cat], n, n, slack=0.03)
            assert abs(pa_[cat] - pb_[cat]) < tol, (col, cat, pa_[cat], pb_[cat])
    assert abs(a["x"].isna().mean() - b["x"].isna().mean()) < share_tolerance(0.1, n, n, 0.02)
    # numeric quantiles, in units of the data's standard deviation
    sd = df["x"].std()
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        assert abs(a["x"].quantile(q) - b["x"].quantile(q)) < 0.2 * sd, q
    # the s -> y association

    def effect(rows):
        hi = rows["y"] == "hi"
        return hi[rows["s"] == "m"].mean() - hi[rows["s"] == "f"].mean()

    true_effect = effect(df)
    assert true_effect > 0.2
    for rows in (a, b):
        assert abs(effect(rows) - true_effect) < 4 * np.sqrt(0.5 / n + 0.5 / 5000) + 0.05
    # generated numbers are training values
    assert set(a["x"].dropna()) <= set(df["x"].dropna())


def test_the_encoder_pass_learns_the_in_memory_layout(tmp_path):
    """With every value in the sample, the streamed layout is the in-memory one, also
    where batches disagree on dtypes (gaps in one file only) and markers."""
    rng = np.random.default_rng(1)
    first = pd.DataFrame({
        "i": rng.integers(0, 50, 300), "b": rng.random(300) < 0.5,
        "c": pd.Categorical(rng.choice(["u", "v"], 300), categories=["v", "u"]),
        "t": rng.choice(["q", "p", "r"], 300).astype(object), "f": rng.normal(size=300),
    })
    second = first.sample(frac=1.0, random_state=0).reset_index(drop=True)
    second["i"] = second["i"].astype("float64")
    second.loc[::7, "i"] = np.nan  # gaps here only: the whole column reads as float64
    second["b"] = second["b"].astype(object)
    second.loc[::5, "b"] = None  # bool with gaps reads as object
    second.loc[::3, "t"] = None
    t1 = pa.Table.from_pandas(first, preserve_index=False)
    t2 = pa.Table.from_pandas(second, preserve_index=False).cast(t1.schema)
    pq.write_table(t1, tmp_path / "a.parquet", row_group_size=100)
    pq.write_table(t2, tmp_path / "b.parquet", row_group_size=64)
    whole = pd.read_parquet([tmp_path / "a.parquet", tmp_path / "b.parquet"])
    src = open_source(str(tmp_path))
    batches = (frame for _, _, frame in src.iter_batches(50))
    streamed = TabularEncoder(max_bins=16).fit_stream(batches, sample_rows=10_000, seed=0)
    memory = TabularEncoder(max_bins=16).fit(whole)
    for s, m in zip(streamed.layout_, memory.layout_, strict=True):
        assert (s.name, s.kind, s.n_classes, s.has_missing) == \
            (m.name, m.kind, m.n_classes, m.has_missing)
        assert s.dtype == m.dtype, s.name
        assert s.categories == m.categories and s.na_value is m.na_value
        if s.kind == "numeric":
            np.testing.assert_array_equal(s.values, m.values)
            np.testing.assert_array_equal(s.cuts, m.cuts)
    codes, values = streamed.encode(whole)
    pd.testing.assert_frame_equal(streamed.decode(codes, values), memory.decode(codes, values))


def test_the_reservoir_is_a_bounded_uniform_sample_independent_of_batching():
    x = np.random.default_rng(0).exponential(size=50_000)
    one = Reservoir(1000, np.random.default_rng(5))
    one.update(x)
    many = Reservoir(1000, np.random.default_rng(5))
    for part in np.array_split(x, 37):
        many.update(part)
    np.testing.assert_array_equal(one.sample(), many.sample())
    sample = one.sample()
    assert len(sample) <= 1002 and sample[0] == x.min() and sample[-1] == x.max()
    assert set(sample) <= set(x)
    # uniform: its median is the data's within 4 standard errors of a sample median
    se = 1.2533 * x.std() / np.sqrt(1000)
    assert abs(np.median(sample) - np.median(x)) < 4 * se


def test_held_out_rows_are_a_deterministic_share(tmp_path):
    threshold = int(0.1 * 2.0**64)
    mask = held_out(0, 100_000, 12345, threshold)
    assert abs(mask.mean() - 0.1) < 4 * np.sqrt(0.09 / 100_000)
    # a pure function of the row number: batches agree with the whole
    parts = np.concatenate([held_out(s, 1000, 12345, threshold) for s in range(0, 100_000, 1000)])
    np.testing.assert_array_equal(mask, parts)
    assert not np.array_equal(mask, held_out(0, 100_000, 999, threshold))


def test_a_fixed_random_state_gives_the_same_model_from_any_source_form(tmp_path):
    import pyarrow.dataset as ds

    df = table(1500, seed=3)
    paths = write_parts(df, tmp_path / "d", parts=2, row_group=300)
    fits = [
        CCGMSynthesizer(epochs=2, **PARAMS).fit(source, graph=GRAPH)
        for source in (paths, str(tmp_path / "d"), ds.dataset(paths, format="parquet"))
    ]
    weights = [f.network_.to_arrays() for f in fits]
    for other in weights[1:]:
        for name, w in weights[0].items():
            np.testing.assert_array_equal(w, other[name])
    pd.testing.assert_frame_equal(fits[0].sample(200, random_state=0),
                                  fits[2].sample(200, random_state=0))
    other_seed = CCGMSynthesizer(epochs=2, **{**PARAMS, "random_state": 1}).fit(paths,
                                                                               graph=GRAPH)
    assert not np.array_equal(other_seed.network_.to_arrays()["decoder.weights.0"],
                              weights[0]["decoder.weights.0"])


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_rows(tmp_path, monkeypatch):
    """tracemalloc peak of the encoder pass and one epoch, on N and 4N rows with the
    same batch, buffer, sample and held-out bounds (numpy and pandas buffers are
    traced; torch's are not, and the network does not grow with the rows)."""
    monkeypatch.setattr(streaming_fit, "READ_ROWS", 1000)
    monkeypatch.setattr(streaming_fit, "BUFFER_ROWS", 2000)
    monkeypatch.setattr(streaming_fit, "VALIDATION_ROWS", 300)
    peaks = {}
    for n in (6000, 6000, 24_000):  # the first run loads modules: not measured
        paths = write_parts(table(n, seed=4), tmp_path / f"n{n}", parts=2, row_group=1000)
        model = CCGMSynthesizer(epochs=1, hidden_size=8, batch_size=500, random_state=0)

        def fit(paths=paths, model=model):
            fit_parquet(model, paths, GRAPH, learn_edges=False, sample_rows=500)

        peaks[n] = _peak(fit)
        assert model.history_[0]["rows"] > 0.9 * n - 300
    # an in-memory fit would grow about 4x; a bounded one stays level
    assert peaks[24_000] < 1.5 * peaks[6000], peaks


def test_bad_sources_are_clear_errors(tmp_path):
    df = table(100)
    good = tmp_path / "good.parquet"
    df.to_parquet(good)
    model = CCGMSynthesizer(epochs=1, hidden_size=8, random_state=0)
    with pytest.raises(DataValidationError, match="does not exist"):
        model.fit(str(tmp_path / "nope.parquet"), graph=GRAPH)
    with pytest.raises(DataValidationError, match="matches no files"):
        model.fit(str(tmp_path / "none-*.parquet"), graph=GRAPH)
    (tmp_path / "text.parquet").write_text("not parquet")
    with pytest.raises(DataValidationError, match="text.parquet.*not a readable Parquet"):
        model.fit([good, tmp_path / "text.parquet"], graph=GRAPH)
    other = df.assign(x=df["x"].astype(str))
    other.to_parquet(tmp_path / "other.parquet")
    with pytest.raises(DataValidationError, match=r"other\.parquet.*column 'x'.*same schema"
                       r"|other\.parquet.*has column 'x'"):
        model.fit([good, tmp_path / "other.parquet"], graph=GRAPH)
    df.drop(columns="k").to_parquet(tmp_path / "fewer.parquet")
    with pytest.raises(DataValidationError, match="fewer.parquet.*lacks column 'k'"):
        model.fit([good, tmp_path / "fewer.parquet"], graph=GRAPH)
    df.assign(when=pd.Timestamp("2024-01-01")).to_parquet(tmp_path / "time.parquet")
    with pytest.raises(InvalidTypeError, match="time.parquet.*column 'when'.*datetime"):
        model.fit(tmp_path / "time.parquet", graph=GRAPH)
    with pytest.raises(GraphError, match="'zz'.*not columns of the data"):
        model.fit(good, graph=[("s", "zz")])
    assert not hasattr(model, "network_")  # nothing was fitted by the failures


def test_a_bad_cell_names_its_file_and_row_group(tmp_path):
    frame = pd.DataFrame({"s": ["a", "b"] * 50, "x": np.arange(100.0)})
    frame.to_parquet(tmp_path / "ok.parquet")
    bad = frame.copy()
    bad.loc[60, "x"] = np.inf
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), tmp_path / "bad.parquet",
                   row_group_size=50)
    with pytest.raises(DataValidationError, match=r"bad\.parquet.*row group 1.*infinite"):
        CCGMSynthesizer(epochs=1, random_state=0).fit(str(tmp_path / "*.parquet"),
                                                      graph=[("s", "x")])


def test_the_sketch_refuses_a_column_changing_kind():
    sketch = FrameSketch(sample_rows=10)
    sketch.update(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(DataValidationError, match="column 'a'.*one type in every file"):
        sketch.update(pd.DataFrame({"a": ["x", "y"]}))


@pytest.mark.filterwarnings("ignore:columns .* have missing values")
def test_without_a_graph_the_graph_is_discovered_as_in_memory(tmp_path):
    """A source of at most SAMPLE_ROWS rows is sampled whole, so discovery sees the
    rows the in-memory fit sees and finds the same graph, knowledge kept."""
    df = table(3000, seed=4)
    paths = write_parts(df, tmp_path / "d", parts=2, row_group=700)
    knowledge = dict(sensitive="s", target="y")
    streamed = CCGMSynthesizer(epochs=1, **PARAMS).fit(paths, **knowledge)
    memory = CCGMSynthesizer(epochs=1, **PARAMS).fit(df, **knowledge)
    assert streamed.graph_ == memory.graph_
    assert streamed.graph_.edges  # the associations were found
    assert streamed.graph_.parents("s") == () and streamed.graph_.children("y") == ()


@pytest.mark.filterwarnings("ignore:columns .* have missing values")
def test_discovery_reads_a_bounded_hashed_sample(tmp_path, monkeypatch):
    import debiasgen.structure.discovery as discovery

    seen = []
    real = discovery.discover_graph

    def recording(rows, **kwargs):
        seen.append(rows.copy())
        return real(rows, **kwargs)

    monkeypatch.setattr(discovery, "discover_graph", recording)
    monkeypatch.setattr(streaming_fit, "SAMPLE_ROWS", 600)
    df = table(6000, seed=5)
    paths = write_parts(df, tmp_path / "d", parts=3, row_group=500)
    graphs = [CCGMSynthesizer(epochs=1, **PARAMS).fit(source).graph_
              for source in (paths, str(tmp_path / "d"))]
    assert graphs[0] == graphs[1]  # the same rows from any form of the source
    assert len(seen) == 2 and seen[0].equals(seen[1])
    assert 450 < len(seen[0]) < 750  # about 600 of 6,000 rows
    # whole rows of the source, spread over all of it
    rows = df.reset_index(drop=True)
    merged = seen[0].reset_index(drop=True)
    assert merged["x"].dropna().isin(set(rows["x"].dropna())).all()
    first = rows["x"].iloc[:3000].dropna()
    assert 0.3 < merged["x"].isin(set(first)).mean() < 0.7


@pytest.mark.filterwarnings("ignore:columns .* have missing values")
def test_edges_are_learned_on_the_sample_as_in_memory(tmp_path):
    """The graph leaves out s -> y; a source sampled whole learns what memory learns,
    with the same scores, and the epochs then stream under the extended graph."""
    df = table(3000, seed=4)
    paths = write_parts(df, tmp_path / "d", parts=2, row_group=700)
    partial = [("s", "x"), ("x", "y"), ("k", "y")]
    streamed = CCGMSynthesizer(epochs=8, **PARAMS).fit(paths, graph=partial, learn_edges=True)
    memory = CCGMSynthesizer(epochs=8, **PARAMS).fit(df, graph=partial, learn_edges=True)
    assert streamed.learned_edges_ == memory.learned_edges_ == (("s", "y"),)
    assert streamed.graph_ == memory.graph_
    assert streamed.graph_.origin("s", "y") == "learned"
    pd.testing.assert_frame_equal(streamed.edge_scores_, memory.edge_scores_)
    # the streamed model uses the learned edge: y's share differs by s
    rows = streamed.sample(4000, random_state=0)
    share = (rows["y"] == "hi").groupby(rows["s"]).mean()
    truth = (df["y"] == "hi").groupby(df["s"]).mean()
    assert abs((share["m"] - share["f"]) - (truth["m"] - truth["f"])) < 0.08
    # refitting without learning drops the scores of the earlier fit
    streamed.fit(paths, graph=partial)
    assert streamed.learned_edges_ == () and not hasattr(streamed, "edge_scores_")


def test_discovery_without_complete_rows_says_it_read_a_sample(tmp_path):
    df = table(300).assign(empty=np.nan)
    df.to_parquet(tmp_path / "empty.parquet")
    with pytest.warns(UserWarning, match="missing values"), \
            pytest.raises(DataValidationError,
                          match="sample of 300 of the source's 300 rows.*at least 10 complete"):
        CCGMSynthesizer(epochs=1, **PARAMS).fit(tmp_path / "empty.parquet")


def test_a_verbose_fit_shows_the_reading_pass_and_each_epochs_rows(tmp_path, capsys):
    df = table(1500)
    write_parts(df, tmp_path / "d", parts=2, row_group=400)
    capsys.readouterr()
    CCGMSynthesizer(epochs=2, patience=5, **PARAMS).fit(str(tmp_path / "d"), graph=GRAPH)
    assert capsys.readouterr().err == ""
    model = CCGMSynthesizer(epochs=2, patience=5, verbose=1, **PARAMS)
    model.fit(str(tmp_path / "d"), graph=GRAPH)
    err = capsys.readouterr().err
    assert "read: 100%" in err and "1.50k/1.50k" in err  # every row of the source
    trained = model.history_[0]["rows"]  # the rows an epoch trains on: its bar's total
    assert 1000 < trained < 1500
    for epoch in (1, 2):  # each epoch's bar (cleared when the epoch ends)
        assert f"epoch {epoch}:   0%|          | 0.00/{trained / 1000:.2f}k" in err, err
    assert "fit: 100%|" in err and "2/2" in err

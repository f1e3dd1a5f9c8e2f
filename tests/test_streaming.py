"""Block-seeded generation and streaming to Parquet: the same rows whatever the chunking,
no block repeating another, bounded memory, clear errors."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import debiasgen.model.partition as partition
from debiasgen import CCGMSynthesizer, DataValidationError, InvalidParameterError
from debiasgen.model.partition import block_seed, generate_partition, partition_seeds

pytest.importorskip("pyarrow")

BLOCK = 500  # small blocks keep the tests fast; the logic does not depend on the size


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(partition, "BLOCK_ROWS", BLOCK)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 800
    s = rng.choice(["f", "m"], n)
    x = rng.normal(size=n) + (s == "m")
    x[rng.random(n) < 0.1] = np.nan  # missing values stream too
    y = pd.Categorical(np.where(np.nan_to_num(x) + rng.normal(size=n) > 0.5, "hi", "lo"))
    k = rng.integers(0, 4, n)
    return pd.DataFrame({"s": s, "x": x, "k": k, "y": y})


@pytest.fixture(scope="module")
def synth(data):
    graph = [("s", "x"), ("x", "y"), ("s", "y"), ("k", "y")]
    return CCGMSynthesizer(epochs=2, hidden_size=16, random_state=0).fit(data, graph=graph)


def test_the_file_holds_the_same_rows_whatever_the_chunk_size(synth, tmp_path):
    n = 3 * BLOCK + 123
    frames = []
    for chunk in (1, 77, BLOCK, 2 * BLOCK + 1, 10 * n):
        path = synth.sample_to_parquet(tmp_path / f"c{chunk}.parquet", n, chunk_rows=chunk,
                                       random_state=7)
        frames.append(pd.read_parquet(path))
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    # and they are the rows sample() returns in memory, with the training dtypes
    pd.testing.assert_frame_equal(frames[0], synth.sample(n, random_state=7))
    assert frames[0].dtypes.equals(synth.sample(5, random_state=0).dtypes)


def test_row_groups_follow_chunk_rows(synth, tmp_path):
    import pyarrow.parquet as pq

    path = synth.sample_to_parquet(tmp_path / "g.parquet", 1000, chunk_rows=300,
                                   random_state=0)
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [300, 300, 300, 100]


def test_intervened_and_debiased_rows_stream_like_in_memory(synth, tmp_path):
    n = 2 * BLOCK + 10
    path = synth.sample_to_parquet(tmp_path / "do.parquet", n, interventions={"s": "f"},
                                   chunk_rows=333, random_state=3)
    streamed = pd.read_parquet(path)
    pd.testing.assert_frame_equal(streamed, synth.intervene({"s": "f"}, n, random_state=3))
    assert (streamed["s"] == "f").all()
    fair = synth.debias(sensitive="s", target="y", criterion="dp")
    path = fair.sample_to_parquet(tmp_path / "dp.parquet", n, chunk_rows=250, random_state=4)
    pd.testing.assert_frame_equal(pd.read_parquet(path), fair.sample(n, random_state=4))


def test_blocks_and_partitions_have_distinct_seeds():
    blocks = [block_seed(11, b) for b in range(2000)]
    parts = partition_seeds(11, 64)
    assert len(set(blocks)) == 2000 and len(set(parts)) == 64
    assert not set(parts) & set(blocks)
    assert block_seed(11, 5) == block_seed(11, 5) and block_seed(11, 5) != block_seed(12, 5)


def test_blocks_do_not_repeat_each_other(synth):
    rows = synth.sample(4 * BLOCK, random_state=1)
    x = rows["x"].to_numpy()
    blocks = [x[b * BLOCK:(b + 1) * BLOCK] for b in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            same = np.mean((blocks[i] == blocks[j]) | (np.isnan(blocks[i]) & np.isnan(blocks[j])))
            # two independent blocks agree in a position only by chance (a few percent
            # with ~64 bins of training values and 10% missing), never wholesale
            assert same < 0.5


def test_partitions_spawned_from_one_seed_differ_and_repeat(synth):
    seeds = partition_seeds(5, 3)
    parts = [generate_partition(synth, 300, s) for s in seeds]
    assert not parts[0].equals(parts[1]) and not parts[1].equals(parts[2])
    pd.testing.assert_frame_equal(generate_partition(synth, 300, seeds[1]), parts[1])
    assert list(parts[0].index) == list(range(300))


def test_counterfactuals_of_a_file_match_in_memory(synth, data, tmp_path):
    source = tmp_path / "rows.parquet"
    # a source cut into odd row groups: the output must not depend on them
    data.to_parquet(source, row_group_size=123)
    out = synth.counterfactual_to_parquet(source, tmp_path / "cf.parquet", {"s": "m"},
                                          chunk_rows=200, random_state=9)
    streamed = pd.read_parquet(out)
    expected = synth.counterfactual(pd.read_parquet(source), {"s": "m"}, random_state=9)
    pd.testing.assert_frame_equal(streamed, expected.reset_index(drop=True))
    assert (streamed["s"] == "m").all()
    # k is no descendant of s: kept exactly
    assert streamed["k"].tolist() == data["k"].tolist()


def test_memory_stays_about_one_chunk(synth, tmp_path):
    """Peak Python-heap memory (numpy and pandas buffers) of streaming 4x more rows
    grows by far less than 4x: it is about one chunk and one block."""
    def peak(n):
        tracemalloc.start()
        synth.sample_to_parquet(tmp_path / f"m{n}.parquet", n, chunk_rows=BLOCK,
                                random_state=0)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(4 * BLOCK), peak(16 * BLOCK)
    assert large < 1.5 * small


def test_bad_paths_and_sources_are_clear_errors(synth, tmp_path):
    with pytest.raises(DataValidationError, match="does not exist; create it first"):
        synth.sample_to_parquet(tmp_path / "no" / "x.parquet", 10)
    with pytest.raises(DataValidationError, match="it is a directory"):
        synth.sample_to_parquet(tmp_path, 10)
    with pytest.raises(InvalidParameterError, match="chunk_rows must be an integer >= 1"):
        synth.sample_to_parquet(tmp_path / "x.parquet", 10, chunk_rows=0)
    with pytest.raises(InvalidParameterError, match="n must be an integer >= 1"):
        synth.sample_to_parquet(tmp_path / "x.parquet", 0)
    with pytest.raises(DataValidationError, match="does not exist or is not a file"):
        synth.counterfactual_to_parquet(tmp_path / "missing.parquet", tmp_path / "o.parquet",
                                        {"s": "m"})
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(DataValidationError, match="not a readable Parquet file"):
        synth.counterfactual_to_parquet(junk, tmp_path / "o.parquet", {"s": "m"})
    other = tmp_path / "other.parquet"
    pd.DataFrame({"s": ["f"], "q": [1.0]}).to_parquet(other)
    with pytest.raises(DataValidationError, match="lacks the fitted columns|not fitted on"):
        synth.counterfactual_to_parquet(other, tmp_path / "o.parquet", {"s": "m"})
    assert not (tmp_path / "o.parquet").exists()  # nothing half-written is left
    assert not list(tmp_path.glob(".*partial"))


def test_without_pyarrow_the_error_names_the_extra(synth, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"debiasgen\[parquet\]"):
        synth.sample_to_parquet(tmp_path / "x.parquet", 10)


def test_the_command_line_streams_the_same_rows(synth, tmp_path):
    from debiasgen.integrations.cli import main

    model = tmp_path / "m.dbg"
    synth.save(model)
    n = 2 * BLOCK + 7
    for out, chunk in [("a.parquet", 100), ("b.parquet", 5000), ("a.csv", 100), ("b.csv", 5000)]:
        assert main(["sample", str(model), "-n", str(n), "-o", str(tmp_path / out),
                     "--chunk-rows", str(chunk), "--random-state", "3", "-q"]) == 0
    expected = synth.sample(n, random_state=3)
    for name in ("a.parquet", "b.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), expected)
    a, b = (tmp_path / "a.csv").read_text(), (tmp_path / "b.csv").read_text()
    assert a == b and a == expected.to_csv(index=False)
    assert main(["intervene", str(model), "--do", "s=f", "-n", "50", "-o",
                 str(tmp_path / "do.parquet"), "--chunk-rows", "7", "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "do.parquet"),
                                  synth.intervene({"s": "f"}, 50, random_state=0))


def test_rows_that_cannot_fit_on_disk_are_refused_at_once(synth, tmp_path):
    with pytest.raises(InvalidParameterError, match=r"n=10,000,000,000,000 rows .* on disk"):
        synth.sample_to_parquet(tmp_path / "x.parquet", 10**13)
    assert not list(tmp_path.iterdir())


def test_progress_bars_count_the_rows_only_when_verbose(synth, data, tmp_path, capsys):
    import copy

    source = tmp_path / "rows.parquet"
    data.to_parquet(source)
    n = 3 * BLOCK + 7  # several blocks: the in-memory sample shows a bar too
    capsys.readouterr()
    for verbose in (0, 1):
        model = copy.deepcopy(synth).set_params(verbose=verbose)
        model.sample_to_parquet(tmp_path / "s.parquet", n, random_state=0)
        model.sample(n, random_state=0)
        model.counterfactual_to_parquet(source, tmp_path / "c.parquet", {"s": "m"},
                                        random_state=0)
        err = capsys.readouterr().err
        if not verbose:
            assert err == ""
            continue
        # each bar ends at its total: the rows generated, or the source's rows
        assert err.count("sample: 100%") == 2, err
        assert f"{n / 1000:.2f}k/{n / 1000:.2f}k" in err
        assert "counterfactual: 100%" in err and f"{len(data)}/{len(data)}" in err


@pytest.mark.parametrize("buffer_rows, batch_size", [(0, 4), (10, 4), (37, 8), (1000, 16)])
def test_shuffle_blocks_yield_every_row_once_in_whole_batches(buffer_rows, batch_size):
    from debiasgen.nn.streaming import shuffle_blocks

    rng = np.random.default_rng(0)
    sizes = [13, 0, 29, 7, 64, 1, 30]  # an empty chunk, a chunk larger than the first
    ids = np.arange(sum(sizes))
    chunks, start = [], 0
    for n in sizes:
        rows = ids[start:start + n]
        chunks.append((rows[:, None].repeat(3, axis=1), rows[:, None] * 0.5))
        start += n
    blocks = list(shuffle_blocks(iter(chunks), buffer_rows, batch_size, rng))
    seen = np.concatenate([c[:, 0] for c, _ in blocks])
    np.testing.assert_array_equal(np.sort(seen), ids)  # each row exactly once
    for c, v in blocks:  # rows stay whole: codes and values of the same row
        assert (c == c[:, :1]).all() and np.array_equal(v[:, 0], c[:, 0] * 0.5)
    assert all(len(c) % batch_size == 0 for c, _ in blocks[:-1])


def test_shuffle_blocks_draw_uniformly_from_the_buffer():
    # with a buffer of 1,000 rows, the first block leaves drawn from the first 1,000 +
    # 256 rows alike: each of the five chunks of 256 rows gives about a fifth of it
    from debiasgen.nn.streaming import shuffle_blocks

    counts = np.zeros(5)
    for seed in range(40):
        rng = np.random.default_rng(seed)
        chunks = [(np.full((256, 1), k), np.zeros((256, 1))) for k in range(5)]
        first = next(shuffle_blocks(iter(chunks), 1000, 64, rng))[0][:, 0]
        assert len(first) == 256
        counts += np.bincount(first, minlength=5)
    share = counts / counts.sum()
    np.testing.assert_allclose(share, 0.2, atol=0.02)

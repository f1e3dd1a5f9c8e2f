"""The unit of generation work: blocks of rows, each a pure function of (model, seed).

Generated rows come in blocks of :data:`BLOCK_ROWS`.  Block ``b`` of a draw seeded by
``root`` is generated from the seed ``SeedSequence(root, spawn_key=(b,))`` alone, so

* the same ``(model, n, root)`` gives the same rows however they are cut into chunks
  for writing (in memory, Parquet row groups, Dask partitions of one draw);
* blocks never repeat each other (their seeds are distinct children of one
  ``SeedSequence``), nor do partitions that spawn their roots from one seed.

:func:`generate_partition` is the pure partition function the engines call: the
in-process loop of :meth:`CCGMSynthesizer.sample`, Parquet streaming, Dask's
``from_map`` and a Spark ``mapInPandas`` recipe.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from debiasgen.core.progress import progress
from debiasgen.core.validation import SEED_LIMIT, check_int

__all__ = ["BLOCK_ROWS", "block_seed", "generate_partition", "iter_blocks", "partition_seeds",
           "reblock", "source_blocks"]

BLOCK_ROWS = 65_536  # rows generated (and decoded) at a time


def block_seed(root: int, block: int) -> int:
    """The seed of block ``block`` of a draw seeded by ``root``."""
    state = np.random.SeedSequence(int(root), spawn_key=(int(block),)).generate_state(2, np.uint64)
    return int((int(state[0]) << 64 | int(state[1])) % SEED_LIMIT)


def partition_seeds(root: int, npartitions: int) -> list[int]:
    """One root seed per partition, spawned from ``root`` (never equal to a block seed
    of ``root`` itself: spawned children live under a different key)."""
    children = np.random.SeedSequence(int(root)).spawn(int(npartitions))
    return [int(c.generate_state(1, np.uint64)[0]) % SEED_LIMIT for c in children]


def iter_blocks(model, n: int, root: int, *, hooks=None) -> Iterator[pd.DataFrame]:
    """The ``n`` rows of the draw seeded by ``root``, decoded block by block.

    ``model`` is a fitted :class:`~debiasgen.CCGMSynthesizer` (its removed edges
    apply); ``hooks`` are interventions already translated by
    :func:`debiasgen.model.interventions.make_hooks`.
    """
    block_rows = BLOCK_ROWS
    for b, start in enumerate(range(0, n, block_rows)):
        m = min(block_rows, n - start)
        codes, values = model.network_.generate(
            m, block_seed(root, b), hooks=hooks, removal=model._removal
        )
        yield model.encoder_.decode(codes, values)


def generate_partition(model, n_rows: int, seed: int, interventions=None) -> pd.DataFrame:
    """``n_rows`` rows of ``model`` drawn from ``seed``: the pure partition function.

    Parameters
    ----------
    model : CCGMSynthesizer
        Fitted (plain or de-biased).
    n_rows : int
        At least 1.
    seed : int
        The partition's root seed (e.g. one of :func:`partition_seeds`).
    interventions : dict, optional
        ``{column: value or callable}``, as for :meth:`CCGMSynthesizer.intervene`.

    Returns
    -------
    DataFrame
        The training columns and dtypes, index ``0 .. n_rows - 1``.
    """
    from debiasgen.model.interventions import make_hooks

    n_rows = check_int("n_rows", n_rows, 1)
    hooks = make_hooks(model.encoder_, interventions) if interventions else None
    return pd.concat(list(iter_blocks(model, n_rows, seed, hooks=hooks)), ignore_index=True)


def reblock(frames, rows: int) -> Iterator[pd.DataFrame]:
    """The rows of ``frames`` regrouped into frames of exactly ``rows`` rows (the last
    may be shorter), whatever the sizes of the frames given."""
    pending, n_pending = [], 0
    for frame in frames:
        pending.append(frame)
        n_pending += len(frame)
        while n_pending >= rows:
            joined = pd.concat(pending, ignore_index=True)
            yield joined.iloc[:rows].reset_index(drop=True)
            rest = joined.iloc[rows:]
            pending, n_pending = ([rest] if len(rest) else []), len(rest)
    if n_pending:
        yield pd.concat(pending, ignore_index=True)


def source_blocks(source, block_rows: int, *, verbose, desc: str
                  ) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(b, frame)`` for block ``b`` of a Parquet file's rows, blocks of exactly
    ``block_rows`` rows (the last may be shorter) whatever the file's row groups, with
    a progress bar ``desc`` over the file's rows while ``verbose``."""
    from debiasgen.io.parquet import iter_parquet, parquet_rows

    with progress(verbose, parquet_rows(source) if verbose else None, desc) as bar:
        for b, frame in enumerate(reblock(iter_parquet(source, block_rows), block_rows)):
            yield b, frame
            bar.update(len(frame))


def sample_to_parquet(model, path, n, *, interventions=None, chunk_rows, random_state):
    """Stream ``n`` generated rows into a Parquet file (see the synthesizer's method)."""
    from pathlib import Path

    from debiasgen.core.validation import check_disk_rows, check_rows, seed_from
    from debiasgen.io.parquet import ParquetSink
    from debiasgen.model.interventions import make_hooks

    n = check_int("n", n, 1, 10**13)
    chunk_rows = check_rows(chunk_rows, len(model.encoder_.layout_), name="chunk_rows")
    if isinstance(path, (str, Path)):
        check_disk_rows(n, len(model.encoder_.layout_), Path(path).parent, 0.1)
    hooks = make_hooks(model.encoder_, interventions) if interventions else None
    root = seed_from(random_state)
    with progress(model.verbose, n, "sample") as bar, ParquetSink(path, chunk_rows) as sink:
        for frame in iter_blocks(model, n, root, hooks=hooks):
            sink.write(frame)
            bar.update(len(frame))
    return sink.path


def counterfactual_to_parquet(model, source, path, interventions=None, *, chunk_rows,
                              random_state):
    """Stream the counterfactuals of a Parquet file's rows into another Parquet file."""
    from debiasgen.core.validation import check_rows, seed_from
    from debiasgen.io.parquet import ParquetSink

    chunk_rows = check_rows(chunk_rows, len(model.encoder_.layout_), name="chunk_rows")
    root = seed_from(random_state)
    with ParquetSink(path, chunk_rows) as sink:
        for b, frame in source_blocks(source, BLOCK_ROWS, verbose=model.verbose,
                                      desc="counterfactual"):
            sink.write(model._counterfactual(frame, interventions, root, first_block=b))
    return sink.path

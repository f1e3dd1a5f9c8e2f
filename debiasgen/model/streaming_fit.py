"""Fitting a :class:`~debiasgen.CCGMSynthesizer` from Parquet, in bounded memory.

``CCGMSynthesizer.fit(X)`` with ``X`` a Parquet path, folder, glob, list of paths or
``pyarrow.dataset`` lands here (:func:`fit_parquet`).  Memory is bounded by the
batch, the shuffle buffer, the encoder's sample and the held-out rows, never by the
number of rows:

1. **Encoder pass.**  The row groups are read in file order, a batch of
   :data:`READ_ROWS` rows at a time (``ParquetFile.iter_batches``); every batch is
   checked with ``validate_frame`` and summarised by
   :class:`~debiasgen.core.sketch.FrameSketch`: exact categories and missing counts,
   and for each numeric column a uniform sample of at most
   :data:`~debiasgen.core.sketch.RESERVOIR_ROWS` values plus its exact minimum and
   maximum, from which its quantile bins and training values are taken.  The same
   pass keeps the held-out rows.
2. **Held-out rows.**  Row ``i`` of the source (counted across files in order) is
   held out when a 64-bit hash of ``i`` under the fit's seed falls below a threshold:
   a deterministic share of ``validation_fraction`` of the rows, at most about
   :data:`VALIDATION_ROWS` (the share is lowered on larger sources; none below 20
   rows, as in memory).  Held-out rows never train.
3. **Epochs.**  Every epoch reads the row groups in an order shuffled from the fit's
   seed, encodes each batch with the fitted encoder and trains through a shuffle
   buffer of :data:`BUFFER_ROWS` rows (:mod:`debiasgen.nn.streaming`), with the
   ELBO step, early stopping and best-weights restore of the in-memory fit.

A row group is read in batches, but pyarrow decodes a row group's column chunks
whole: memory also grows with the largest row group (write files with row groups
of about a million rows or fewer).

Without a graph, or with ``learn_edges=True``, the encoder pass also keeps a hashed
sample of whole rows (each row with probability about :data:`SAMPLE_ROWS` over the
row count, under the fit's seed).  The graph is discovered on it
(:func:`~debiasgen.structure.discover_graph`, which uses at most 20,000 of its
complete rows, as it does in memory), and edges are learned on it (from at most
20,000 of its rows, as in memory); the epochs then stream under the resulting graph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from debiasgen.core.encoding import TabularEncoder
from debiasgen.core.progress import progress
from debiasgen.core.sketch import RESERVOIR_ROWS
from debiasgen.core.validation import seed_from
from debiasgen.exceptions import DataValidationError, DebiasgenError
from debiasgen.io.parquet import open_source
from debiasgen.model.synthesizer import _fit_graph
from debiasgen.structure.knowledge import check_knowledge

__all__ = ["BUFFER_ROWS", "READ_ROWS", "SAMPLE_ROWS", "VALIDATION_ROWS", "fit_parquet",
           "held_out"]

READ_ROWS = 16_384  # rows read (and encoded) at a time
BUFFER_ROWS = 65_536  # rows of the shuffle buffer
VALIDATION_ROWS = 65_536  # held-out rows kept in memory, at most about
SAMPLE_ROWS = 40_000  # rows sampled for discovery and edge learning, about


def held_out(first_row: int, n: int, key: int, threshold: int) -> np.ndarray:
    """Whether rows ``first_row .. first_row + n - 1`` of the source are held out:
    splitmix64 of the row number (xor ``key``) below ``threshold`` (of ``2**64``)."""
    with np.errstate(over="ignore"):
        z = np.arange(first_row, first_row + n, dtype=np.uint64) ^ np.uint64(key)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z < np.uint64(threshold)


def _in_file(err: DebiasgenError, group) -> DebiasgenError:
    """``err`` again, with the file and row group it was found in."""
    return type(err)(f"X: in {group.file!r} (row group {group.index}): {err}")


def fit_parquet(estimator, source, graph, *, learn_edges: bool, sensitive=None, target=None,
                required=None, forbidden=None, tiers=None, sample_rows: int = RESERVOIR_ROWS):
    """Fit ``estimator`` (parameters already validated) on Parquet ``source``; returns it.

    The estimator is changed only once everything is computed, so a failed refit
    leaves an earlier fit whole.  See the module's docstring for what is read when.

    Raises
    ------
    DataValidationError, InvalidTypeError
        See :func:`debiasgen.io.parquet.open_source` and ``validate_frame``; a
        batch's error names its file and row group.
    """
    from debiasgen.nn.network import Fitting

    device = estimator._torch_device()  # "cuda" without CUDA fails before any work
    src = open_source(source)
    columns = src.columns
    knowledge = check_knowledge(columns, sensitive=sensitive, target=target,
                                required=required, forbidden=forbidden, tiers=tiers)
    if graph is not None:  # checked before the pass, which may be long
        graph = _fit_graph(graph, columns, knowledge, estimator.unmentioned, learn_edges)

    seed = seed_from(estimator.random_state)
    sketch_seed, key, order_seed = np.random.SeedSequence(seed).generate_state(3, np.uint64)
    sample_key = np.random.SeedSequence([seed, 3]).generate_state(1, np.uint64)[0]
    n = src.n_rows
    n_val = min(int(round(n * estimator.validation_fraction)) if n >= 20 else 0,
                VALIDATION_ROWS)
    threshold = min(int(n_val / n * 2.0**64), 2**64 - 1)
    sampled = graph is None or learn_edges
    sample_threshold = min(int(SAMPLE_ROWS / n * 2.0**64), 2**64 - 1) if sampled else 0
    held: list[pd.DataFrame] = []
    sample: list[pd.DataFrame] = []
    reading = {"group": None}  # the row group being read, for errors

    def first_pass():
        with progress(estimator.verbose, n, "read") as bar:
            for group, offset, frame in src.iter_batches(READ_ROWS):
                reading["group"] = group
                for share, rows, k in ((threshold, held, key), (sample_threshold, sample,
                                                                sample_key)):
                    if share:
                        mask = held_out(group.first_row + offset, len(frame), int(k), share)
                        if mask.any():
                            rows.append(frame[mask])
                            if len(rows) >= 256:  # few rows a frame on large sources
                                rows[:] = [pd.concat(rows, ignore_index=True)]
                yield frame
                bar.update(len(frame))
        reading["group"] = None

    encoder = TabularEncoder(max_bins=estimator.max_bins)
    try:
        encoder.fit_stream(first_pass(), sample_rows=sample_rows, seed=int(sketch_seed))
    except DebiasgenError as err:
        if reading["group"] is None:
            raise
        raise _in_file(err, reading["group"]) from None
    rows = pd.concat(sample, ignore_index=True) if sample else pd.DataFrame(columns=columns)
    sample.clear()
    if graph is None:
        from debiasgen.structure.discovery import discover_graph

        try:
            found = discover_graph(
                rows, sensitive=sensitive, target=target, required=required,
                forbidden=forbidden, tiers=tiers, random_state=seed,
                verbose=bool(estimator.verbose))
        except DataValidationError as err:
            raise DataValidationError(
                f"discovering the graph on a sample of {len(rows):,} of the source's "
                f"{n:,} rows: {err}") from None
        graph = _fit_graph(found, columns, knowledge, estimator.unmentioned, learn_edges)
    fitting = Fitting(seed, device=device)
    network = estimator._network(fitting, encoder, graph)
    learned_edges, edge_scores = (), None
    if learn_edges:  # as in memory: after the first network, then a new one
        codes, values = encoder.encode(rows)
        graph, learned_edges, edge_scores = estimator._learn_edge_rounds(
            fitting, rows, knowledge, encoder, graph, codes, values)
        network = estimator._network(fitting, encoder, graph)
        del codes, values
    del rows
    validation = None
    if held:
        validation = encoder.encode(pd.concat(held, ignore_index=True))
        held.clear()
    n_train = n - (0 if validation is None else len(validation[0]))

    def epoch_chunks(epoch: int):
        rng = np.random.default_rng(np.random.SeedSequence(int(order_seed), spawn_key=(epoch,)))
        order = [src.row_groups[i] for i in rng.permutation(len(src.row_groups))]
        for group, offset, frame in src.iter_batches(READ_ROWS, order):
            if threshold:
                frame = frame[~held_out(group.first_row + offset, len(frame), int(key),
                                        threshold)]
            if len(frame):
                yield encoder.encode(frame)

    history = fitting.train_stream(
        network, epoch_chunks, validation, epochs=estimator.epochs,
        batch_size=estimator._batch_size(n - n_val), learning_rate=estimator.learning_rate,
        patience=estimator.patience, buffer_rows=BUFFER_ROWS, verbose=estimator.verbose,
        train_rows=n_train,
    )
    # Everything is computed; only now is the estimator changed.
    estimator.__dict__.pop("edge_scores_", None)
    if edge_scores is not None:
        estimator.edge_scores_ = edge_scores
    estimator.n_features_in_ = len(columns)
    estimator.feature_names_in_ = np.asarray(columns, dtype=object)
    estimator.graph_, estimator.encoder_, estimator.network_ = graph, encoder, network
    estimator.history_, estimator.learned_edges_ = history, learned_edges
    estimator.removed_edges_ = ()
    estimator._removal = None
    return estimator

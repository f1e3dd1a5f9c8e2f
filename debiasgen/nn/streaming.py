"""ELBO training from a stream of rows, with memory bounded by a shuffle buffer.

The rows of an epoch come as ``(codes, values)`` numpy chunks (the encoded batches of
Parquet row groups, in a shuffled row-group order).  They pass a shuffle buffer
(:func:`shuffle_blocks`) of ``buffer_rows`` rows: each chunk joins the buffer, and the
rows beyond ``buffer_rows`` leave it drawn uniformly at random from all the rows it
then holds, so a training batch mixes rows of many row groups.  Each training step is
the ELBO step of :mod:`debiasgen.nn.train` (teacher forcing); early stopping on the
held-out rows and the restoring of the best weights work as there.  Nothing here
depends on the number of rows: only the buffer, one chunk and the held-out rows
(bounded by the caller) are in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch

from debiasgen.core.progress import progress
from debiasgen.nn.train import EpochLoop, _negative_elbo

__all__ = ["EVAL_ROWS", "shuffle_blocks", "train_stream"]

EVAL_ROWS = 8_192  # held-out rows evaluated at a time (bounds the activations' memory)

Chunk = tuple[np.ndarray, np.ndarray]


def shuffle_blocks(chunks: Iterable[Chunk], buffer_rows: int, batch_size: int,
                   rng: np.random.Generator) -> Iterator[Chunk]:
    """The rows of ``chunks`` in shuffled order, in blocks of whole batches.

    Each chunk joins the buffer; while it holds more than ``buffer_rows`` rows, a
    whole number of batches of its rows, drawn uniformly at random from all the rows
    it holds, leaves it as one block.  At the end the rest leaves in random order
    (the last block may end in a partial batch).  Memory: the buffer plus one chunk.
    """
    pool: Chunk | None = None
    for codes, values in chunks:
        if len(codes) == 0:
            continue
        if pool is None:
            pool = (codes, values)
        else:
            pool = (np.concatenate([pool[0], codes]), np.concatenate([pool[1], values]))
        excess = len(pool[0]) - buffer_rows
        if excess >= batch_size:
            n_out = excess // batch_size * batch_size
            perm = rng.permutation(len(pool[0]))
            out, keep = perm[:n_out], perm[n_out:]
            yield pool[0][out], pool[1][out]
            pool = (pool[0][keep], pool[1][keep])
    if pool is not None and len(pool[0]):
        perm = rng.permutation(len(pool[0]))
        yield pool[0][perm], pool[1][perm]


def _tensors(codes: np.ndarray, values: np.ndarray, device):
    return (torch.as_tensor(np.ascontiguousarray(codes, dtype=np.int64), device=device),
            torch.as_tensor(np.ascontiguousarray(values, dtype=np.float64), device=device))


def _validation_loss(model, codes, values, generator) -> float:
    """The mean negative ELBO of the held-out rows, ``EVAL_ROWS`` rows at a time."""
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(codes), EVAL_ROWS):
            c, v = _tensors(codes[start:start + EVAL_ROWS], values[start:start + EVAL_ROWS],
                            generator.device)
            loss = _negative_elbo(model, model.features(c, v), c, generator)
            total += float(loss) * len(c)
    return total / len(codes)


def train_stream(model, epoch_chunks: Callable[[int], Iterable[Chunk]],
                 validation: Chunk | None, *, epochs: int, batch_size: int,
                 learning_rate: float, patience: int, buffer_rows: int,
                 generator: torch.Generator, verbose: int = 0,
                 train_rows: int | None = None) -> list[dict]:
    """Fit all mechanisms from a stream of rows; returns one history record per epoch.

    Parameters
    ----------
    model : CausalVAE
    epoch_chunks : callable
        ``epoch_chunks(epoch)`` (``epoch`` from 0) yields the training rows of that
        epoch as ``(codes, values)`` chunks.
    validation : (codes, values) or None
        Held-out rows for early stopping (``None`` or empty: no early stopping).
    epochs, batch_size, learning_rate, patience :
        As for :func:`debiasgen.nn.train.train`.
    buffer_rows : int
        Rows of the shuffle buffer.
    generator : torch.Generator
        The fit's random stream (the buffer's shuffling is seeded from it).
    verbose : int
        ``>0``: a progress bar over the epochs, and one over each epoch's rows.
    train_rows : int, optional
        The rows of an epoch (the total of each epoch's bar).
    """
    device = generator.device  # the network's device (the fit's generator lives there)
    rng = np.random.default_rng(
        int(torch.randint(2**62, (1,), generator=generator, device=device)))
    has_val = validation is not None and len(validation[0]) > 0
    loop = EpochLoop(model, epochs=epochs, patience=patience, learning_rate=learning_rate,
                     verbose=verbose, hidden=("epoch", "rows"))
    for epoch in range(epochs):
        model.train()
        # summed on the device, read once per epoch (reading every step makes a GPU wait)
        total, seen = torch.zeros((), dtype=torch.float64, device=device), 0
        blocks = shuffle_blocks(epoch_chunks(epoch), buffer_rows, batch_size, rng)
        with progress(verbose, train_rows, f"epoch {epoch + 1}", leave=False) as bar:
            for codes, values in blocks:
                codes_t, values_t = _tensors(codes, values, device)
                feats = model.features(codes_t, values_t)
                for start in range(0, len(codes_t), batch_size):
                    c = codes_t[start:start + batch_size]
                    step = loop.step(feats[start:start + batch_size], c, generator)
                    total += step.double() * len(c)
                    seen += len(c)
                bar.update(len(codes))
        record = {"epoch": epoch + 1, "train_loss": float(total) / max(seen, 1), "rows": seen}
        if has_val:
            model.eval()
            record["val_loss"] = _validation_loss(model, *validation, generator)
        if loop.end_epoch(record):
            break
    return loop.finish()

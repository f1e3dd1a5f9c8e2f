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
    (the last block may end in a partial batch).  Memory: the buffer, a batch and
    up to two chunks' rows.

    The buffer is kept in place: a chunk is copied in behind the rows held, and the
    rows left behind by a block fill its holes, so each row is copied a few times
    whatever ``buffer_rows`` (joining all held rows to every chunk copied the whole
    buffer each time).
    """
    codes = values = None
    held = 0
    for c, v in chunks:
        if len(c) == 0:
            continue
        if codes is None or held + len(c) > len(codes):
            # room for what a draw leaves (under buffer_rows + batch_size) and a chunk
            # of up to twice this one's rows: rarely allocated again
            room = max(buffer_rows + batch_size, held) + 2 * len(c)
            grown_c = np.empty((room, *c.shape[1:]), dtype=c.dtype)
            grown_v = np.empty((room, *v.shape[1:]), dtype=v.dtype)
            if codes is not None:
                grown_c[:held], grown_v[:held] = codes[:held], values[:held]
            codes, values = grown_c, grown_v
        codes[held:held + len(c)], values[held:held + len(c)] = c, v
        held += len(c)
        excess = held - buffer_rows
        if excess >= batch_size:
            n_out = excess // batch_size * batch_size
            out = rng.choice(held, n_out, replace=False)  # uniform, in random order
            yield codes[out], values[out]
            # the rows not drawn from the top n_out move into the holes below it
            rest = held - n_out
            drawn_top = np.zeros(n_out, dtype=bool)
            drawn_top[out[out >= rest] - rest] = True
            holes = out[out < rest]
            stay = rest + np.flatnonzero(~drawn_top)
            codes[holes], values[holes] = codes[stay], values[stay]
            held = rest
    if held:
        perm = rng.permutation(held)
        yield codes[perm], values[perm]


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

"""ELBO training of the causal VAE with teacher forcing and early stopping."""

from __future__ import annotations

import copy
import math

import torch


def _negative_elbo(model, feats, codes, generator):
    eps = torch.randn(model.n_nodes, codes.shape[0], model.latent_dim, generator=generator,
                      device=generator.device)
    nll, kl = model.elbo_terms(feats, codes, eps)
    return (nll + kl).sum(0).mean()


def _adam(params, learning_rate: float) -> torch.optim.Adam:
    """Adam as one fused kernel per step where torch has one for the parameters'
    device (on CPU from torch 2.4), else one multi-tensor update (``foreach``) instead
    of one per weight tensor."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=learning_rate, fused=True)
    except RuntimeError:  # fused=True is not supported for this device and torch
        return torch.optim.Adam(params, lr=learning_rate, foreach=True)


class EpochLoop:
    """What the in-memory and the streaming fits share around their epochs: the
    optimizer step, early stopping on the validation loss with the best weights
    restored, and the optional progress bar."""

    #: The relative validation-loss gain that counts as an improvement.
    tolerance = 5e-4
    #: The learning-rate factor after an epoch without improvement: the late epochs
    #: refine instead of wandering (on Adult: 13 epochs instead of 18 to 24, at a
    #: better validation loss; benchmarks/scale.py).
    decay = 0.3

    def __init__(self, model, *, epochs: int, patience: int, learning_rate: float,
                 verbose: int, hidden=("epoch",)):
        self.model, self.patience, self.hidden = model, patience, hidden
        self.optimizer = _adam(model.parameters(), learning_rate)
        self.best, self.best_state, self.stale, self.history = math.inf, None, 0, []
        self.progress = None
        if verbose:
            from tqdm.auto import tqdm

            self.progress = tqdm(total=epochs, desc="fit", unit="epoch")

    def step(self, feats, codes, generator) -> torch.Tensor:
        """One optimizer step on a batch; returns the batch's detached loss."""
        loss = _negative_elbo(self.model, feats, codes, generator)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def end_epoch(self, record: dict) -> bool:
        """Record an epoch (with ``val_loss`` when there are validation rows); whether
        training should stop."""
        if "val_loss" in record:
            best = self.best
            gain = self.tolerance * abs(best if math.isfinite(best) else 1.0)
            if record["val_loss"] < best - gain:
                self.best, self.stale = record["val_loss"], 0
                self.best_state = copy.deepcopy(self.model.state_dict())
            else:
                self.stale += 1
                for group in self.optimizer.param_groups:
                    group["lr"] *= self.decay
        self.history.append(record)
        if self.progress is not None:
            self.progress.update(1)
            self.progress.set_postfix(
                {k: round(v, 4) for k, v in record.items() if k not in self.hidden})
        return "val_loss" in record and self.stale >= self.patience

    def finish(self) -> list[dict]:
        """Close the bar, restore the best weights; the history."""
        if self.progress is not None:
            self.progress.close()
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.model.eval()
        return self.history


def train(model, feats, codes, *, epochs: int, batch_size: int, learning_rate: float,
          validation_fraction: float, patience: int, generator: torch.Generator,
          verbose: int = 0) -> list[dict]:
    """Fit all mechanisms at once (teacher forcing: observed parents as inputs).

    The rows are split once into training and validation parts; training stops
    when the validation loss has not improved for ``patience`` epochs, and the
    best weights are restored.  Returns one history record per epoch.
    """
    n = codes.shape[0]
    order = torch.randperm(n, generator=generator, device=generator.device)
    n_val = int(round(n * validation_fraction)) if n >= 20 else 0
    val_idx, train_idx = order[:n_val], order[n_val:]
    steps_per_epoch = max(1, math.ceil(len(train_idx) / batch_size))
    loop = EpochLoop(model, epochs=epochs, patience=patience, learning_rate=learning_rate,
                     verbose=verbose)
    for epoch in range(epochs):
        model.train()
        perm = train_idx[torch.randperm(len(train_idx), generator=generator,
                                        device=generator.device)]
        # summed on the device in float64 (the same sum as Python floats), read once per
        # epoch: reading the loss every step would make a GPU wait for it
        total = torch.zeros((), dtype=torch.float64, device=generator.device)
        for s in range(steps_per_epoch):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            total += loop.step(feats[idx], codes[idx], generator).double() * len(idx)
        record = {"epoch": epoch + 1, "train_loss": float(total) / len(train_idx)}
        if n_val:
            model.eval()
            with torch.no_grad():
                record["val_loss"] = float(
                    _negative_elbo(model, feats[val_idx], codes[val_idx], generator)
                )
        if loop.end_epoch(record):
            break
    return loop.finish()

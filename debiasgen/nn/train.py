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
    # foreach: one multi-tensor update per step instead of one per weight tensor
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, foreach=True)
    steps_per_epoch = max(1, math.ceil(len(train_idx) / batch_size))
    best, best_state, stale, history = math.inf, None, 0, []
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=epochs, desc="fit", unit="epoch")
    for epoch in range(epochs):
        model.train()
        perm = train_idx[torch.randperm(len(train_idx), generator=generator,
                                        device=generator.device)]
        # summed on the device in float64 (the same sum as Python floats), read once per
        # epoch: reading the loss every step would make a GPU wait for it
        total = torch.zeros((), dtype=torch.float64, device=generator.device)
        for s in range(steps_per_epoch):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            loss = _negative_elbo(model, feats[idx], codes[idx], generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach().double() * len(idx)
        record = {"epoch": epoch + 1, "train_loss": float(total) / len(train_idx)}
        if n_val:
            model.eval()
            with torch.no_grad():
                record["val_loss"] = float(
                    _negative_elbo(model, feats[val_idx], codes[val_idx], generator)
                )
            if record["val_loss"] < best - 1e-4 * abs(best if math.isfinite(best) else 1.0):
                best, stale = record["val_loss"], 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
        history.append(record)
        if progress is not None:
            progress.update(1)
            progress.set_postfix({k: round(v, 4) for k, v in record.items() if k != "epoch"})
        if n_val and stale >= patience:
            break
    if progress is not None:
        progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history

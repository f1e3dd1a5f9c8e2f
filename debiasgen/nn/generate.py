"""Level-by-level generation through the causal layer.

One generation *pass* draws the root block one root at a time (each root is
conditioned on the earlier roots, so the roots keep their joint distribution),
then every later topological level in one batched step.  Interventions are
applied as hooks right after their node is generated; a root's hook runs only
after the whole root block, so the other roots keep their own marginal
(intervening is not conditioning).

Edge removal ``(p, c)`` feeds ``c``'s mechanism the features of ``p`` from a
*shadow* pass instead of the row's own ``p`` (or a fixed reference value):

* ``shadow="independent"``: the shadow is an independent draw of a whole row,
  so ``c`` sees a value of ``p`` drawn from ``p``'s own distribution, and
  several cut parents come jointly from the same independent row;
* ``shadow="row"`` (with *decoupled* roots, the DP preset): the output row's
  decoupled roots (the sensitive attribute) are replaced by an independent
  draw, while the shadow is the same row with its original, jointly drawn roots
  and **the same exogenous noise**.  The cut parents are then what this row's
  mediators would be under a sensitive value independent of the output one, so
  the target is independent of the output sensitive attribute while keeping
  the row's other causes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

Hook = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Plan:
    """Generation order: roots one by one, then the remaining levels."""

    roots: tuple[int, ...]
    levels: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class EdgeRemoval:
    """Which mechanism inputs come from a shadow pass or a reference row.

    ``shadow_mask`` and ``reference_mask`` are ``[n_nodes, 1, n_inputs]`` booleans
    over the model's input positions; ``reference_features`` is ``[1, n_features + 1]``.
    """

    shadow_mask: torch.Tensor
    reference_mask: torch.Tensor
    reference_features: torch.Tensor
    decoupled: tuple[int, ...] = ()
    shadow: str = "independent"

    @property
    def needs_shadow(self) -> bool:
        return bool(self.shadow_mask.any())


@dataclass
class Noise:
    """Pre-drawn exogenous noise of a batch: latent ``u`` and two uniforms per node."""

    u: torch.Tensor  # [n_nodes, batch, latent_dim]
    e: torch.Tensor  # [n_nodes, batch]: class choice (inverse CDF)
    v: torch.Tensor  # [n_nodes, batch]: value choice inside a numeric bin

    @classmethod
    def draw(cls, model, n: int, generator: torch.Generator) -> Noise:
        shape = (model.n_nodes, n)
        return cls(
            torch.randn(*shape, model.latent_dim, generator=generator),
            torch.rand(*shape, generator=generator),
            torch.rand(*shape, generator=generator, dtype=torch.float64),
        )


@dataclass
class Batch:
    """Generated codes ``[batch, n_nodes]``, values and input features of one pass."""

    codes: torch.Tensor
    values: torch.Tensor
    feats: torch.Tensor
    done: set = field(default_factory=set)

    @classmethod
    def empty(cls, model, n: int) -> Batch:
        return cls(
            torch.zeros(n, model.n_nodes, dtype=torch.long),
            torch.full((n, model.n_nodes), float("nan"), dtype=torch.float64),
            torch.zeros(n, model.n_features + 1),
        )

    def set(self, model, j: int, codes: torch.Tensor, values: torch.Tensor) -> None:
        self.codes[:, j] = codes
        self.values[:, j] = values
        self.feats[:, model.feature_slices[j]] = model.column_features(j, codes, values)


def sample_classes(logits: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF class choice: ``logits [k, batch, classes]``, ``e [k, batch]``."""
    cdf = torch.softmax(logits, dim=2).cumsum(dim=2)
    codes = (cdf < e[..., None]).sum(dim=2)
    return torch.minimum(codes, torch.tensor(logits.shape[2] - 1))


def _step(model, nodes, batch, noise, removal, shadow):
    idx = torch.tensor(nodes)
    inputs = model.gather_inputs(batch.feats, idx)
    if removal is not None:
        if shadow is not None:
            cut = removal.shadow_mask[idx]
            inputs = torch.where(cut, model.gather_inputs(shadow.feats, idx), inputs)
        ref = removal.reference_mask[idx]
        if ref.any():
            inputs = torch.where(ref, model.gather_inputs(removal.reference_features, idx), inputs)
    codes = sample_classes(model.logits(inputs, noise.u[idx], idx), noise.e[idx])
    for k, j in enumerate(nodes):
        batch.set(model, j, codes[k], model.class_values(j, codes[k], noise.v[j]))


def run_pass(model, plan, noise, *, hooks=None, removal=None, shadow=None, overrides=None,
             roots_only=False) -> Batch:
    """One generation pass over ``noise``; see the module docstring."""
    hooks = hooks or {}
    n = noise.e.shape[1]
    batch = Batch.empty(model, n)
    for r in plan.roots:
        _step(model, (r,), batch, noise, removal, shadow)
    for j, (codes, values) in (overrides or {}).items():
        batch.set(model, j, codes, values)
    for r in plan.roots:
        if r in hooks:
            batch.set(model, r, *hooks[r](batch.codes[:, r], batch.values[:, r]))
    if roots_only:
        return batch
    for level in plan.levels:
        _step(model, level, batch, noise, removal, shadow)
        for j in level:
            if j in hooks:
                batch.set(model, j, *hooks[j](batch.codes[:, j], batch.values[:, j]))
    return batch


@torch.no_grad()
def generate(model, plan, n: int, generator: torch.Generator, *, hooks=None, removal=None,
             chunk_size: int = 16384) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` rows; returns ``(codes, values)``."""
    model.eval()
    codes, values = [], []
    for start in range(0, n, chunk_size):
        m = min(chunk_size, n - start)
        noise = Noise.draw(model, m, generator)
        overrides, shadow = None, None
        if removal is not None and removal.decoupled:
            free = run_pass(model, plan, Noise.draw(model, m, generator), roots_only=True)
            overrides = {r: (free.codes[:, r], free.values[:, r]) for r in removal.decoupled}
        if removal is not None and removal.needs_shadow:
            if removal.shadow == "row":
                shadow = run_pass(model, plan, noise)
            else:
                shadow = run_pass(model, plan, Noise.draw(model, m, generator))
        out = run_pass(model, plan, noise, hooks=hooks, removal=removal, shadow=shadow,
                       overrides=overrides)
        codes.append(out.codes)
        values.append(out.values)
    return torch.cat(codes), torch.cat(values)

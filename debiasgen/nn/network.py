"""The façade of :mod:`debiasgen.nn`: numpy in, numpy out.

Everything outside ``nn/`` talks to the network through this module, in the
encoder's terms: a node is a column's position in the layout, a row is a pair of
arrays ``codes`` (int64 class per node) and ``values`` (float64 number per node,
NaN for categorical nodes and missing values), and randomness is an integer seed.
No tensor, generator or torch module crosses this boundary, so a device, chunked
generation or a partition function changes only this package.

* :class:`Fitting` holds the random stream of one fit: it builds networks, learns
  edges and trains, in that order, from one seed.
* :class:`CausalNetwork` is a fitted network: it generates rows, answers
  counterfactuals, compiles edge removals, and round-trips its weights as numpy
  arrays.
* Interventions are ``{node: hook}``: a hook is a ``(code, value)`` pair (a hard
  intervention) or a callable ``(codes, values) -> (codes, values)`` on numpy
  arrays (a soft one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from debiasgen.exceptions import ModelFileError
from debiasgen.nn import gates as gated
from debiasgen.nn import location
from debiasgen.nn.generate import EdgeRemoval, Plan, counterfactual, generate, location_nodes
from debiasgen.nn.model import CausalVAE
from debiasgen.nn.train import train

__all__ = ["CausalNetwork", "Fitting", "Removal", "cuda_available", "torch_device"]


NumpyHook = tuple[int, float] | Callable[[np.ndarray, np.ndarray], tuple]


def _generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    # a generator on the device the numbers are drawn on (CUDA draws need a CUDA
    # generator); the same seed gives the same numbers on the same kind of device only
    return torch.Generator(device=device).manual_seed(int(seed))


def _tensors(codes: np.ndarray, values: np.ndarray, device: str | torch.device = "cpu"):
    return (torch.as_tensor(np.ascontiguousarray(codes, dtype=np.int64), device=device),
            torch.as_tensor(np.ascontiguousarray(values, dtype=np.float64), device=device))


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.cpu().numpy()


def torch_device(device: str) -> torch.device:
    """The torch device for the synthesizer's ``device`` ("cpu", "cuda" or "auto":
    CUDA where available).  ``device`` was validated; CUDA is not checked here."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    return torch.cuda.is_available()


def _torch_hook(hook: NumpyHook):
    """A numpy-level hook as the generator's tensor hook."""
    if not callable(hook):
        code, value = hook

        def constant(codes, values):
            return (torch.full_like(codes, int(code)),
                    torch.full_like(values, float(value)))

        return constant

    def soft(codes, values):
        new_codes, new_values = hook(_numpy(codes).copy(), _numpy(values).copy())
        return _tensors(new_codes, new_values, codes.device)

    return soft


def _torch_hooks(hooks: Mapping[int, NumpyHook] | None) -> dict:
    return {int(j): _torch_hook(h) for j, h in (hooks or {}).items()}


@dataclass(frozen=True)
class Removal:
    """An edge removal compiled for one network (opaque outside ``nn``)."""

    compiled: EdgeRemoval


class CausalNetwork:
    """A causal VAE over a layout and a parent structure, seen through numpy.

    Parameters
    ----------
    layout : sequence of ColumnLayout
        The encoder's layout: one node per column.
    parents : list of list of int
        Each node's mechanism inputs (causal parents; for a root, the earlier
        roots: the joint root block).
    roots : sequence of int
        The root block, in generation order.
    levels : sequence of sequence of int
        The remaining topological levels.
    hidden_size, latent_dim : int
    module : CausalVAE
        The torch module (built by :class:`Fitting` or :meth:`from_arrays`); it stays
        on its device, where generation runs.  Arrays in and out are numpy on the CPU.
    """

    def __init__(self, layout, parents, roots, levels, hidden_size: int, latent_dim: int,
                 module: CausalVAE):
        self.layout = tuple(layout)
        self.parents = [list(p) for p in parents]
        self.plan = Plan(tuple(int(r) for r in roots),
                         tuple(tuple(int(j) for j in level) for level in levels))
        self.hidden_size = int(hidden_size)
        self.latent_dim = int(latent_dim)
        self._module = module
        self._locations = None  # the additive-noise nodes, found at the first counterfactual

    # -- persistence ----------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The weights as numpy arrays (keys are the module's parameter names), and the
        location heads (keys ``location.<node>.knots`` and ``.coef``)."""
        arrays = {k: v.detach().cpu().numpy().copy()
                  for k, v in self._module.state_dict().items()}
        arrays.update(location.to_arrays(self._module.location_heads))
        return arrays

    @property
    def device(self) -> str:
        """Where the network's weights live and generation runs ("cpu", "cuda:0", ...)."""
        return str(self._module.device)

    @classmethod
    def from_arrays(cls, layout, parents, roots, levels, hidden_size: int, latent_dim: int,
                    arrays: Mapping[str, np.ndarray],
                    device: str | torch.device = "cpu") -> CausalNetwork:
        """A network with the weights of :meth:`to_arrays`, on ``device``.

        Raises
        ------
        ModelFileError
            Naming the first weight whose name, shape or numbers do not fit the
            layout and parents (an edited or mismatched file).
        """
        module = CausalVAE(layout, parents, hidden_size, latent_dim, _generator(0))
        heads = {k: v for k, v in arrays.items() if k.startswith(location.PREFIX)}
        arrays = {k: v for k, v in arrays.items() if k not in heads}
        expected = module.state_dict()
        missing = sorted(set(expected) - set(arrays))
        unexpected = sorted(set(arrays) - set(expected))
        if missing or unexpected:
            raise ModelFileError(
                f"the weights do not fit the model (missing {missing!r}, "
                f"unexpected {unexpected!r})"
            )
        state = {}
        for name, tensor in expected.items():
            array = np.asarray(arrays[name])
            if tuple(array.shape) != tuple(tensor.shape):
                raise ModelFileError(
                    f"weight {name!r} has shape {tuple(array.shape)}, the model needs "
                    f"{tuple(tensor.shape)}"
                )
            if array.dtype.kind != "f":
                raise ModelFileError(f"weight {name!r} holds {array.dtype} numbers, not floats")
            if not np.all(np.isfinite(array)):
                raise ModelFileError(f"weight {name!r} holds non-finite numbers")
            state[name] = torch.as_tensor(array, dtype=tensor.dtype)
        module.load_state_dict(state)
        try:  # files written before location heads have none: the class mean serves
            module.location_heads = location.from_arrays(module, heads)
        except ValueError as exc:
            raise ModelFileError(str(exc)) from None
        module.to(device).eval()
        return cls(layout, parents, roots, levels, hidden_size, latent_dim, module)

    # -- queries --------------------------------------------------------------------
    def removal(self, cuts: Sequence[tuple[int, int, bool]],
                reference: Mapping[int, tuple[int, float]], decoupled: Sequence[int],
                noise_reuse: float) -> Removal:
        """Compile an edge removal.

        ``cuts``: ``(parent, child, from_reference)`` per removed edge: the child's
        mechanism reads the parent from the shadow pass, or from ``reference[parent]``
        (a ``(code, value)`` pair) when ``from_reference``.  ``decoupled``: roots
        drawn independently of the other roots (the DP preset).
        """
        owner = self._module.input_owner
        shadow = torch.zeros(owner.shape, dtype=torch.bool, device=owner.device)
        ref = torch.zeros(owner.shape, dtype=torch.bool, device=owner.device)
        for p, c, from_reference in cuts:
            (ref if from_reference else shadow)[c] |= owner[c] == p
        n_nodes = len(self.layout)
        codes = torch.zeros(1, n_nodes, dtype=torch.long)
        values = torch.zeros(1, n_nodes, dtype=torch.float64)
        for p, (code, value) in reference.items():
            codes[0, p], values[0, p] = int(code), float(value)
        codes, values = codes.to(owner.device), values.to(owner.device)
        return Removal(EdgeRemoval(
            shadow_mask=shadow[:, None, :], reference_mask=ref[:, None, :],
            reference_features=self._module.features(codes, values),
            reference_raw=self._module.raw_features(codes, values),
            decoupled=tuple(int(r) for r in decoupled), noise_reuse=float(noise_reuse),
        ))

    def generate(self, n: int, seed: int, *, hooks: Mapping[int, NumpyHook] | None = None,
                 removal: Removal | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows drawn level by level: ``(codes, values)``."""
        codes, values = generate(
            self._module, self.plan, int(n), _generator(seed, self._module.device),
            hooks=_torch_hooks(hooks), removal=None if removal is None else removal.compiled,
        )
        return _numpy(codes), _numpy(values)

    def counterfactual(self, codes: np.ndarray, values: np.ndarray, seed: int, *,
                       hooks: Mapping[int, NumpyHook] | None, regen: set[int],
                       removal: Removal | None = None,
                       sensitive_regen: set[int] = frozenset()):
        """The observed rows with ``hooks`` applied and ``regen`` regenerated from
        their abducted noise: ``(codes, values)``.

        A numeric node whose fitted mechanism behaves like additive noise
        (:meth:`additive_nodes`) moves by the change of its conditional mean; every
        other node follows its quantile (see :mod:`debiasgen.nn.generate`)."""
        device = self._module.device
        out_codes, out_values = counterfactual(
            self._module, self.plan, *_tensors(codes, values, device), _generator(seed, device),
            hooks=_torch_hooks(hooks), regen=set(regen),
            removal=None if removal is None else removal.compiled,
            sensitive_regen=set(sensitive_regen), locations=self.additive_nodes(),
        )
        return _numpy(out_codes), _numpy(out_values)

    def fit_locations(self, codes: np.ndarray, values: np.ndarray) -> None:
        """Fit the location heads of the numeric nodes on rows ``(codes, values)``
        (after training; see :mod:`debiasgen.nn.location`); draws no random numbers."""
        module = self._module
        module.eval()
        module.location_heads = location.fit_heads(module, *_tensors(codes, values,
                                                                     module.device))
        self._locations = None

    def additive_nodes(self) -> tuple[int, ...]:
        """The numeric nodes whose counterfactual is a location shift: those whose
        conditional spread the fitted model keeps constant across rows drawn from it
        (:func:`debiasgen.nn.generate.location_nodes`).  Checked once, from a fixed
        seed, so a model and its saved copy agree."""
        if self._locations is None:
            self._locations = location_nodes(self._module, self.plan,
                                             _generator(0, self._module.device))
        return self._locations


class Fitting:
    """The random stream of one fit: every step draws from one generator seeded once.

    Parameters
    ----------
    seed : int
        In ``[0, SEED_LIMIT)``.
    device : str or torch.device, default="cpu"
        Where the networks are built and trained (and the generator draws).
    """

    def __init__(self, seed: int, device: str | torch.device = "cpu"):
        self._device = torch.device(device)
        self._generator = _generator(seed, self._device)

    def network(self, layout, parents, roots, levels, hidden_size: int,
                latent_dim: int) -> CausalNetwork:
        """A network with freshly initialised weights."""
        module = CausalVAE(layout, parents, hidden_size, latent_dim, self._generator)
        return CausalNetwork(layout, parents, roots, levels, hidden_size, latent_dim, module)

    def train(self, network: CausalNetwork, codes: np.ndarray, values: np.ndarray, *,
              epochs: int, batch_size: int, learning_rate: float,
              validation_fraction: float, patience: int, verbose: int = 0) -> list[dict]:
        """ELBO training with early stopping; returns the history (one dict per epoch)."""
        codes_t, values_t = _tensors(codes, values, self._device)
        module = network._module
        feats = module.features(codes_t, values_t)
        history = train(
            module, feats, codes_t, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, validation_fraction=validation_fraction,
            patience=patience, generator=self._generator, verbose=verbose,
        )
        network.fit_locations(codes, values)
        return history

    def train_stream(self, network: CausalNetwork, epoch_chunks, validation, *, epochs: int,
                     batch_size: int, learning_rate: float, patience: int, buffer_rows: int,
                     verbose: int = 0, train_rows: int | None = None) -> list[dict]:
        """ELBO training from a stream of rows (see :mod:`debiasgen.nn.streaming`):
        ``epoch_chunks(epoch)`` yields the epoch's training rows as ``(codes, values)``
        numpy chunks, mixed through a shuffle buffer of ``buffer_rows`` rows;
        ``validation`` is ``(codes, values)`` of held-out rows, or ``None``;
        ``train_rows`` (the rows of an epoch) sizes the epochs' progress bars."""
        from debiasgen.nn.streaming import train_stream

        history = train_stream(
            network._module, epoch_chunks, validation, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, patience=patience, buffer_rows=buffer_rows,
            generator=self._generator, verbose=verbose, train_rows=train_rows,
        )
        if validation is not None:  # the rows in memory: the held-out ones
            network.fit_locations(*validation)
        return history

    def learn_edges(self, layout, parents, candidates, fixed, codes: np.ndarray,
                    values: np.ndarray, *, max_rows: int, hidden_size: int, latent_dim: int,
                    epochs: int, batch_size: int, learning_rate: float, edge_penalty: float,
                    verbose: int = 0):
        """Train stochastic gates on ``candidates`` (``(parent, child)`` node pairs).

        Returns ``(probability, gain, rows)``: each candidate's final gate
        probability and held-out gain (NaN for closed gates), and the indices of
        the rows used (at most ``max_rows``, drawn from this fit's stream).
        """
        model = gated.GatedCausalVAE(layout, parents, candidates, hidden_size, latent_dim,
                                     self._generator)
        codes_t, values_t = _tensors(codes, values, self._device)
        feats = model.features(codes_t, values_t)
        rows = np.arange(len(codes))
        if len(codes) > max_rows:
            picked = torch.randperm(len(codes), generator=self._generator,
                                    device=self._device)[:max_rows]
            feats, codes_t, rows = feats[picked], codes_t[picked], _numpy(picked)
        prob, gain = gated.learn_edges(
            model, fixed, feats, codes_t, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, edge_penalty=edge_penalty,
            generator=self._generator, verbose=verbose,
        )
        return _numpy(prob).astype(float), _numpy(gain).astype(float), rows

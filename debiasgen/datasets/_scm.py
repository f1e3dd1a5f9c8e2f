"""Structural causal models with known truth: random DAGs, seeded, mixed column types.

Every node ``x_i`` is a deterministic function of its parents and its own exogenous
noise ``e_i``; the noise of a unit defines its counterfactuals.  Numeric nodes have
additive noise, ``x_i = f_i(parents) + s_i e_i``, scaled so that each numeric column
has mean about 0 and variance about 1 (exactly so in the linear-Gaussian kind), so
errors in standard-deviation units read the same on every node.  Binary and
categorical nodes pick their class by inverse CDF: ``e_i`` is uniform on [0, 1) and
the class is the one whose interval of the cumulative class probabilities (classes
in their listed order) contains ``e_i``.  For a binary node this is the threshold
model ``x = 1[logit + logistic noise > 0]``, monotone in its logit.

This module holds the model and its queries; :mod:`debiasgen.datasets._scm_build`
draws and calibrates one (:func:`make_scm`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from debiasgen.core.graph import CausalGraph
from debiasgen.exceptions import InvalidParameterError, InvalidTypeError

__all__ = ["SCM_KINDS", "StructuralCausalModel"]

SCM_KINDS = ("linear", "nonlinear", "mixed", "fairness")

# Nonlinear edge functions of a standardised numeric parent, each roughly unit scale.
_EDGE_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "tanh": lambda x: np.tanh(1.5 * x),
    "sin": lambda x: np.sin(2.0 * x),
    "square": lambda x: (np.clip(x, -3, 3) ** 2 - 1.0) / np.sqrt(2.0),
    "softplus": lambda x: np.logaddexp(0.0, 2.0 * x) / 2.0,
    "abs": lambda x: np.abs(x),
}
_NONLINEAR = ("tanh", "sin", "square", "softplus", "abs")

# Standardised (mean 0, variance 1) noise laws of numeric nodes.
_NOISE_LAWS = ("gaussian", "uniform", "laplace", "bimodal")


def _draw_noise(law: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if law == "gaussian":
        return rng.standard_normal(n)
    if law == "uniform":
        return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), n)
    if law == "laplace":
        return rng.laplace(0.0, 1.0 / np.sqrt(2.0), n)
    # a symmetric two-component mixture: +-0.8 plus N(0, 0.6^2) has variance 1
    return rng.choice([-0.8, 0.8], n) + 0.6 * rng.standard_normal(n)


@dataclass
class _Node:
    """One node's mechanism (fields after ``parents`` are filled by calibration)."""

    name: str
    kind: str  # "numeric", "binary" or "categorical"
    categories: tuple = ()
    parents: tuple[str, ...] = ()
    funcs: tuple[str, ...] = ()  # edge function per numeric parent
    weights: list = field(default_factory=list)  # per parent: scalar, or vector (categorical)
    cat_effects: dict = field(default_factory=dict)  # categorical parent -> per-category score
    noise_law: str = "gaussian"
    r2: float = 0.5  # share of a numeric node's variance explained by its parents
    center: Any = 0.0
    scale: Any = 1.0
    intercept: Any = 0.0  # logits of a root or the offsets of a child's logits

    @property
    def n_classes(self) -> int:
        return 2 if self.kind == "binary" else len(self.categories)


class StructuralCausalModel:
    """A structural causal model whose observational, interventional and
    counterfactual distributions are known exactly.  Build one with :func:`make_scm`.

    Attributes
    ----------
    kind : str
        One of :data:`SCM_KINDS`.
    graph : CausalGraph
        The true causal graph over the column names (node order = column order).
    column_kinds : dict of str to str
        ``"numeric"`` (float64), ``"binary"`` (int64 0/1) or ``"categorical"``
        (pandas ``category`` of strings) per column.
    sensitive, target : str or None
        The sensitive root and the target of the ``"fairness"`` kind, else ``None``.
    confounded_roots : tuple of str
        Roots whose noises are correlated (a hidden common cause the graph does not
        name, as with ``sex`` and ``age`` in Adult); every other noise is independent.

    Notes
    -----
    The noise frame (``sample(..., return_noise=True)``) has one column per node:
    the standardised additive noise of a numeric node, a uniform on [0, 1) for a
    binary or categorical node.  :meth:`counterfactual` recomputes the nodes from
    that noise, so for a categorical node the counterfactual is the class whose
    (new) cumulative-probability interval contains the unit's uniform: a class
    keeps its value while its interval still contains that point, and classes
    move in their listed order.  This is one of many SCMs with the same
    interventional distributions; a model that infers the noise differently may
    give other, equally consistent, categorical counterfactuals.
    """

    def __init__(self, kind: str, nodes: list[_Node], columns: list[str],
                 sensitive: str | None = None, target: str | None = None,
                 confounded: tuple[str, ...] = (), confounding: float = 0.0) -> None:
        self.kind = kind
        self._nodes = {node.name: node for node in nodes}  # in topological order
        edges = [(p, node.name) for node in nodes for p in node.parents]
        self.graph = CausalGraph(edges, nodes=columns)
        self.column_kinds = {c: self._nodes[c].kind for c in columns}
        self.sensitive, self.target = sensitive, target
        self.confounded_roots = tuple(confounded)
        self._confounding = float(confounding)

    def __repr__(self) -> str:
        return (f"StructuralCausalModel(kind={self.kind!r}, nodes={len(self.graph)}, "
                f"edges={len(self.graph.edges)})")

    @property
    def columns(self) -> list[str]:
        """The column names, in column order."""
        return list(self.graph.nodes)

    # -- noise and mechanisms ------------------------------------------------------
    def _noise(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        noise = {}
        shared = rng.standard_normal(n) if self.confounded_roots else None
        c = self._confounding
        for name in self.columns:
            node = self._nodes[name]
            if name in self.confounded_roots:  # a Gaussian copula with the shared cause
                z = c * shared + np.sqrt(1 - c**2) * rng.standard_normal(n)
                noise[name] = z if node.kind == "numeric" else special.ndtr(z)
            elif node.kind == "numeric":
                noise[name] = _draw_noise(node.noise_law, rng, n)
            else:
                noise[name] = rng.random(n)
        return pd.DataFrame(noise)

    def _score(self, node: _Node, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Raw parent score: ``[n]`` (numeric, binary) or ``[n, classes]`` (categorical)."""
        width = node.n_classes if node.kind == "categorical" else None
        score = np.zeros(n if width is None else (n, width))
        for p, func, w in zip(node.parents, node.funcs, node.weights):
            parent = self._nodes[p]
            x = values[p]
            if parent.kind == "categorical":
                h = node.cat_effects[p][x]
            elif parent.kind == "binary":
                h = x.astype(float)
            else:
                h = _EDGE_FUNCS[func](x)
            score = score + (h * w if width is None else h[:, None] * np.asarray(w)[None, :])
        return score

    def _mechanism(self, node: _Node, values, e: np.ndarray) -> np.ndarray:
        n = len(e)
        if not node.parents and node.kind == "numeric":
            return np.asarray(e, dtype=float)
        if node.kind == "numeric":
            z = (self._score(node, values, n) - node.center) / node.scale
            return np.sqrt(node.r2) * z + np.sqrt(1 - node.r2) * e
        cdf = self._class_cdf(node, values, n)
        codes = (cdf[:, :-1] <= e[:, None]).sum(axis=1)
        return codes.astype(np.int64)  # categorical nodes are held as codes internally

    def _class_cdf(self, node: _Node, values, n: int) -> np.ndarray:
        """Cumulative class probabilities ``[n, classes]`` of a binary or categorical node."""
        if node.parents:
            logits = (self._score(node, values, n) - node.center) / node.scale + node.intercept
        else:
            logits = np.broadcast_to(node.intercept, (n, *np.shape(node.intercept)))
        if node.kind == "binary":
            p1 = special.expit(logits)
            return np.stack([1.0 - p1, np.ones_like(p1)], axis=1)
        return np.cumsum(special.softmax(logits, axis=1), axis=1)

    def _run(self, noise: pd.DataFrame, interventions=None, cut=None, shadow=None,
             reference=None) -> dict[str, np.ndarray]:
        """Values of every node from ``noise`` (topological order).

        ``cut`` maps a child to the parents it reads from ``shadow`` (or ``reference``).
        """
        interventions = interventions or {}
        values: dict[str, np.ndarray] = {}
        for name, node in self._nodes.items():
            inputs = values
            if cut and name in cut:
                inputs = dict(values)
                for p in cut[name]:
                    inputs[p] = reference[p] if reference and p in reference else shadow[p]
            x = self._mechanism(node, inputs, noise[name].to_numpy())
            if name in interventions:
                x = self._apply(node, interventions[name], x)
            values[name] = x
        return values

    def _apply(self, node: _Node, value, before: np.ndarray) -> np.ndarray:
        if callable(value):
            after = np.asarray(value(self._decode(node, before)))
            after = np.broadcast_to(after, before.shape) if after.ndim == 0 else after
            if after.shape != before.shape:
                raise InvalidParameterError(
                    f"the callable for {node.name!r} returned shape {after.shape}, "
                    f"expected {before.shape} (one value per row)."
                )
            return np.array([self._encode(node, v) for v in after]) \
                if node.kind != "numeric" else after.astype(float)
        return np.full(before.shape, self._encode(node, value))

    def _encode(self, node: _Node, value):
        """A user's value for ``node`` as the internal number (checked)."""
        if node.kind == "categorical":
            if value not in node.categories:
                raise InvalidParameterError(
                    f"cannot set {node.name!r} to {value!r}: its categories are "
                    f"{list(node.categories)!r}."
                )
            return node.categories.index(value)
        if node.kind == "binary":
            if isinstance(value, (bool, np.bool_)) or value not in (0, 1):
                raise InvalidParameterError(
                    f"cannot set binary {node.name!r} to {value!r}: give 0 or 1."
                )
            return int(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                or not np.isfinite(value):
            raise InvalidParameterError(
                f"cannot set numeric {node.name!r} to {value!r}: give a finite number."
            )
        return float(value)

    def _decode(self, node: _Node, x: np.ndarray):
        if node.kind == "categorical":
            return pd.Categorical.from_codes(x, categories=list(node.categories))
        return x

    def _frame(self, values: Mapping[str, np.ndarray], index=None) -> pd.DataFrame:
        return pd.DataFrame(
            {c: self._decode(self._nodes[c], values[c]) for c in self.columns}, index=index
        )

    # -- checks ----------------------------------------------------------------------
    def _check_interventions(self, interventions) -> dict:
        if not isinstance(interventions, Mapping):
            raise InvalidTypeError(
                "interventions must be a dict {column: value or callable}, "
                f"got {type(interventions).__name__}."
            )
        for column, value in interventions.items():
            if column not in self._nodes:
                raise InvalidParameterError(
                    f"cannot intervene on {column!r}: not a column of this SCM ({self.columns!r})."
                )
            if not callable(value):
                self._encode(self._nodes[column], value)
        return dict(interventions)

    def _check_edges(self, edges) -> dict[str, list[str]]:
        if isinstance(edges, tuple) and len(edges) == 2 and isinstance(edges[0], str):
            edges = [edges]
        cut: dict[str, list[str]] = {}
        for item in edges:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise InvalidTypeError(f"each edge must be a (parent, child) pair, got {item!r}.")
            p, c = item
            if not self.graph.has_edge(p, c):
                raise InvalidParameterError(
                    f"cannot remove {p!r} -> {c!r}: it is not an edge of the SCM's graph."
                )
            cut.setdefault(c, []).append(p)
        if not cut:
            raise InvalidParameterError("edges is empty; name at least one (parent, child) edge.")
        return cut

    def _check_noise(self, noise) -> pd.DataFrame:
        ok = isinstance(noise, pd.DataFrame) and all(
            c in noise.columns and pd.api.types.is_float_dtype(noise[c]) for c in self.columns)
        if ok:
            uniform = [c for c in self.columns if self._nodes[c].kind != "numeric"]
            ok = bool(((noise[uniform] >= 0) & (noise[uniform] < 1)).all().all())
        if not ok:
            raise InvalidParameterError(
                "noise must be the noise frame of these units, as returned by "
                "sample(..., return_noise=True): one float column per node, uniforms "
                "in [0, 1) for binary and categorical nodes."
            )
        return noise

    # -- public queries --------------------------------------------------------------
    def sample(self, n: int, random_state=None, return_noise: bool = False):
        """Draw ``n`` units from the observational distribution.

        Parameters
        ----------
        n : int
            Number of rows (at least 1).
        random_state : None, int or numpy Generator
            Seeds a local generator for this call.
        return_noise : bool, default=False
            Also return the units' exogenous noise (for :meth:`counterfactual`).

        Returns
        -------
        DataFrame, or (DataFrame, DataFrame)
            The data (and the noise frame, with the same index).
        """
        _check_n(n)
        noise = self._noise(n, np.random.default_rng(random_state))
        data = self._frame(self._run(noise))
        return (data, noise) if return_noise else data

    def intervene(self, interventions: Mapping[str, Any], n: int, random_state=None,
                  return_noise: bool = False):
        """Draw ``n`` units under ``do(column = value)``.

        A value sets the column (a category for a categorical column, 0/1 for a
        binary one); a callable maps the column's pre-intervention values to new
        ones (a soft intervention).  The intervened mechanisms are skipped and
        every other column follows its own mechanism.
        """
        _check_n(n)
        interventions = self._check_interventions(interventions)
        noise = self._noise(n, np.random.default_rng(random_state))
        data = self._frame(self._run(noise, interventions))
        return (data, noise) if return_noise else data

    def counterfactual(self, noise: pd.DataFrame, interventions: Mapping[str, Any] | None = None,
                       *, remove_edges: Iterable[tuple[str, str]] | None = None,
                       random_state=None) -> pd.DataFrame:
        """The true counterfactual of the units with exogenous ``noise``.

        Parameters
        ----------
        noise : DataFrame
            The units' noise, from ``sample(..., return_noise=True)``.
        interventions : dict, optional
            ``{column: value or callable}``; a callable sees the unit's
            pre-intervention values.
        remove_edges : list of (parent, child), optional
            Also remove these edges: as in :meth:`remove_edges`, the cut parents are
            read jointly from one independent observational unit per row, drawn
            with ``random_state`` (the answer is then a draw).

        Returns
        -------
        DataFrame
            Aligned with ``noise``.  Columns that are not descendants of an
            intervened node or of a removed edge's child equal the factual values.
        """
        noise = self._check_noise(noise)
        interventions = self._check_interventions(interventions or {})
        cut = shadow = None
        if remove_edges is not None:
            cut = self._check_edges(remove_edges)
            shadow = self._run(self._noise(len(noise), np.random.default_rng(random_state)))
        elif not interventions:
            raise InvalidParameterError("counterfactual needs interventions or remove_edges.")
        return self._frame(self._run(noise, interventions, cut, shadow), index=noise.index)

    def abduct(self, data: pd.DataFrame, random_state=None) -> pd.DataFrame:
        """Noise consistent with observed rows: what the data tell about each unit's noise.

        A numeric node's additive noise is determined by its row
        (``(x - f(parents)) / s``).  A binary or categorical node's uniform is only
        known to lie in the observed class's interval; it is drawn uniformly there
        (its posterior, ignoring the correlation of confounded roots' noises).
        Counterfactuals from this noise are the best any model that sees only the
        rows can do by posterior sampling: :mod:`debiasgen.evaluation.known_truth` uses
        them as the floor for categorical accuracy.
        """
        missing = [c for c in self.columns if c not in getattr(data, "columns", ())]
        if missing:
            raise InvalidParameterError(
                f"data lacks the columns {missing!r}; abduction needs whole rows."
            )
        rng = np.random.default_rng(random_state)
        values: dict[str, np.ndarray] = {}
        noise = {}
        n = len(data)
        for name, node in self._nodes.items():
            x = data[name]
            if node.kind == "numeric":
                x = x.to_numpy(dtype=float)
                if node.parents:
                    z = (self._score(node, values, n) - node.center) / node.scale
                    noise[name] = (x - np.sqrt(node.r2) * z) / np.sqrt(1 - node.r2)
                else:
                    noise[name] = x
            else:
                if node.kind == "categorical":
                    x = pd.Categorical(x, categories=list(node.categories)).codes.astype(np.int64)
                    if (x < 0).any():
                        raise InvalidParameterError(
                            f"column {name!r} holds values outside its categories."
                        )
                else:
                    x = np.asarray(x, dtype=np.int64)
                cdf = self._class_cdf(node, values, n)
                upper = cdf[np.arange(n), x]
                lower = np.where(x > 0, cdf[np.arange(n), np.maximum(x - 1, 0)], 0.0)
                noise[name] = np.minimum(lower + rng.random(n) * (upper - lower),
                                         np.nextafter(1.0, 0.0))
            values[name] = x
        return pd.DataFrame(noise, index=data.index)[self.columns]

    def remove_edges(self, edges: Iterable[tuple[str, str]], n: int, random_state=None,
                     reference: Mapping[str, Any] | None = None,
                     return_noise: bool = False):
        """Draw ``n`` units from the SCM with ``edges`` removed.

        When the child ``c`` of a removed edge ``(p, c)`` is generated, its mechanism
        reads ``p`` from an independent observational unit (drawn from the original
        SCM), or ``reference[p]`` when given; several cut parents of one row, for
        one or several children, come jointly from the same independent unit.
        These are the semantics of ``CCGMSynthesizer.debias(remove_edges=...)``.
        """
        _check_n(n)
        cut = self._check_edges(edges)
        reference = dict(reference or {})
        for p, value in reference.items():
            if not any(p in parents for parents in cut.values()):
                raise InvalidParameterError(
                    f"reference names {p!r}, which is not the parent of a removed edge."
                )
            reference[p] = np.full(n, self._encode(self._nodes[p], value))
        rng = np.random.default_rng(random_state)
        noise = self._noise(n, rng)
        shadow = self._run(self._noise(n, rng))
        data = self._frame(self._run(noise, None, cut, shadow, reference))
        return (data, noise) if return_noise else data

    def interventional_mean(self, interventions: Mapping[str, float]) -> pd.Series:
        """The exact mean of every column under ``do(interventions)`` (linear kind only).

        Raises
        ------
        ValueError
            For a kind other than ``"linear"``, or a callable intervention.
        """
        if self.kind != "linear":
            raise InvalidParameterError(
                f"interventional_mean has a closed form only for kind='linear', not "
                f"{self.kind!r}; estimate it with intervene(..., n=large).mean()."
            )
        interventions = self._check_interventions(interventions)
        if any(callable(v) for v in interventions.values()):
            raise InvalidParameterError("interventional_mean needs fixed values, not callables.")
        mean: dict[str, float] = {}
        for name, node in self._nodes.items():
            if name in interventions:
                mean[name] = float(interventions[name])
            elif node.parents:
                raw = sum(w * mean[p] for p, w in zip(node.parents, node.weights))
                mean[name] = float(np.sqrt(node.r2) * (raw - node.center) / node.scale)
            else:
                mean[name] = 0.0
        return pd.Series(mean, name="mean")[self.columns]


def _check_n(n) -> None:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 1:
        raise InvalidParameterError(f"n must be an integer >= 1, got {n!r}.")

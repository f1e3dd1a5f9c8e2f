"""Construction of random structural causal models: :func:`make_scm`.

Draws the graph (a random causal order, or the fixed shape of the ``"fairness"``
kind), the column kinds and each node's mechanism, then calibrates the
mechanisms so numeric nodes have mean about 0 and variance about 1.  The model
itself, and how it samples, is in :mod:`debiasgen.datasets._scm`.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import special

from debiasgen.datasets._scm import (
    _NOISE_LAWS,
    _NONLINEAR,
    SCM_KINDS,
    StructuralCausalModel,
    _Node,
)
from debiasgen.exceptions import InvalidParameterError

__all__ = ["make_scm"]

_N_CALIBRATION = 20_000


def make_scm(kind: str, n_nodes: int = 5, *, edge_prob: float | None = None,
             expected_degree: float | None = None, confounding: float | None = None,
             random_state=None) -> StructuralCausalModel:
    """A random structural causal model with known truth.

    Parameters
    ----------
    kind : {"linear", "nonlinear", "mixed", "fairness"}
        * ``"linear"``: numeric nodes, linear mechanisms, Gaussian noise (closed-form
          moments; see :meth:`StructuralCausalModel.interventional_mean`);
        * ``"nonlinear"``: numeric nodes, additive noise, each edge a random
          nonlinear function (tanh, sin, square, softplus, abs), non-Gaussian noise;
        * ``"mixed"``: about 20% binary (int 0/1) and 20% categorical (3 or 4
          string categories) nodes among numeric ones, linear and nonlinear edges;
        * ``"fairness"``: a categorical sensitive root ``s`` (``"g0"``/``"g1"``),
          numeric mediators ``m0, m1, ...``, other roots ``a0, a1, ...`` (``a1`` is
          categorical) and a binary target ``y``, with ``s -> m0 -> y``, the direct
          edge ``s -> y`` and ``a_j -> y``; ``s`` and ``a0`` share a hidden common
          cause (``confounding``).
        Columns are ``x0, x1, ...`` (general kinds) in an order unrelated to the
        causal order.
    n_nodes : int, default=5
        Number of columns, 3 to 200.
    edge_prob : float, optional
        Probability of each edge allowed by a random causal order.
    expected_degree : float, optional
        Expected number of edges per node (parents plus children); the default 2
        when neither is given.  Give at most one of ``edge_prob``, ``expected_degree``.
    confounding : float, optional
        Correlation of the hidden cause with each of the ``"fairness"`` kind's
        roots ``s`` and ``a0`` (default 0.5; 0 makes the roots independent).
        Only for ``"fairness"``.
    random_state : None, int or numpy Generator
        Seeds the graph, the mechanisms and their calibration.

    Returns
    -------
    StructuralCausalModel

    Raises
    ------
    ValueError
        An unknown ``kind``, ``n_nodes`` out of range, both or an invalid
        ``edge_prob`` / ``expected_degree``, or ``confounding`` outside [0, 1).

    Examples
    --------
    >>> from debiasgen.datasets import make_scm
    >>> scm = make_scm("linear", 4, random_state=0)
    >>> data, noise = scm.sample(1000, random_state=1, return_noise=True)
    >>> data.shape, noise.shape
    ((1000, 4), (1000, 4))
    >>> cf = scm.counterfactual(noise, {"x0": 1.0})
    >>> bool((cf["x0"] == 1.0).all())
    True
    """
    if kind not in SCM_KINDS:
        raise InvalidParameterError(f"kind must be one of {SCM_KINDS!r}, got {kind!r}.")
    _check_int_range("n_nodes", n_nodes, 3, 200)
    if edge_prob is not None and expected_degree is not None:
        raise InvalidParameterError("give edge_prob or expected_degree, not both.")
    if edge_prob is not None:
        if not _is_real(edge_prob) or not 0 <= edge_prob <= 1:
            raise InvalidParameterError(f"edge_prob must be a number in [0, 1], got {edge_prob!r}.")
        p = float(edge_prob)
    else:
        degree = 2.0 if expected_degree is None else expected_degree
        if not _is_real(degree) or degree < 0:
            raise InvalidParameterError(f"expected_degree must be a number >= 0, got {degree!r}.")
        p = min(1.0, float(degree) / (n_nodes - 1))
    if confounding is not None and kind != "fairness":
        raise InvalidParameterError("confounding applies to kind='fairness' only.")
    rho = 0.5 if confounding is None else confounding
    if not _is_real(rho) or not 0 <= rho < 1:
        raise InvalidParameterError(f"confounding must be a number in [0, 1), got {confounding!r}.")
    rng = np.random.default_rng(random_state)
    if kind == "fairness":
        columns, order, kinds, edges, extra = _fairness_structure(n_nodes, p, rng)
    else:
        columns = [f"x{i}" for i in range(n_nodes)]
        order = [columns[i] for i in rng.permutation(n_nodes)]
        edges = [(a, b) for i, a in enumerate(order) for b in order[i + 1:] if rng.random() < p]
        kinds = _mixed_kinds(columns, rng) if kind == "mixed" else dict.fromkeys(columns, "numeric")
        extra = {}
    position = {c: i for i, c in enumerate(columns)}
    built: dict[str, _Node] = {}
    for name in order:
        parents = tuple(sorted((a for a, b in edges if b == name), key=position.get))
        built[name] = _make_node(name, kinds[name], parents, built, kind, rng)
    nodes = list(built.values())
    confounded = extra.get("confounded", ())
    for node in nodes:
        if node.name in confounded and node.kind == "numeric":
            node.noise_law = "gaussian"  # the copula above is Gaussian
    scm = StructuralCausalModel(kind, nodes, columns, sensitive=extra.get("sensitive"),
                                target=extra.get("target"), confounded=confounded,
                                confounding=rho if confounded else 0.0)
    if kind == "linear":
        _calibrate_linear(nodes)
    else:
        _calibrate(scm, nodes, rng)
    return scm


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)) and np.isfinite(x)


def _check_int_range(name, value, low, high) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or not low <= value <= high:
        raise InvalidParameterError(
            f"{name} must be an integer from {low} to {high}, got {value!r}."
        )


def _mixed_kinds(columns, rng) -> dict[str, str]:
    n = len(columns)
    n_cat = max(1, round(0.2 * n))
    n_bin = max(1, round(0.2 * n))
    shuffled = [columns[i] for i in rng.permutation(n)]
    kinds = dict.fromkeys(columns, "numeric")
    for c in shuffled[:n_cat]:
        kinds[c] = "categorical"
    for c in shuffled[n_cat:n_cat + n_bin]:
        kinds[c] = "binary"
    return kinds


def _fairness_structure(n, p, rng):
    n_roots = 0 if n == 3 else max(1, (n - 3) // 3)
    n_med = n - 2 - n_roots
    meds = [f"m{i}" for i in range(n_med)]
    roots = [f"a{j}" for j in range(n_roots)]
    columns = ["s", *roots, *meds, "y"]
    edges = [("s", "m0"), ("s", "y"), (meds[-1], "y")]
    if n_med > 1:
        edges.append(("m0", "y"))
    edges += [("s", m) for m in meds[1:] if rng.random() < 0.7]
    edges += [(a, b) for i, a in enumerate(meds) for b in meds[i + 1:] if rng.random() < p]
    edges += [(m, "y") for m in meds[1:-1] if rng.random() < 0.7]
    edges += [(a, m) for a in roots for m in meds if rng.random() < p]
    edges += [(a, "y") for a in roots]
    kinds = {"s": "categorical", "y": "binary", **dict.fromkeys(meds + roots, "numeric")}
    if n_roots > 1:
        kinds["a1"] = "categorical"
    extra = {"sensitive": "s", "target": "y", "confounded": ("s", "a0") if roots else ()}
    return columns, ["s", *roots, *meds, "y"], kinds, list(dict.fromkeys(edges)), extra


def _make_node(name, node_kind, parents, built, scm_kind, rng) -> _Node:
    kinds = {p: built[p].kind for p in parents}
    node = _Node(name, node_kind, parents=parents)
    if node_kind == "categorical":
        node.categories = ("g0", "g1") if name == "s" else tuple(
            f"c{k}" for k in range(int(rng.integers(3, 5))))
    if node_kind == "numeric":
        laws = ("gaussian",) if scm_kind == "linear" else _NOISE_LAWS[1:]
        node.noise_law = str(rng.choice(laws))
        node.r2 = float(rng.uniform(0.4, 0.8))
    funcs, weights = [], []
    for p in parents:
        if kinds[p] != "numeric" or scm_kind == "linear":
            func = "linear"
        elif scm_kind == "nonlinear":
            func = str(rng.choice(_NONLINEAR))
        else:
            func = "linear" if rng.random() < 0.5 else str(rng.choice(_NONLINEAR))
        funcs.append(func)
        if kinds[p] == "categorical":  # a centred score per category of the parent
            effects = rng.standard_normal(len(built[p].categories))
            node.cat_effects[p] = effects - effects.mean()
        if node_kind == "categorical":
            weights.append(rng.standard_normal(len(node.categories)))
        else:
            weights.append(float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)))
    node.funcs, node.weights = tuple(funcs), weights
    if not parents and node_kind == "binary":
        node.intercept = float(special.logit(rng.uniform(0.3, 0.7)))
    elif not parents and node_kind == "categorical":
        node.intercept = np.log(rng.dirichlet(np.full(len(node.categories), 4.0)))
    elif node_kind == "binary":
        node.intercept = float(rng.normal(0.0, 0.5))
    elif node_kind == "categorical":
        node.intercept = rng.normal(0.0, 0.5, len(node.categories))
    return node


_LOGIT_STRENGTH = 1.5  # sd of a binary or categorical child's logits from its parents


def _calibrate_linear(nodes: list[_Node]) -> None:
    """Exact unit variance for the linear-Gaussian kind (covariance propagation)."""
    pos = {node.name: i for i, node in enumerate(nodes)}
    cov = np.zeros((len(nodes), len(nodes)))
    for i, node in enumerate(nodes):
        if not node.parents:
            cov[i, i] = 1.0
            continue
        idx = [pos[p] for p in node.parents]
        w = np.asarray(node.weights)
        node.center, node.scale = 0.0, float(np.sqrt(w @ cov[np.ix_(idx, idx)] @ w))
        row = np.sqrt(node.r2) / node.scale * (w @ cov[idx, :])
        cov[i, :] = cov[:, i] = row
        cov[i, i] = 1.0


def _calibrate(scm: StructuralCausalModel, nodes: list[_Node], rng) -> None:
    """Centre and scale each child's parent score on a calibration sample, so numeric
    nodes have mean about 0 and variance about 1 and logits a set spread."""
    noise = scm._noise(_N_CALIBRATION, rng)
    values: dict[str, np.ndarray] = {}
    for node in nodes:
        if node.parents:
            score = scm._score(node, values, _N_CALIBRATION)
            node.center = score.mean(axis=0)
            spread = float(score.std()) if node.kind != "categorical" else float(
                (score - node.center).std())
            spread = spread if spread > 1e-12 else 1.0
            node.scale = spread if node.kind == "numeric" else spread / _LOGIT_STRENGTH
        values[node.name] = scm._mechanism(node, values, noise[node.name].to_numpy())

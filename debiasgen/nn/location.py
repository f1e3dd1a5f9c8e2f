"""Location heads: the conditional mean of a numeric node given its parents' raw values.

A counterfactual of an additive-noise mechanism ``x = f(pa) + e`` moves the observed
value by ``f(pa') - f(pa)`` (:mod:`debiasgen.nn.generate`).  The binned class
distribution estimates each quantile separately, so the mean it implies wiggles
around ``f`` by a few hundredths of an sd; a regression on the parents' raw values
estimates ``f`` directly.  After training, each continuous numeric node with parents
gets the best of three location models, by mean squared residual on the training
rows:

* ``linear``: least squares on the parents' raw values (numbers, a missing flag,
  one-hot categories) -- the model of a linear mechanism;
* ``spline``: the same plus a natural cubic spline of each numeric parent (knots at
  quantiles; linear beyond the outer knots, so it extrapolates like a line) -- an
  additive mechanism;
* ``network``: the mean of the fitted class distribution (any mechanism the
  network learned, interactions included).

The regressions are scored by 5-fold cross-validation, the network on the rows it was
trained on (which favours it); a spline replaces the line only if it lowers the mean
squared residual by more than :data:`MARGIN` of it, and the network replaces the
chosen regression only if it lowers it by more than :data:`NETWORK_MARGIN` (its
in-sample advantage on linear SCMs stayed below that; nonlinear mechanisms gain
10% and more).  A node with the ``network`` choice keeps
no head.

A head is two arrays: ``knots`` ``[n_inputs, N_KNOTS]`` (NaN rows for inputs that
are not numbers) and ``coef`` (intercept, one weight per input, then the spline
weights of the numeric inputs in order), over the node's mechanism inputs as
:meth:`CausalVAE.raw_features` lays them out.
"""

from __future__ import annotations

import numpy as np
import torch

N_KNOTS = 7
MARGIN = 0.001
NETWORK_MARGIN = 0.01
_FOLDS = 5
_MAX_ROWS = 20_000
_KNOT_LEVELS = np.linspace(0.05, 0.95, N_KNOTS)


def spline_basis(x: torch.Tensor, knots: torch.Tensor) -> torch.Tensor:
    """Natural cubic spline basis (beyond the linear term) of ``x`` ``[batch]`` at
    ``knots`` ``[K]``: ``[batch, K - 2]`` (Hastie, Tibshirani & Friedman, 2009, eq.
    5.4-5.5), on ``x`` scaled by the knots' range."""
    scale = (knots[-1] - knots[0]).clamp_min(1e-12)
    z, k = (x[:, None] - knots[None, :]) / scale, (knots - knots[0]) / scale
    cube = z.clamp_min(0.0) ** 3
    d = (cube[:, :-1] - cube[:, -1:]) / (k[-1] - k[:-1]).clamp_min(1e-12)
    return d[:, :-2] - d[:, -2:-1]


def design(raw: torch.Tensor, knots: torch.Tensor | None) -> torch.Tensor:
    """The regression design of raw inputs ``[batch, n]``: intercept, inputs and,
    with ``knots`` ``[n, K]``, the spline basis of every input whose knots are set."""
    parts = [torch.ones(raw.shape[0], 1, dtype=raw.dtype, device=raw.device), raw]
    if knots is not None:
        for i in range(knots.shape[0]):
            if not torch.isnan(knots[i, 0]):
                parts.append(spline_basis(raw[:, i], knots[i]))
    return torch.cat(parts, dim=1)


def evaluate(head: dict, raw: torch.Tensor) -> torch.Tensor:
    """A head's location of rows with raw inputs ``[batch, n]``: ``[batch]`` float64."""
    raw = raw.double()
    knots = head["knots"]
    use = knots if not torch.isnan(knots).all() else None
    return design(raw, use) @ head["coef"]


def _lstsq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(x, y, rcond=None)[0]


def _cv_mse(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> float:
    err = 0.0
    for f in range(_FOLDS):
        test = folds == f
        beta = _lstsq(x[~test], y[~test])
        err += float(((y[test] - x[test] @ beta) ** 2).sum())
    return err / len(y)


def fit_head(raw: np.ndarray, numeric: np.ndarray, y: np.ndarray,
             network_mean: np.ndarray) -> tuple[str, dict | None]:
    """Choose and fit the location model of one node.

    ``raw`` ``[rows, n]``: the node's raw inputs; ``numeric`` ``[n]``: which inputs are
    numbers (a spline is fitted on those with at least ``N_KNOTS`` distinct values);
    ``y``: the node's values (none missing); ``network_mean``: the network's
    conditional mean on the same rows.  Returns the choice and the head (``None`` for
    ``"network"``)."""
    n = len(y)
    folds = np.random.default_rng(0).permutation(n) % _FOLDS
    knots = np.full((raw.shape[1], N_KNOTS), np.nan)
    for i in np.flatnonzero(numeric):
        k = np.quantile(raw[:, i], _KNOT_LEVELS)
        if len(np.unique(k)) == N_KNOTS:
            knots[i] = k
    candidates = [("linear", None)] + ([("spline", knots)] if not np.isnan(knots).all()
                                       else [])
    scored = []
    for name, k in candidates:
        x = design(torch.as_tensor(raw), None if k is None else torch.as_tensor(k)).numpy()
        scored.append((name, k, x, _cv_mse(x, y, folds)))
    # the simplest regression within MARGIN of the best (linear, then spline); the
    # network, scored on rows it was trained on, only where it is better by more than
    # NETWORK_MARGIN (which an overfit on linear data did not reach, measured)
    lowest = min(mse for *_, mse in scored)
    name, k, x, mse = next(s for s in scored if s[3] <= lowest * (1.0 + MARGIN))
    if float(np.mean((y - network_mean) ** 2)) < mse * (1.0 - NETWORK_MARGIN):
        return "network", None
    if k is None:
        k = np.full((raw.shape[1], N_KNOTS), np.nan)
    return name, {"knots": k, "coef": _lstsq(x, y)}


def fit_heads(module, codes: torch.Tensor, values: torch.Tensor) -> dict[int, dict]:
    """Location heads of ``module``'s continuous numeric nodes with parents, fitted on
    rows ``(codes, values)`` (at most ``_MAX_ROWS`` of them, evenly spaced); the
    ``network`` choices are left out.  Heads hold float64 tensors on the module's
    device."""
    if codes.shape[0] > _MAX_ROWS:
        keep = torch.linspace(0, codes.shape[0] - 1, _MAX_ROWS, device=codes.device).long()
        codes, values = codes[keep], values[keep]
    nodes = [j for j in range(module.n_nodes)
             if module.continuous(j) and int(module.input_width[j]) > 0]
    if not nodes:
        return {}
    heads = {}
    with torch.no_grad():
        feats = module.features(codes, values)
        raw = module.raw_features(codes, values)
        idx = torch.tensor(nodes, device=codes.device)
        inputs = module.gather_inputs(feats, idx)
        u, _ = module.encode_noise(inputs, codes[:, idx], idx)
        logits = module.logits(inputs, u, idx)
        raw_inputs = module.gather_inputs(raw, idx)
    for k, j in enumerate(nodes):
        width = int(module.input_width[j])
        observed = codes[:, j] != module.layout[j].missing_code
        if int(observed.sum()) < 10 * (width + 1) * N_KNOTS:
            continue
        mean, _ = module.conditional_moments(j, logits[k])
        choice, head = fit_head(
            raw_inputs[k, observed, :width].double().cpu().numpy(),
            module.numeric_inputs(j)[:width].cpu().numpy(),
            values[observed, j].double().cpu().numpy(), mean[observed].cpu().numpy(),
        )
        if head is not None:
            heads[j] = as_tensors(head, module.device)
    return heads


def as_tensors(head: dict, device) -> dict:
    return {k: torch.as_tensor(np.asarray(v, dtype=np.float64), device=device)
            for k, v in head.items()}


PREFIX = "location."


def to_arrays(heads: dict[int, dict]) -> dict[str, np.ndarray]:
    """Heads as named numpy arrays (``location.<node>.knots`` / ``.coef``)."""
    return {f"{PREFIX}{j}.{k}": v.detach().cpu().numpy().copy()
            for j, head in heads.items() for k, v in head.items()}


def from_arrays(module, arrays) -> dict[int, dict]:
    """Heads from :func:`to_arrays`'s arrays, checked against ``module``.

    Raises
    ------
    ValueError
        Naming the first array that does not fit (an edited or mismatched file).
    """
    grouped: dict[int, dict] = {}
    for name, array in arrays.items():
        parts = name[len(PREFIX):].split(".")
        if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in ("knots", "coef"):
            raise ValueError(f"unexpected location array {name!r}")
        grouped.setdefault(int(parts[0]), {})[parts[1]] = np.asarray(array)
    heads = {}
    for j, head in sorted(grouped.items()):
        if j >= module.n_nodes or not module.continuous(j) or set(head) != {"knots", "coef"}:
            raise ValueError(f"location head {j} does not fit the model")
        width = int(module.input_width[j])
        knots, coef = head["knots"], head["coef"]
        if knots.dtype.kind != "f" or coef.dtype.kind != "f" \
                or knots.shape != (width, N_KNOTS) or coef.ndim != 1:
            raise ValueError(f"location head {j} has arrays of the wrong shape or type")
        splines = int((~np.isnan(knots[:, 0])).sum())
        if coef.shape[0] != 1 + width + (N_KNOTS - 2) * splines \
                or not np.all(np.isfinite(coef)) \
                or not np.all(np.isfinite(knots[~np.isnan(knots[:, 0])])):
            raise ValueError(f"location head {j} has arrays that do not agree")
        heads[j] = as_tensors(head, module.device)
    return heads

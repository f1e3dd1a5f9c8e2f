"""Causal fidelity: how close a model's interventions, counterfactuals and edge
removals are to a known truth (for example :func:`debiasgen.datasets.make_scm`).

Every function is duck-typed, so any model can be measured, not only
:class:`~debiasgen.CCGMSynthesizer`:

* a *model* has ``sample(n, random_state=...)``, ``intervene(interventions, n,
  random_state=...)`` and ``counterfactual(X, interventions, random_state=...)``
  returning DataFrames with the data's column names;
* the *truth* has the same ``sample`` and ``intervene`` plus ``sample(n,
  random_state=..., return_noise=True)``, ``counterfactual(noise, interventions)``
  (the counterfactual of the units with that exogenous noise), ``remove_edges(edges,
  n, random_state=...)`` and a ``graph`` with ``descendants(column)``; a
  :class:`~debiasgen.datasets.StructuralCausalModel` is one.

Units: numeric columns are compared in units of the column's observational
standard deviation (under the truth); binary columns (0/1) by the rate of 1;
categorical columns by total variation distance and accuracy.  Numbers are
estimates from finite samples: the ``floor`` columns give the value a perfect
model would get with the same sample sizes (two independent draws of the truth).
Importing this module does not import torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from debiasgen.exceptions import InvalidParameterError, InvalidTypeError, UnknownColumnError

__all__ = [
    "counterfactual_error",
    "edge_removal_error",
    "intervention_grid",
    "interventional_error",
]

_INTERVENTION_COLUMNS = ["kind", "model_mean", "true_mean", "mean_error", "distance", "floor"]


def _kinds(truth, frame: pd.DataFrame) -> dict[str, str]:
    """``numeric``, ``binary`` or ``categorical`` per column (the truth's, if it says)."""
    known = getattr(truth, "column_kinds", None)
    if known is not None:
        return dict(known)
    kinds = {}
    for c in frame.columns:
        x = frame[c]
        if pd.api.types.is_bool_dtype(x) or (
                pd.api.types.is_integer_dtype(x) and set(x.dropna().unique()) <= {0, 1}):
            kinds[c] = "binary"
        elif pd.api.types.is_numeric_dtype(x):
            kinds[c] = "numeric"
        else:
            kinds[c] = "categorical"
    return kinds


def _label(interventions: Mapping[str, Any]) -> str:
    parts = []
    for column, value in interventions.items():
        if callable(value):
            text = getattr(value, "__name__", "callable")
        elif isinstance(value, (float, np.floating)):
            text = f"{value:.3g}"
        else:
            text = repr(value)
        parts.append(f"{column}={text}")
    return "do(" + ", ".join(parts) + ")"


def _as_list(interventions) -> list[dict]:
    if isinstance(interventions, Mapping):
        interventions = [interventions]
    items = list(interventions)
    if not items or not all(isinstance(i, Mapping) and i for i in items):
        raise InvalidTypeError(
            "interventions must be a non-empty dict {column: value} or a list of them, "
            f"got {interventions!r}."
        )
    return [dict(i) for i in items]


def _numbers(x: pd.Series, kind: str) -> np.ndarray:
    return np.asarray(x, dtype=float) if kind != "categorical" else np.asarray(x.astype(str))


def _mean(x: np.ndarray, kind: str) -> float:
    return float(np.mean(x)) if kind != "categorical" else np.nan


def _distance(a: np.ndarray, b: np.ndarray, kind: str, sd: float) -> float:
    """Energy distance of standardised numeric samples; total variation otherwise."""
    if kind == "numeric":
        return float(stats.energy_distance(a / sd, b / sd))
    pa = pd.Series(a).value_counts(normalize=True)
    pb = pd.Series(b).value_counts(normalize=True)
    return float(0.5 * pa.sub(pb, fill_value=0.0).abs().sum())


def _compare(model_frame, true_frame, floor_frame, columns, kinds, sd) -> pd.DataFrame:
    rows = []
    for c in columns:
        kind = kinds[c]
        m, t = _numbers(model_frame[c], kind), _numbers(true_frame[c], kind)
        f = _numbers(floor_frame[c], kind)
        scale = sd[c] if kind == "numeric" else 1.0
        mm, tm = _mean(m, kind), _mean(t, kind)
        rows.append((c, kind, mm, tm, (mm - tm) / scale, _distance(m, t, kind, scale),
                     _distance(f, t, kind, scale)))
    frame = pd.DataFrame(rows, columns=["column", *_INTERVENTION_COLUMNS])
    return frame.set_index("column")


def _sds(truth, n: int, rng) -> tuple[dict[str, float], dict[str, str]]:
    obs = truth.sample(n, random_state=rng)
    kinds = _kinds(truth, obs)
    sd = {c: float(obs[c].std()) or 1.0 for c in obs.columns if kinds[c] == "numeric"}
    return sd, kinds


def _columns(truth, changed: Iterable[str], which: str, all_columns) -> list[str]:
    if which == "all":
        return list(all_columns)
    if which != "affected":
        raise InvalidParameterError(f"columns must be 'affected' or 'all', got {which!r}.")
    affected = set()
    for c in changed:
        affected |= set(truth.graph.descendants(c))
    return [c for c in all_columns if c in affected]


def _check_n(name: str, n) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InvalidParameterError(f"{name} must be an integer >= 2, got {n!r}.")


def intervention_grid(truth, column: str, quantiles: Sequence[float] = (0.1, 0.5, 0.9), *,
                      n: int = 5000, random_state=None) -> list[dict[str, Any]]:
    """Hard interventions ``do(column = v)`` over a grid of the column's observed values.

    A numeric column gets its observational ``quantiles``; a binary or categorical
    column every value it takes.

    Parameters
    ----------
    truth
        Has ``sample(n, random_state=...)`` (see the module docstring).
    column : str
        The column to intervene on.
    quantiles : sequence of float, default=(0.1, 0.5, 0.9)
        For a numeric column: the quantiles of its observational distribution.
    n : int, default=5000
        Rows drawn from ``truth`` to find the quantiles and values.
    random_state : None, int or numpy Generator
        Seeds that draw.

    Returns
    -------
    list of dict
        ``[{column: v}, ...]``, ready for :func:`interventional_error`.

    Raises
    ------
    UnknownColumnError
        ``column`` is not a column of the truth's data.
    """
    obs = truth.sample(n, random_state=random_state)
    if column not in obs.columns:
        raise UnknownColumnError(
            f"column {column!r} is not a column of the data ({list(obs.columns)!r}).")
    kind = _kinds(truth, obs)[column]
    if kind == "numeric":
        values = [float(v) for v in obs[column].quantile(list(quantiles))]
    elif kind == "binary":
        values = sorted(int(v) for v in obs[column].unique())
    else:
        cats = obs[column].cat.categories if isinstance(obs[column].dtype, pd.CategoricalDtype) \
            else sorted(obs[column].unique())
        values = list(cats)
    return [{column: v} for v in values]


def interventional_error(model, truth, interventions, *, n: int = 5000,
                         columns: str = "affected", random_state=None) -> pd.DataFrame:
    """Error of ``model``'s interventional distributions against the ``truth``'s.

    Parameters
    ----------
    model, truth
        See the module docstring for the methods each needs.
    interventions : dict or list of dict
        ``{column: value}`` (or several); see :func:`intervention_grid`.
    n : int, default=5000
        Rows drawn from the model and from the truth per intervention.
    columns : {"affected", "all"}, default="affected"
        Compare the descendants of the intervened columns, or every column (the
        others should keep their observational distribution).
    random_state : None, int or numpy Generator
        Seeds the draws (one local generator).

    Returns
    -------
    DataFrame
        Index ``(intervention, column)``; columns ``kind``, ``model_mean``,
        ``true_mean``, ``mean_error`` (model minus truth: in observational sd for a
        numeric column, in rate of 1 for a binary one, NaN for a categorical one),
        ``distance`` (energy distance of the standardised samples, or total
        variation) and ``floor`` (the same distance between two independent draws of
        the truth: what a perfect model would get).

    Raises
    ------
    InvalidParameterError
        ``n`` is not an integer >= 2, or ``columns`` is neither value.
    InvalidTypeError
        ``interventions`` is not a non-empty dict or list of them.

    Examples
    --------
    >>> from debiasgen.datasets import make_scm
    >>> from debiasgen.evaluation.known_truth import interventional_error
    >>> scm = make_scm("linear", 4, edge_prob=1.0, random_state=0)
    >>> err = interventional_error(scm, scm, {"x1": 1.0}, n=500, random_state=0)
    >>> err.index.names
    FrozenList(['intervention', 'column'])
    """
    _check_n("n", n)
    items = _as_list(interventions)
    rng = np.random.default_rng(random_state)
    sd, kinds = _sds(truth, n, rng)
    frames = {}
    for item in items:
        seed = int(rng.integers(2**62))
        got = model.intervene(item, n, random_state=seed)
        true = truth.intervene(item, n, random_state=seed + 1)
        floor = truth.intervene(item, n, random_state=seed + 2)
        cols = _columns(truth, item, columns, true.columns)
        frames[_label(item)] = _compare(got, true, floor, cols, kinds, sd)
    return pd.concat(frames, names=["intervention", "column"])


def _unit_errors(model_cf, true_cf, floor_cf, factual, columns, kinds, sd, changed):
    rows = []
    for c in columns:
        kind = kinds[c]
        m, t, f = (_numbers(x[c], kind) for x in (model_cf, true_cf, floor_cf))
        moved = float(np.mean(_numbers(factual[c], kind) != t))
        if kind == "numeric":
            rmse = float(np.sqrt(np.mean((m - t) ** 2)) / sd[c])
            rows.append((c, kind, c in changed, "rmse_sd", rmse,
                         float(np.sqrt(np.mean((f - t) ** 2)) / sd[c]), moved))
        else:
            rows.append((c, kind, c in changed, "accuracy", float(np.mean(m == t)),
                         float(np.mean(f == t)), moved))
    frame = pd.DataFrame(rows, columns=["column", "kind", "affected", "metric", "value",
                                        "floor", "moved"])
    return frame.set_index("column")


def counterfactual_error(model, truth, interventions, *, n: int = 2000,
                         random_state=None) -> pd.DataFrame:
    """Error of ``model``'s counterfactuals of units against their true counterfactuals.

    ``n`` units are drawn from the truth with their exogenous noise; the model gets
    the units' observed rows, the truth their noise.

    Parameters
    ----------
    model, truth
        See the module docstring.
    interventions : dict or list of dict
        ``{column: value or callable}``; a callable maps the unit's values to new ones.
    n : int, default=2000
        Number of units.
    random_state : None, int or numpy Generator
        Seeds the draws (one local generator).

    Returns
    -------
    DataFrame
        Index ``(intervention, column)`` over every column; columns ``kind``,
        ``affected`` (a descendant of an intervened column), ``metric``
        (``rmse_sd``: root mean squared error in observational sd, for numeric
        columns; ``accuracy``: share of units with the true value, for binary and
        categorical ones), ``value``, ``floor`` (what a perfect model gets: 0 or 1,
        since a unit's counterfactual is determined by its noise) and ``moved`` (the
        share of units whose true counterfactual differs from their observed value).
        Columns that are not ``affected`` should equal the observed rows exactly.

    Raises
    ------
    InvalidParameterError
        ``n`` is not an integer >= 2.
    InvalidTypeError
        ``interventions`` is not a non-empty dict or list of them.

    Notes
    -----
    A numeric node with additive noise has its noise fixed by the row, so a perfect
    model reaches RMSE 0.  A categorical node's noise is only known to lie in the
    observed class's interval (see :class:`~debiasgen.datasets.StructuralCausalModel`),
    so no model that sees only rows is right on every unit.  ``floor`` is the error
    of the truth's own mechanisms with the noise drawn from that posterior
    (``truth.abduct(rows)``, when the truth has it): what a perfect model that
    samples the unknown part of the noise gets.  Without ``abduct`` it is 0 / 1.
    """
    _check_n("n", n)
    items = _as_list(interventions)
    rng = np.random.default_rng(random_state)
    units, noise = truth.sample(n, random_state=rng, return_noise=True)
    sd, kinds = _sds(truth, max(n, 5000), rng)
    posterior = truth.abduct(units, random_state=rng) if hasattr(truth, "abduct") else None
    frames = {}
    for item in items:
        got = model.counterfactual(units, item, random_state=int(rng.integers(2**62)))
        true = truth.counterfactual(noise, item)
        floor = truth.counterfactual(posterior, item) if posterior is not None else true
        changed = set(_columns(truth, item, "affected", units.columns)) | set(item)
        frames[_label(item)] = _unit_errors(got, true, floor, units, units.columns, kinds, sd,
                                            changed)
    return pd.concat(frames, names=["intervention", "column"])


def edge_removal_error(model, truth, edges: Sequence[tuple[str, str]], *, n: int = 5000,
                       n_units: int = 2000, columns: str = "affected",
                       random_state=None) -> pd.DataFrame:
    """Error of a model with ``edges`` removed against the truth with them removed.

    ``model`` is the model *after* removal (e.g. ``synth.debias(remove_edges=edges)``);
    its ``sample`` is compared with ``truth.remove_edges(edges, n)`` as in
    :func:`interventional_error`, and its ``counterfactual(rows)`` (no
    interventions) with ``truth.counterfactual(noise, remove_edges=edges)`` as in
    :func:`counterfactual_error`.  A removed edge's parent is read from an
    independent row, so a unit's counterfactual is itself a draw: the ``floor``
    of the counterfactual rows is the error between two independent true draws.
    Pass ``n_units=0`` to skip counterfactuals.

    Parameters
    ----------
    model
        The model after removal: ``sample`` and ``counterfactual(rows,
        random_state=...)``.
    truth
        See the module docstring (``remove_edges`` and ``counterfactual(noise,
        remove_edges=...)`` are needed).
    edges : sequence of (str, str)
        The removed edges, ``(parent, child)``.
    n : int, default=5000
        Rows drawn from the model and from the truth.
    n_units : int, default=2000
        Units for the counterfactual comparison; 0 skips it.
    columns : {"affected", "all"}, default="affected"
        Compare the removed edges' children and their descendants, or every column.
    random_state : None, int or numpy Generator
        Seeds the draws (one local generator).

    Returns
    -------
    DataFrame
        Index ``(query, column)`` with ``query`` ``"sample"`` or ``"counterfactual"``;
        columns ``kind``, ``metric`` (``mean_error``, ``rmse_sd`` or ``accuracy``),
        ``value``, ``distance`` and ``floor`` (of the ``distance`` for samples, of the
        ``value`` for counterfactuals).

    Raises
    ------
    InvalidParameterError
        ``n`` or ``n_units`` (when not 0) is not an integer >= 2, or ``columns`` is
        neither value.
    """
    _check_n("n", n)
    if columns not in ("all", "affected"):
        raise InvalidParameterError(f"columns must be 'affected' or 'all', got {columns!r}.")
    edges = [tuple(e) for e in edges]
    rng = np.random.default_rng(random_state)
    sd, kinds = _sds(truth, n, rng)
    seed = int(rng.integers(2**62))
    got = model.sample(n, random_state=seed)
    true = truth.remove_edges(edges, n, random_state=seed + 1)
    floor = truth.remove_edges(edges, n, random_state=seed + 2)
    children = {c for _, c in edges}
    affected = [c for c in true.columns if c in children] + [
        c for c in _columns(truth, children, "affected", true.columns) if c not in children]
    cols = list(true.columns) if columns == "all" else \
        [c for c in true.columns if c in affected]
    samples = _compare(got, true, floor, cols, kinds, sd)
    samples = samples.assign(metric="mean_error", value=samples["mean_error"])
    parts = {"sample": samples[["kind", "metric", "value", "distance", "floor"]]}
    if n_units:
        _check_n("n_units", n_units)
        units, noise = truth.sample(n_units, random_state=rng, return_noise=True)
        cf = model.counterfactual(units, random_state=int(rng.integers(2**62)))
        t1 = truth.counterfactual(noise, remove_edges=edges, random_state=rng)
        t2 = truth.counterfactual(noise, remove_edges=edges, random_state=rng)
        unit = _unit_errors(cf, t1, t2, units, units.columns, kinds, sd, set(affected))
        parts["counterfactual"] = unit.assign(distance=np.nan)[
            ["kind", "metric", "value", "distance", "floor"]]
    return pd.concat(parts, names=["query", "column"])

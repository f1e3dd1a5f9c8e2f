"""User queries in the network's terms: interventions as hooks, removals as cuts.

Everything here converts at the boundary between the user's column names and
values and the network's node indices and encoded values (numpy only; the network
compiles them, see :mod:`debiasgen.nn.network`), and validates on the way, with
errors that name the column, value or edge.  The column index is the encoder's
layout order, which is the graph's node order.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from debiasgen.core.encoding import TabularEncoder
from debiasgen.core.graph import CausalGraph
from debiasgen.core.presets import CRITERIA, PRESETS
from debiasgen.exceptions import (
    DataValidationError,
    GraphError,
    InvalidParameterError,
    InvalidTypeError,
    UnknownColumnError,
)

__all__ = [
    "CRITERIA_TEXT", "check_debias_arguments", "check_edges", "encode_value", "make_hooks",
    "preset_edges", "removal_spec",
]

# "'ftu', 'dp' or 'cf'": the presets of debiasgen.core.presets, in its order
CRITERIA_TEXT = ", ".join(map(repr, CRITERIA[:-1])) + f" or {CRITERIA[-1]!r}"


def make_hooks(encoder: TabularEncoder, interventions) -> dict[int, object]:
    """``{node: hook}`` applying ``{column: value or callable}`` to generated columns:
    a ``(code, value)`` pair for a value, a numpy function for a callable."""
    if not isinstance(interventions, Mapping) or not interventions:
        raise InvalidTypeError(
            "interventions must be a non-empty dict {column: value or callable}, "
            f"got {interventions!r}."
        )
    index = encoder.index_
    hooks = {}
    for column, value in interventions.items():
        if not isinstance(column, str) or column not in index:
            raise UnknownColumnError(
                f"cannot intervene on {column!r}: not a column of the fitted data "
                f"({list(index)!r})."
            )
        spec = encoder.layout_[index[column]]
        if callable(value):
            hooks[index[column]] = _soft_hook(encoder, spec, value)
        else:
            hooks[index[column]] = encode_value(encoder, spec, value, "intervention on")
    return hooks


def encode_value(encoder: TabularEncoder, spec, value, what: str) -> tuple[int, float]:
    """The ``(code, value)`` of one value for column ``spec`` (validated).

    The value is checked as it is, not as numpy or pandas would convert it: the
    number ``2**63`` must not wrap around in an int64 array, ``1 + 2j`` must not
    lose its imaginary part, a timestamp must not turn into nanoseconds, and
    ``True`` must not stand for the category ``1`` (see
    :meth:`~debiasgen.core.encoding.TabularEncoder.encode_column`).
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a 0-d array: its scalar
    if not pd.api.types.is_scalar(value):  # (np.ndim fails on ragged lists)
        raise DataValidationError(
            f"{what} {spec.name!r} must be a single value or a callable, got {value!r}."
        )
    if pd.isna(value):
        raise DataValidationError(
            f"cannot set column {spec.name!r} to a missing value; give a value."
        )
    codes, nums = encoder.encode_column(spec, pd.Series([value], dtype=object))
    return int(codes[0]), float(nums[0])


def _soft_hook(encoder, spec, func):
    def hook(codes: np.ndarray, values: np.ndarray):
        before = _column_values(spec, codes, values)
        try:
            after = func(before)
        except Exception as err:  # the user's own function failed: say whose
            raise DataValidationError(
                f"the callable for {spec.name!r} raised {type(err).__name__}: {err}"
            ) from err
        after = np.asarray(after, dtype=object if spec.kind == "categorical" else None)
        if after.ndim == 0:
            after = np.repeat(after[None], len(before))
        if after.shape != before.shape:
            raise DataValidationError(
                f"the callable for {spec.name!r} returned shape {after.shape}, "
                f"expected {before.shape} (one value per row)."
            )
        # the array as it is (an object array stays one: Python integers beyond int64
        # and mixed types reach the checks unconverted)
        return encoder.encode_column(spec, pd.Series(after, copy=False))

    return hook


def _column_values(spec, codes, values) -> np.ndarray:
    """A column's own values (numbers, or categories with NaN) from codes and values."""
    if spec.kind != "categorical":
        return values.copy()
    cats = np.array(list(spec.categories) + [np.nan], dtype=object)
    return cats[np.where(codes == spec.missing_code, len(spec.categories), codes)]


def check_debias_arguments(*, remove_edges, sensitive, target, criterion, noise_reuse,
                           nothing_removed_ok: bool = False) -> None:
    """Which de-biasing arguments go together: the one statement of these rules, read by
    :meth:`CCGMSynthesizer.debias <debiasgen.CCGMSynthesizer.debias>` and by the
    scikit-learn integrations (which pass ``target=None``: their target is the label,
    and ``nothing_removed_ok=True``: without edges they train on plain synthetic data).

    Raises
    ------
    InvalidParameterError
        Both ``remove_edges`` and ``criterion``; ``criterion`` without ``sensitive``;
        ``sensitive`` or ``target`` without ``criterion``; neither ``remove_edges``
        nor ``criterion`` (unless ``nothing_removed_ok``); ``noise_reuse`` with a
        criterion that does not decouple the sensitive attribute, or out of [0, 1].
    """
    if criterion is not None:
        if not isinstance(criterion, str) or criterion not in PRESETS:
            raise InvalidParameterError(
                f"criterion must be one of {CRITERIA!r}, got {criterion!r}.")
        if remove_edges is not None:
            raise InvalidParameterError(
                "give either remove_edges or a criterion preset, not both.")
        if sensitive is None:
            raise InvalidParameterError(
                f"criterion={criterion!r} needs sensitive=<column name>"
                + ("." if target is not None or nothing_removed_ok else " and target=<column>.")
                + (" (the target is the label y)" if nothing_removed_ok else "")
            )
    else:
        for name, value in (("sensitive", sensitive), ("target", target)):
            if value is not None:
                raise InvalidParameterError(
                    f"{name}={value!r} is used only with criterion={CRITERIA_TEXT}; give a "
                    f"criterion, or remove_edges=[(parent, child), ...] without {name}."
                )
        if remove_edges is None and not nothing_removed_ok:
            raise InvalidParameterError(
                "give remove_edges=[(parent, child), ...] or a criterion preset "
                f"(criterion={CRITERIA_TEXT} with sensitive and target).")
    if noise_reuse is not None:
        if criterion is None or not PRESETS[criterion].decouple:
            raise InvalidParameterError(
                f"noise_reuse={noise_reuse!r} applies to criterion='dp' only; explicit "
                "edges, 'ftu' and 'cf' replace the cut parents by an independent draw."
            )
        if isinstance(noise_reuse, bool) or not isinstance(noise_reuse, numbers.Real) \
                or not 0.0 <= noise_reuse <= 1.0:
            raise InvalidParameterError(
                f"noise_reuse must be a number in [0, 1], got {noise_reuse!r}.")


def check_edges(graph: CausalGraph, remove_edges) -> list[tuple[str, str]]:
    """``remove_edges`` as a list of pairs, each an edge of ``graph``."""
    if isinstance(remove_edges, (str, bytes, Mapping)) or not hasattr(remove_edges, "__iter__"):
        raise InvalidTypeError(
            f"remove_edges must be a list of (parent, child) pairs, got {remove_edges!r}."
        )
    edges = []
    for item in remove_edges:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise InvalidTypeError(f"each edge must be a (parent, child) pair, got {item!r}.")
        p, c = item
        if p not in graph or c not in graph or not graph.has_edge(p, c):
            known = list(graph.parents(c)) if c in graph else None
            raise GraphError(
                f"cannot remove {p!r} -> {c!r}: it is not an edge of the model's graph"
                + (f"; {c!r} has parents {known!r}." if known is not None else ".")
            )
        edges.append((p, c))
    if not edges:
        raise InvalidParameterError(
            "remove_edges is empty; name at least one (parent, child) edge."
        )
    return edges


def preset_edges(graph: CausalGraph, sensitive, target, criterion):
    """Edges (and decoupled roots) of a fairness preset (see :mod:`debiasgen.core.presets`)."""
    if not isinstance(criterion, str) or criterion not in PRESETS:
        raise InvalidParameterError(f"criterion must be one of {CRITERIA!r}, got {criterion!r}.")
    for name, value in [("sensitive", sensitive), ("target", target)]:
        if not isinstance(value, str) or value not in graph:
            raise UnknownColumnError(
                f"{name}={value!r} is not a column of the fitted data "
                f"({list(graph.nodes)!r})."
            )
    edges = list(graph.fairness_edges(sensitive, target, criterion))
    if not edges:
        raise GraphError(
            f"criterion {criterion!r} removes nothing: the graph has no path "
            f"{sensitive!r} -> ... -> {target!r} ending in an edge into {target!r}."
        )
    if PRESETS[criterion].decouple:
        if sensitive not in graph.roots:
            raise GraphError(
                f"criterion {criterion!r} needs {sensitive!r} to be a root of the graph; it "
                f"has parents {list(graph.parents(sensitive))!r}."
            )
        return edges, (sensitive,)
    return edges, ()


def removal_spec(encoder: TabularEncoder, removed_edges, reference, decoupled):
    """The network's terms for an edge removal: ``(cuts, reference, decoupled)``
    with ``cuts`` as ``(parent, child, from_reference)`` node triples and the
    reference values encoded as ``{node: (code, value)}``."""
    index = encoder.index_
    cuts = [(index[p], index[c], p in reference) for p, c in removed_edges]
    ref = {
        index[p]: encode_value(encoder, encoder.layout_[index[p]], value, "reference for")
        for p, value in reference.items()
    }
    return cuts, ref, tuple(index[r] for r in decoupled)

"""User queries in the generator's terms: interventions as hooks, edge removals as masks.

Everything here converts at the boundary between the user's column names and
values and the private torch generator (:mod:`debiasgen.nn.generate`), and
validates on the way, with errors that name the column, value or edge.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from debiasgen.encoding import TabularEncoder
from debiasgen.exceptions import DataValidationError, GraphError
from debiasgen.graph import CausalGraph
from debiasgen.nn.generate import EdgeRemoval, Hook

CRITERIA = ("ftu", "dp")


def make_hooks(encoder: TabularEncoder, interventions) -> dict[int, Hook]:
    """Torch hooks that apply ``{column: value or callable}`` to generated columns."""
    if not isinstance(interventions, Mapping) or not interventions:
        raise TypeError(
            "interventions must be a non-empty dict {column: value or callable}, "
            f"got {interventions!r}."
        )
    index = {spec.name: j for j, spec in enumerate(encoder.layout_)}
    hooks = {}
    for column, value in interventions.items():
        if column not in index:
            raise DataValidationError(
                f"cannot intervene on {column!r}: not a column of the fitted data "
                f"({list(index)!r})."
            )
        spec = encoder.layout_[index[column]]
        make = _soft_hook if callable(value) else _hard_hook
        hooks[index[column]] = make(encoder, spec, value)
    return hooks


def encode_values(encoder: TabularEncoder, spec, values):
    """Codes and numeric values (tensors) of a value or values for column ``spec``."""
    if np.ndim(values) == 0 and pd.isna(values):
        raise DataValidationError(
            f"cannot set column {spec.name!r} to a missing value; give a value."
        )
    codes, nums = encoder.encode_column(spec, pd.Series(np.atleast_1d(values).tolist()))
    codes, nums = codes.copy(), nums.copy()
    return torch.as_tensor(codes), torch.as_tensor(nums)


def _hard_hook(encoder, spec, value):
    if not np.ndim(value) == 0:
        raise DataValidationError(
            f"intervention on {spec.name!r} must be a single value or a callable, "
            f"got {value!r}."
        )
    code, num = encode_values(encoder, spec, value)
    return lambda codes, values: (code.expand_as(codes).clone(), num.expand_as(values).clone())


def _soft_hook(encoder, spec, func):
    def hook(codes, values):
        before = _column_values(spec, codes.numpy(), values.numpy())
        after = np.asarray(func(before), dtype=object if spec.kind == "categorical" else None)
        if after.ndim == 0:
            after = np.repeat(after[None], len(before))
        if after.shape != before.shape:
            raise DataValidationError(
                f"the callable for {spec.name!r} returned shape {after.shape}, "
                f"expected {before.shape} (one value per row)."
            )
        new_codes, new_values = encoder.encode_column(spec, pd.Series(list(after)))
        import torch

        return torch.tensor(new_codes), torch.tensor(new_values)

    return hook


def _column_values(spec, codes, values) -> np.ndarray:
    """A column's own values (numbers, or categories with NaN) from codes and values."""
    if spec.kind != "categorical":
        return values.copy()
    cats = np.array(list(spec.categories) + [np.nan], dtype=object)
    return cats[np.where(codes == spec.missing_code, len(spec.categories), codes)]


def check_edges(graph: CausalGraph, remove_edges) -> list[tuple[str, str]]:
    """``remove_edges`` as a list of pairs, each an edge of ``graph``."""
    edges = []
    for item in remove_edges:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise TypeError(f"each edge must be a (parent, child) pair, got {item!r}.")
        p, c = item
        if p not in graph or c not in graph or not graph.has_edge(p, c):
            known = list(graph.parents(c)) if c in graph else None
            raise GraphError(
                f"cannot remove {p!r} -> {c!r}: it is not an edge of the model's graph"
                + (f"; {c!r} has parents {known!r}." if known is not None else ".")
            )
        edges.append((p, c))
    if not edges:
        raise ValueError("remove_edges is empty; name at least one (parent, child) edge.")
    return edges


def preset_edges(graph: CausalGraph, sensitive, target, criterion):
    """Edges (and decoupled roots) of a fairness preset: ``"ftu"`` or ``"dp"``."""
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA!r}, got {criterion!r}.")
    for name, value in [("sensitive", sensitive), ("target", target)]:
        if value not in graph:
            raise ValueError(
                f"{name}={value!r} is not a column of the fitted data "
                f"({list(graph.nodes)!r})."
            )
    edges = list(graph.fairness_edges(sensitive, target, criterion))
    if not edges:
        raise GraphError(
            f"criterion {criterion!r} removes nothing: the graph has no path "
            f"{sensitive!r} -> ... -> {target!r} ending in an edge into {target!r}."
        )
    if criterion == "dp":
        if sensitive not in graph.roots:
            raise GraphError(
                f"criterion 'dp' needs {sensitive!r} to be a root of the graph; it has "
                f"parents {list(graph.parents(sensitive))!r}."
            )
        return edges, (sensitive,)
    return edges, ()


def build_removal(graph, encoder, module, removed_edges, reference, decoupled, noise_reuse):
    """The generator's masks and reference row for removing ``removed_edges``."""
    index = {c: j for j, c in enumerate(graph.nodes)}
    owner = module.input_owner
    shadow = torch.zeros(owner.shape, dtype=torch.bool)
    ref = torch.zeros(owner.shape, dtype=torch.bool)
    for p, c in removed_edges:
        target = ref if p in reference else shadow
        target[index[c]] |= owner[index[c]] == index[p]
    codes = torch.zeros(1, len(index), dtype=torch.long)
    values = torch.zeros(1, len(index), dtype=torch.float64)
    for p, value in reference.items():
        spec = encoder.layout_[index[p]]
        code, num = encode_values(encoder, spec, value)
        codes[0, index[p]], values[0, index[p]] = code[0], num[0]
    return EdgeRemoval(
        shadow_mask=shadow[:, None, :], reference_mask=ref[:, None, :],
        reference_features=module.features(codes, values),
        decoupled=tuple(index[r] for r in decoupled),
        noise_reuse=noise_reuse,
    )

"""Saving and loading a fitted :class:`~debiasgen.CCGMSynthesizer`.

The file (see :mod:`debiasgen.nn.files`) holds the format name and version, the
JSON metadata (parameters, graph, encoder layout, history, learned and removed
edges) and three groups of arrays: the encoder's, and the network's weights.
Loading checks that the parts agree with each other before anything is built, so
an edited or damaged file is refused with a :class:`ModelFileError` that says what
does not fit, instead of generating wrong data.
"""

from __future__ import annotations

import json
import numbers
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from debiasgen.core.encoding import (
    CATEGORICAL,
    NUMERIC,
    TabularEncoder,
    is_categorical,
    scalar_to_json,
)
from debiasgen.core.graph import CausalGraph
from debiasgen.exceptions import DebiasgenError, ModelFileError

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

FORMAT = "debiasgen-ccgm"
FORMAT_VERSION = 1


def save_model(synth, path) -> None:
    """Write ``synth`` (fitted) to ``path``."""
    from debiasgen.nn.files import write_model_file

    enc_meta, arrays = synth.encoder_.to_state()
    meta = {
        "params": synth.get_params(),
        "graph": synth.graph_.to_dict(),
        "encoder": enc_meta,
        "history": synth.history_,
        "learned_edges": [list(e) for e in synth.learned_edges_],
        "removal": None if synth._removal is None else {
            "edges": [list(e) for e in synth.removed_edges_],
            "reference": {k: scalar_to_json(v) for k, v in synth.reference_.items()},
            "sensitive": list(synth.decoupled_),
            "noise_reuse": synth.noise_reuse_,
        },
    }
    rs = synth.random_state
    # generators cannot be saved; the fitted weights are what matter
    meta["params"]["random_state"] = (
        int(rs) if isinstance(rs, numbers.Integral) and not isinstance(rs, bool) else None
    )
    write_model_file(
        path, {"format": FORMAT, "version": FORMAT_VERSION, "meta": json.dumps(meta)},
        {"state": synth.network_.to_arrays(), "arrays": arrays},
    )


class _Mismatch(ModelFileError):
    """Two parts of a model file do not agree (the detail; :func:`load_model` adds
    the file's name)."""


def load_model(cls, path):
    """A fitted ``cls`` from a file written by :func:`save_model`.

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, not a model file, of another format
        version, or damaged or edited so that its parts do not agree (the message
        says which part).
    """
    from debiasgen.nn.files import read_model_file

    blob = read_model_file(path)
    name = str(Path(path))
    if blob.get("format") != FORMAT:
        raise ModelFileError(
            f"{name!r} is not a debiasgen model file; write one with CCGMSynthesizer.save()."
        )
    version = blob.get("version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{name!r} was written in model format version {version!r}; this debiasgen "
            f"reads version {FORMAT_VERSION}. Save the model again with a matching debiasgen."
        )
    try:
        return _build(cls, blob)
    except KeyError as err:
        detail = f"the entry {err.args[0]!r} is missing" if err.args else "an entry is missing"
    # DebiasgenError: _Mismatch and the checks of the parts (parameters, graph,
    # encoder, weights); the others come from parts of the wrong type or shape, and
    # RuntimeError covers RecursionError (deeply nested JSON) and torch.
    except (DebiasgenError, TypeError, ValueError, IndexError, AttributeError,
            ArithmeticError, RuntimeError) as err:
        detail = str(err).rstrip(".")
    raise ModelFileError(
        f"{name!r} is damaged or was edited: its parts do not agree ({detail}). "
        "Save the model again."
    ) from None


def _pairs(entries, what: str) -> tuple[tuple[str, str], ...]:
    """``entries`` as (str, str) pairs, else a mismatch naming ``what``."""
    if not isinstance(entries, list):
        raise _Mismatch(f"{what} is not a list")
    pairs = []
    for edge in entries:
        if not (isinstance(edge, list) and len(edge) == 2
                and all(isinstance(c, str) for c in edge)):
            raise _Mismatch(f"{what} holds {edge!r}, which is not a [parent, child] pair")
        pairs.append(tuple(edge))
    return tuple(pairs)


def _build(cls, blob):
    from debiasgen.model.synthesizer import _model_parents, _plan
    from debiasgen.nn.network import CausalNetwork

    if not isinstance(blob["meta"], str):
        raise _Mismatch("the metadata is not a JSON string")
    try:
        meta = json.loads(blob["meta"])
    except ValueError as err:  # JSONDecodeError; a bad UTF-8 escape
        raise _Mismatch(f"the metadata is not valid JSON: {err}") from None
    if not isinstance(meta, dict):
        raise _Mismatch("the metadata is not a JSON object")
    for group in ("state", "arrays"):
        if not isinstance(blob[group], dict):
            raise _Mismatch(f"{group!r} is not a group of arrays")
    if not isinstance(meta["params"], dict):
        raise _Mismatch("the parameters are not a JSON object")
    self = cls(**meta["params"])
    self._validate_params()
    graph = CausalGraph.from_dict(meta["graph"])
    encoder = TabularEncoder.from_state(meta["encoder"], blob["arrays"])
    _check_encoder(encoder, blob["arrays"])
    if tuple(graph.nodes) != encoder.columns:
        raise _Mismatch(
            f"the graph's nodes {list(graph.nodes)!r} are not the encoded columns "
            f"{list(encoder.columns)!r}"
        )
    history = meta["history"]
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise _Mismatch("the training history is not a list of JSON objects")
    learned = _pairs(meta.get("learned_edges", []), "the list of learned edges")
    for edge in learned:
        if not graph.has_edge(*edge):
            raise _Mismatch(f"learned edge {edge!r} is not an edge of the graph")
    index = encoder.index_
    roots, levels = _plan(graph, index)
    self.network_ = CausalNetwork.from_arrays(
        encoder.layout_, _model_parents(graph, index), roots, levels, self.hidden_size,
        self.latent_dim, blob["state"], device=_load_device(self.device),
    )
    self.graph_, self.encoder_ = graph, encoder
    self.history_ = history
    self.learned_edges_ = learned
    self.n_features_in_ = len(graph.nodes)
    self.feature_names_in_ = np.asarray(graph.nodes, dtype=object)
    self.removed_edges_, self._removal = (), None
    removal = meta["removal"]
    if removal is not None:
        _set_removal(self, removal, graph)
    return self


def _load_device(device: str):
    """Where a loaded network goes: the saved ``device`` where it is available, else
    the CPU (files carry plain arrays, so any device can read them)."""
    from debiasgen.nn.network import cuda_available, torch_device

    if device == "cuda" and not cuda_available():
        warnings.warn(
            "the model was fitted with device='cuda' but torch finds no CUDA device: "
            "it is loaded on the CPU (set_params(device='cpu') to refit here).",
            UserWarning, stacklevel=5,
        )
        return "cpu"
    return torch_device(device)


def _set_removal(self, removal, graph: CausalGraph) -> None:
    """Check the saved edge removal against ``graph`` and compile it on ``self``."""
    if not isinstance(removal, dict):
        raise _Mismatch("the edge removal is not a JSON object")
    edges = _pairs(removal["edges"], "the list of removed edges")
    sensitive = removal["sensitive"]
    reference = removal["reference"]
    reuse = removal["noise_reuse"]
    if not edges:
        raise _Mismatch("the edge removal lists no edge")
    for edge in edges:
        if not graph.has_edge(*edge):
            raise _Mismatch(f"removed edge {edge!r} is not an edge of the graph")
    if len(set(edges)) != len(edges):
        raise _Mismatch("the edge removal lists an edge twice")
    if not isinstance(reference, dict):
        raise _Mismatch("the removal's reference is not a JSON object")
    if not set(reference) <= {p for p, _ in edges}:
        raise _Mismatch("the removal's reference names a column that is no cut parent")
    if not isinstance(sensitive, list) or not all(isinstance(s, str) for s in sensitive):
        raise _Mismatch("the removal's decoupled columns are not a list of names")
    if not set(sensitive) <= set(graph.roots):
        raise _Mismatch(f"decoupled columns {sensitive!r} are not roots of the graph")
    if isinstance(reuse, bool) or not isinstance(reuse, (int, float)) \
            or not 0.0 <= reuse <= 1.0 or (not sensitive and reuse != 0):
        raise _Mismatch(f"the removal's noise_reuse {reuse!r} is not a number in [0, 1] "
                        "(0 unless a sensitive column is decoupled)")
    self.removed_edges_ = edges
    self.reference_ = reference
    self.decoupled_ = tuple(sensitive)
    self.noise_reuse_ = float(reuse)
    self._removal = self._removal_masks()


_FIELDS = ("values", "cuts", "bin_start", "bin_end")


def _check_encoder(encoder: TabularEncoder, arrays) -> None:
    """Each column's layout is self-consistent (name, kind, dtype, classes, bins), and
    the file's encoder arrays are exactly those of its numeric columns."""
    names = encoder.columns
    if len(set(names)) != len(names):
        raise _Mismatch(f"the encoder lists a column twice ({list(names)!r})")
    expected_arrays = set()
    for j, spec in enumerate(encoder.layout_):
        if not isinstance(spec.name, str):
            raise _Mismatch(f"column name {spec.name!r} is not a string")
        if not isinstance(spec.has_missing, bool) \
                or isinstance(spec.n_classes, bool) or not isinstance(spec.n_classes, int):
            raise _Mismatch(f"the layout of {spec.name!r} is malformed (has_missing "
                            f"{spec.has_missing!r}, n_classes {spec.n_classes!r})")
        # a plain numpy bool or integer column cannot hold missing values
        holds_missing = not (isinstance(spec.dtype, np.dtype) and spec.dtype.kind in "biu")
        if spec.has_missing and not holds_missing:
            raise _Mismatch(f"column {spec.name!r} has dtype {spec.dtype}, which cannot hold "
                            "the missing values its layout says it had")
        if spec.kind == CATEGORICAL:
            _check_categories(spec)
            expected = len(spec.categories) + spec.has_missing
        elif spec.kind == NUMERIC:
            expected_arrays |= {f"col{j}.{f}" for f in _FIELDS}
            expected = _check_bins(spec) + spec.has_missing
        else:
            raise _Mismatch(f"column {spec.name!r} has unknown kind {spec.kind!r}")
        if spec.n_classes != expected or spec.n_classes < 1:
            raise _Mismatch(f"column {spec.name!r} has {spec.n_classes} classes, "
                            f"its layout gives {expected}")
    if set(arrays) != expected_arrays:
        odd = sorted(set(arrays) ^ expected_arrays)
        raise _Mismatch(f"the encoder arrays {odd!r} do not match the numeric columns")


def _check_categories(spec) -> None:
    if not is_categorical(spec.dtype):
        raise _Mismatch(f"categorical column {spec.name!r} has dtype {spec.dtype}")
    categories = list(spec.categories)
    try:
        unique = pd.Index(categories, dtype=object).is_unique
    except TypeError:  # an unhashable category
        unique = False
    if not unique:
        raise _Mismatch(f"the categories of {spec.name!r} are not distinct values")
    # a model file stores categories as JSON scalars; none is ever missing (missing
    # values are a class of their own)
    odd = [c for c in categories if c is None or not isinstance(c, (str, bool, int, float))
           or (isinstance(c, float) and c != c)]
    if odd:
        raise _Mismatch(f"categories {odd!r} of {spec.name!r} are missing or not scalars")
    if pd.api.types.is_string_dtype(spec.dtype) and not pd.api.types.is_object_dtype(spec.dtype) \
            and not isinstance(spec.dtype, pd.CategoricalDtype) \
            and not all(isinstance(c, str) for c in categories):
        raise _Mismatch(f"the categories of string column {spec.name!r} are not all strings")
    if isinstance(spec.dtype, pd.CategoricalDtype):
        # decoding casts to the dtype: a category it lacks would silently become missing
        lacking = [c for c in categories if c not in set(spec.dtype.categories)]
        if lacking:
            raise _Mismatch(f"categories {lacking!r} of {spec.name!r} are not categories "
                            f"of its dtype")
    elif pd.api.types.is_bool_dtype(spec.dtype) \
            and not all(isinstance(c, bool) for c in categories):
        raise _Mismatch(f"the categories of boolean column {spec.name!r} are "
                        f"{categories!r}, not True/False")


def _check_bins(spec) -> int:
    """The number of bins of a numeric column whose arrays fit together."""
    if spec.categories:
        raise _Mismatch(f"numeric column {spec.name!r} lists categories")
    if is_categorical(spec.dtype) or getattr(spec.dtype, "kind", None) not in ("i", "u", "f"):
        raise _Mismatch(f"numeric column {spec.name!r} has dtype {spec.dtype}")
    values, cuts, start, end = spec.values, spec.cuts, spec.bin_start, spec.bin_end
    if values.ndim != 1 or values.dtype.kind != "f" or not np.all(np.isfinite(values)) \
            or np.any(np.diff(values) < 0):
        raise _Mismatch(f"the training values of {spec.name!r} are not sorted numbers")
    if spec.dtype.kind in "iu" and np.any(values % 1 != 0):
        raise _Mismatch(f"the training values of integer column {spec.name!r} are not "
                        "all integers")
    n_bins = len(start)
    if start.ndim != 1 or end.ndim != 1 or cuts.ndim != 1 or start.dtype.kind != "i" \
            or end.dtype.kind != "i" or cuts.dtype.kind != "f":
        raise _Mismatch(f"the bins of {spec.name!r} are malformed")
    if n_bins != (1 if len(values) else 0) + len(cuts) or len(end) != n_bins \
            or np.any(np.diff(cuts) <= 0) or (n_bins and (
                start[0] != 0 or end[-1] != len(values) or np.any(start[1:] != end[:-1])
                or np.any(end <= start)
                or np.any(np.searchsorted(values, cuts, side="right") != end[:-1]))):
        raise _Mismatch(f"the bins of {spec.name!r} do not cover its values")
    return n_bins

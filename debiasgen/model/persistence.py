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
from pathlib import Path

import numpy as np

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


def load_model(cls, path):
    """A fitted ``cls`` from a file written by :func:`save_model`."""
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
    except ModelFileError:
        raise
    except (DebiasgenError, KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        detail = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise ModelFileError(
            f"{name!r} is damaged or was edited: its parts do not agree ({detail}). "
            "Save the model again."
        ) from None


def _build(cls, blob):
    from debiasgen.model.synthesizer import _model_parents, _plan
    from debiasgen.nn.network import CausalNetwork

    meta = json.loads(blob["meta"])
    if not isinstance(meta, dict):
        raise ValueError("the metadata is not a JSON object")
    self = cls(**meta["params"])
    self._validate_params()
    graph = CausalGraph.from_dict(meta["graph"])
    encoder = TabularEncoder.from_state(meta["encoder"], blob["arrays"])
    _check_encoder(encoder)
    if tuple(graph.nodes) != encoder.columns:
        raise ValueError(
            f"the graph's nodes {list(graph.nodes)!r} are not the encoded columns "
            f"{list(encoder.columns)!r}"
        )
    learned = tuple(tuple(e) for e in meta.get("learned_edges", []))
    for edge in learned:
        if not graph.has_edge(*edge):
            raise ValueError(f"learned edge {edge!r} is not an edge of the graph")
    index = encoder.index_
    roots, levels = _plan(graph, index)
    self.network_ = CausalNetwork.from_arrays(
        encoder.layout_, _model_parents(graph, index), roots, levels, self.hidden_size,
        self.latent_dim, blob["state"],
    )
    self.graph_, self.encoder_ = graph, encoder
    self.history_ = list(meta["history"])
    self.learned_edges_ = learned
    self.n_features_in_ = len(graph.nodes)
    self.feature_names_in_ = np.asarray(graph.nodes, dtype=object)
    self.removed_edges_, self._removal = (), None
    removal = meta["removal"]
    if removal is not None:
        edges = [tuple(e) for e in removal["edges"]]
        sensitive = list(removal["sensitive"])
        reference = removal["reference"]
        reuse = removal["noise_reuse"]
        if not isinstance(reference, dict) or not isinstance(reuse, (int, float)) \
                or not 0.0 <= reuse <= 1.0:
            raise ValueError("the removal's reference or noise_reuse is malformed")
        for edge in edges:
            if len(edge) != 2 or not graph.has_edge(*edge):
                raise ValueError(f"removed edge {edge!r} is not an edge of the graph")
        if not set(reference) <= {p for p, _ in edges}:
            raise ValueError("the removal's reference names a column that is no cut parent")
        if not set(sensitive) <= set(graph.roots):
            raise ValueError(f"decoupled columns {sensitive!r} are not roots of the graph")
        self.removed_edges_ = tuple(edges)
        self.reference_ = reference
        self.decoupled_ = tuple(sensitive)
        self.noise_reuse_ = float(reuse)
        self._removal = self._removal_masks()
    return self


def _check_encoder(encoder: TabularEncoder) -> None:
    """Each column's layout is self-consistent (kind, dtype, classes, bins)."""
    for spec in encoder.layout_:
        if not isinstance(spec.name, str):
            raise ValueError(f"column name {spec.name!r} is not a string")
        if spec.kind == CATEGORICAL:
            if not is_categorical(spec.dtype):
                raise ValueError(f"categorical column {spec.name!r} has dtype {spec.dtype}")
            expected = len(spec.categories) + spec.has_missing
        elif spec.kind == NUMERIC:
            if is_categorical(spec.dtype) or spec.dtype.kind not in "biuf":
                raise ValueError(f"numeric column {spec.name!r} has dtype {spec.dtype}")
            values, start, end = spec.values, spec.bin_start, spec.bin_end
            n_bins = len(start)
            if values.ndim != 1 or not np.all(np.isfinite(values)) \
                    or np.any(np.diff(values) < 0):
                raise ValueError(f"the training values of {spec.name!r} are not sorted numbers")
            if len(end) != n_bins or len(spec.cuts) != max(n_bins - 1, 0) \
                    or np.any(np.diff(spec.cuts) <= 0) \
                    or (n_bins and (start[0] != 0 or end[-1] != len(values)
                                    or np.any(start[1:] != end[:-1]) or np.any(end <= start))):
                raise ValueError(f"the bins of {spec.name!r} do not cover its values")
            expected = n_bins + spec.has_missing
        else:
            raise ValueError(f"column {spec.name!r} has unknown kind {spec.kind!r}")
        if spec.n_classes != expected or spec.n_classes < 1:
            raise ValueError(f"column {spec.name!r} has {spec.n_classes} classes, "
                             f"its layout gives {expected}")

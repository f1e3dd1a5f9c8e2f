"""Data sets shipped with debiasgen, each with the causal graph usually paired with it,
and generators of structural causal models with known truth (:func:`make_scm`).

Loaders read only files packaged under ``debiasgen/datasets/data``; nothing is
downloaded.
"""

from __future__ import annotations

from debiasgen.datasets._adult import (
    ADULT_EDGES,
    ADULT_SENSITIVE,
    ADULT_TARGET,
    ADULT_TRAIN_ROWS,
    adult_graph,
    load_adult,
)
from debiasgen.datasets._scm import SCM_KINDS, StructuralCausalModel
from debiasgen.datasets._scm_build import make_scm

__all__ = [
    "ADULT_EDGES",
    "ADULT_SENSITIVE",
    "ADULT_TARGET",
    "ADULT_TRAIN_ROWS",
    "SCM_KINDS",
    "StructuralCausalModel",
    "adult_graph",
    "load_adult",
    "make_scm",
]

"""Data sets shipped with debiasgen, each with the causal graph usually paired with it.

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

__all__ = [
    "ADULT_EDGES",
    "ADULT_SENSITIVE",
    "ADULT_TARGET",
    "ADULT_TRAIN_ROWS",
    "adult_graph",
    "load_adult",
]

"""Exceptions raised by debiasgen.

Every validation error is a ``ValueError`` or ``TypeError`` subclass, so callers
that already catch those keep working; the message names the column, edge or
argument at fault and says what to do.
"""

from __future__ import annotations

__all__ = ["DebiasgenError", "GraphError", "CycleError", "DataValidationError", "NotFittedError"]

from sklearn.exceptions import NotFittedError


class DebiasgenError(Exception):
    """Base class of the errors debiasgen raises on purpose."""


class GraphError(DebiasgenError, ValueError):
    """A causal graph is malformed or does not fit the data."""


class CycleError(GraphError):
    """The edges given for a causal graph contain a directed cycle."""


class DataValidationError(DebiasgenError, ValueError):
    """A DataFrame (or a value meant for one of its columns) cannot be used."""

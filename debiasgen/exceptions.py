"""Exceptions raised by debiasgen.

Every user mistake raises a :class:`DebiasgenError` that is also a ``ValueError``
or ``TypeError``, so callers that already catch those keep working; the message
names the column, edge, argument or file at fault and says what to do.

* :class:`InvalidParameterError` (``ValueError``): an argument's value is wrong.
* :class:`InvalidTypeError` (``TypeError``): an argument has the wrong type.
* :class:`DataValidationError` (``ValueError``): a DataFrame, or a value meant
  for one of its columns, cannot be used.
* :class:`GraphError` (``ValueError``), :class:`CycleError`: a causal graph is
  malformed or does not fit the data.
* :class:`UnknownColumnError`: a name that is not a column (it is both a
  ``DataValidationError`` and a ``GraphError``, wherever the name was given).
* :class:`ColumnKindError`: a column is numeric in one dataset and categorical in
  another (a ``DataValidationError`` and an ``InvalidTypeError``).
* :class:`ModelFileError` (``ValueError``): a file is not a usable debiasgen model,
  or a model cannot be written there.
* :class:`NotFittedError` is scikit-learn's (a ``ValueError``).
"""

from __future__ import annotations

__all__ = [
    "ColumnKindError",
    "CycleError",
    "DataValidationError",
    "DebiasgenError",
    "GraphError",
    "InvalidParameterError",
    "InvalidTypeError",
    "ModelFileError",
    "NotFittedError",
    "UnknownColumnError",
]

from sklearn.exceptions import NotFittedError


class DebiasgenError(Exception):
    """Base class of the errors debiasgen raises on purpose."""


class InvalidParameterError(DebiasgenError, ValueError):
    """An argument has a value debiasgen cannot use."""


class InvalidTypeError(DebiasgenError, TypeError):
    """An argument has a type debiasgen cannot use."""


class GraphError(DebiasgenError, ValueError):
    """A causal graph is malformed or does not fit the data."""


class CycleError(GraphError):
    """The edges given for a causal graph contain a directed cycle."""


class DataValidationError(DebiasgenError, ValueError):
    """A DataFrame (or a value meant for one of its columns) cannot be used."""


class UnknownColumnError(DataValidationError, GraphError):
    """A column name that the data (or the fitted model) does not have."""


class ColumnKindError(DataValidationError, InvalidTypeError):
    """A column is numeric in one dataset and categorical in another (reports).

    Both a :class:`DataValidationError` (a ``ValueError``) and an
    :class:`InvalidTypeError` (a ``TypeError``).
    """


class ModelFileError(DebiasgenError, ValueError):
    """A file is not a usable debiasgen model, or a model cannot be written there."""

"""A bounded summary of a table seen batch by batch: what the encoder learns from it.

:class:`FrameSketch` reads DataFrames one after another (the batches of a Parquet
source) and keeps, per column,

* a **categorical** column: its exact set of categories, in order of appearance,
  and the union of its categorical dtypes' categories;
* a **numeric** column: a uniform random sample without replacement of at most
  ``sample_rows`` of its non-missing values (:class:`Reservoir`), and its exact
  minimum and maximum;
* the exact number of missing cells, and the missing marker of object columns;
* the dtypes the batches had, resolved at the end into the dtype the whole table
  would have (an integer column with a gap in one batch is ``float64``, as pandas
  reads the whole file).

Memory is bounded by ``sample_rows`` per numeric column and by the number of
distinct categories, never by the number of rows.  :meth:`FrameSketch.layout`
turns the summary into the encoder's layout with the rules of
:meth:`~debiasgen.core.encoding.TabularEncoder.fit`: categories in the categorical
dtype's order, else sorted, else in order of appearance; numeric bins are the
quantile bins of the sample, whose values are also the column's training values
(the values generated numbers are drawn from), with the exact minimum and maximum
added so that the range is kept.  A column with at most ``sample_rows`` values is
sampled whole, and its layout is the one ``fit`` learns from the whole table.

The sample is bottom-k sampling: every value gets an independent uniform key and the
``k`` values with the smallest keys are kept, which is a uniform sample without
replacement of the values seen so far.  Keys are drawn from a generator seeded per
column, one key per non-missing value in order, so the sample does not depend on how
the rows are cut into batches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from debiasgen.core.encoding import CATEGORICAL, ColumnLayout, na_marker, numeric_layout
from debiasgen.core.frames import category_kind, is_categorical, validate_frame
from debiasgen.exceptions import DataValidationError

__all__ = ["RESERVOIR_ROWS", "FrameSketch", "Reservoir"]

RESERVOIR_ROWS = 200_000  # values kept per numeric column (1.6 MB of float64 a column)

_UNSEEN, _MIXED = object(), object()  # no missing cell yet; markers differ between batches


class Reservoir:
    """A uniform sample without replacement of at most ``k`` numbers from a stream.

    Parameters
    ----------
    k : int
        The most values kept.
    rng : numpy Generator
        Draws one key per value.

    Attributes
    ----------
    count : int
        Values seen.
    minimum, maximum : float
        The exact extremes of the values seen (NaN before any).
    """

    def __init__(self, k: int, rng: np.random.Generator):
        self.k = int(k)
        self.rng = rng
        self.keys = np.empty(0)
        self.values = np.empty(0)
        self.threshold = np.inf  # the largest key kept, once the sample is full
        self.count = 0
        self.minimum = self.maximum = np.nan

    def update(self, x: np.ndarray) -> None:
        """Offer the finite numbers ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if len(x) == 0:
            return
        self.count += len(x)
        lo, hi = float(x.min()), float(x.max())
        self.minimum = lo if not self.minimum <= lo else self.minimum
        self.maximum = hi if not self.maximum >= hi else self.maximum
        keys = self.rng.random(len(x))
        keep = keys < self.threshold  # only keys below the k-th smallest can enter
        keys, x = np.concatenate([self.keys, keys[keep]]), np.concatenate([self.values, x[keep]])
        if len(keys) > self.k:
            part = np.argpartition(keys, self.k - 1)[: self.k]
            keys, x = keys[part], x[part]
            self.threshold = float(keys.max())
        self.keys, self.values = keys, x

    def sample(self) -> np.ndarray:
        """The sorted sample, with the exact minimum and maximum added if it lacks them."""
        values = np.sort(self.values)
        if len(values) and self.count > len(values):
            extremes = [v for v in (self.minimum, self.maximum) if v not in (values[0], values[-1])]
            if extremes:
                values = np.sort(np.concatenate([values, extremes]))
        return values


class _ColumnSketch:
    def __init__(self, name: str, dtype, sample_rows: int, rng: np.random.Generator):
        self.name = name
        self.kind = CATEGORICAL if is_categorical(dtype) else "numeric"
        self.dtypes: list = []
        self.n_missing = 0
        self.marker = _UNSEEN  # the missing marker of object columns
        self.categories: dict = {}  # (kind, value) -> value, in order of appearance
        self.union: dict = {}  # categorical dtypes' categories, in order
        self.reservoir = Reservoir(sample_rows, rng) if self.kind != CATEGORICAL else None

    def update(self, col: pd.Series) -> None:
        dtype = col.dtype
        if (CATEGORICAL if is_categorical(dtype) else "numeric") != self.kind:
            raise DataValidationError(
                f"column {self.name!r} is {dtype} here but was {self.dtypes[0]} before; give "
                "the column one type in every file."
            )
        if isinstance(dtype, pd.CategoricalDtype):
            self.union.update(dict.fromkeys(dtype.categories))
        if not any(dtype == d and type(dtype) is type(d) for d in self.dtypes):
            self.dtypes.append(dtype)
        missing = col.isna().to_numpy()
        n_missing = int(missing.sum())
        if n_missing:
            self.n_missing += n_missing
            marker = na_marker(col[missing])
            if self.marker is _UNSEEN:
                self.marker = marker
            elif marker is not self.marker:
                self.marker = _MIXED
        present = col[~missing] if n_missing else col
        if self.kind == CATEGORICAL:
            for value in pd.unique(present):
                self.categories.setdefault((category_kind(type(value)), value), value)
        else:
            self.reservoir.update(present.to_numpy(dtype="float64", na_value=np.nan))

    def dtype(self):
        """The dtype of the column in the whole table."""
        first = self.dtypes[0]
        if len(self.dtypes) == 1:
            return first
        if all(isinstance(d, pd.CategoricalDtype) for d in self.dtypes):
            return pd.CategoricalDtype(pd.Index(list(self.union)), ordered=first.ordered)
        if all(isinstance(d, np.dtype) for d in self.dtypes):
            return np.result_type(*self.dtypes)  # int64 and float64 (gaps): float64
        raise DataValidationError(
            f"column {self.name!r} has dtypes {[str(d) for d in self.dtypes]} in different "
            "batches; give the column one type in every file."
        )

    def layout(self, max_bins: int) -> ColumnLayout:
        has_missing = self.n_missing > 0
        dtype = self.dtype()
        if self.kind != CATEGORICAL:
            return numeric_layout(self.name, dtype, self.reservoir.sample(), has_missing,
                                  max_bins)
        observed = list(self.categories.values())
        if pd.api.types.is_object_dtype(dtype):  # cells of an object column are Python's
            observed = [v.item() if isinstance(v, np.generic) else v for v in observed]
        if len({k for k, _ in self.categories} & {"bool", "int", "float"}) > 1:
            # equal values of different types across batches (True, 1): refused as in fit
            validate_frame(pd.DataFrame({self.name: pd.Series(observed, dtype=object)}))
        if isinstance(dtype, pd.CategoricalDtype):
            seen = set(observed)
            order = [c for c in dtype.categories if c in seen]
        else:
            try:
                order = sorted(observed)
            except TypeError:  # mixed types: keep the order of appearance
                order = observed
        marker = np.nan if self.marker is _UNSEEN or self.marker is _MIXED else self.marker
        return ColumnLayout(self.name, CATEGORICAL, dtype, len(order) + has_missing, has_missing,
                            tuple(order), na_value=marker)


class FrameSketch:
    """The summary of a table read in batches (see the module's docstring).

    Parameters
    ----------
    sample_rows : int, default=RESERVOIR_ROWS
        The most values kept per numeric column.
    seed : int, default=0
        Seeds the samples (column ``j`` draws from ``SeedSequence(seed, spawn_key=(j,))``).

    Attributes
    ----------
    columns : list of str
    n_rows : int
        Rows seen.
    """

    def __init__(self, sample_rows: int = RESERVOIR_ROWS, seed: int = 0):
        self.sample_rows = int(sample_rows)
        self.seed = int(seed)
        self.columns: list[str] | None = None
        self.n_rows = 0
        self._columns: list[_ColumnSketch] = []

    def update(self, frame: pd.DataFrame) -> None:
        """Add a batch of rows (checked with :func:`validate_frame`).

        Raises
        ------
        DataValidationError, InvalidTypeError
            The batch fails :func:`validate_frame`, or its columns or their kinds
            differ from the earlier batches'.
        """
        frame = validate_frame(frame)
        if self.columns is None:
            self.columns = list(frame.columns)
            self._columns = [
                _ColumnSketch(name, frame[name].dtype, self.sample_rows, np.random.default_rng(
                    np.random.SeedSequence(self.seed, spawn_key=(j,))))
                for j, name in enumerate(self.columns)
            ]
        elif list(frame.columns) != self.columns:
            raise DataValidationError(
                f"a batch has columns {list(frame.columns)!r}, the earlier ones had "
                f"{self.columns!r}; give every batch the same columns in the same order."
            )
        for sketch, name in zip(self._columns, self.columns):
            sketch.update(frame[name])
        self.n_rows += len(frame)

    def missing_counts(self) -> dict[str, int]:
        """Missing cells per column (exact)."""
        return {s.name: s.n_missing for s in self._columns}

    def layout(self, max_bins: int) -> tuple[ColumnLayout, ...]:
        """The encoder's layout learned from the rows seen."""
        if not self.n_rows:
            raise DataValidationError("the data has no rows; give at least one row.")
        return tuple(s.layout(max_bins) for s in self._columns)

"""Tabular encoding: a DataFrame to per-column class codes and back.

Every column becomes one node of the causal model with a finite set of classes:

* a **categorical** column (pandas ``category``, ``object``/string, ``bool``) has
  one class per category seen in training;
* a **numeric** column (integers and floats) is cut into at most about
  ``max_bins`` quantile bins.  A value that carries more than ``1/max_bins`` of
  the mass (the zero of ``capital-gain``) gets a bin of its own, and a column
  with at most ``max_bins`` distinct values gets one bin per value, so it is
  reproduced exactly.  A bin is turned back into a number by drawing one of the
  real training values that fall into it, so generated numbers always lie in
  the training range and integers stay integers;
* a column with missing values in training gets one more class, "missing", so
  missingness is generated at its learned rate.

Values are taken as they are, never as pandas or numpy would coerce them: a
category is a string, a number or a boolean, and a boolean is never the number 1
(``True == 1 == 1.0`` in Python, so a column holding both is refused rather than
merged); a numeric column takes real numbers only, and an integer column only
integers that float64 holds exactly (``|v| <= 2**53``) and its dtype can hold.

The encoder publishes a frozen :class:`ColumnLayout` per column; the model and
its loss read the layout rather than knowing about pandas dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from debiasgen.core.cells import category_codes, check_range, real_values
from debiasgen.core.frames import is_categorical, validate_frame
from debiasgen.exceptions import DataValidationError, InvalidTypeError

__all__ = [
    "ColumnLayout", "TabularEncoder", "astype_like", "is_categorical", "na_marker",
    "normal_scores", "numeric_layout", "rank_normal_scores", "validate_frame",
]

CATEGORICAL = "categorical"
NUMERIC = "numeric"


@dataclass(frozen=True, eq=False)
class ColumnLayout:
    """What the model needs to know about one column.

    Attributes
    ----------
    name : str
        The user's column name.
    kind : {"categorical", "numeric"}
    dtype : pandas dtype
        The column's dtype in training; generated columns are cast back to it.
    n_classes : int
        Number of classes the model predicts (categories or bins, plus one for
        "missing" when ``has_missing``).
    has_missing : bool
        Whether the column had missing values in training (the last class).
    categories : tuple
        Categorical columns: the categories seen in training, in class order.
    values : ndarray of float64
        Numeric columns: the sorted non-missing training values.
    cuts : ndarray of float64
        Numeric columns: bin ``b`` holds values in ``(cuts[b-1], cuts[b]]``.
    bin_start, bin_end : ndarray of int64
        Numeric columns: bin ``b`` holds ``values[bin_start[b]:bin_end[b]]``.
    na_value : object
        Object columns: the missing marker of training (``None``, ``pd.NA`` or
        ``pd.NaT`` when every missing cell was that one; NaN otherwise), which
        decoding writes back, so a round trip keeps ``None`` as ``None``.
    """

    name: str
    kind: str
    dtype: Any
    n_classes: int
    has_missing: bool
    categories: tuple = ()
    values: np.ndarray = None
    cuts: np.ndarray = None
    bin_start: np.ndarray = None
    bin_end: np.ndarray = None
    na_value: Any = np.nan

    @property
    def missing_code(self) -> int:
        """The class code of "missing" (``-1`` when the column has none)."""
        return self.n_classes - 1 if self.has_missing else -1

    @property
    def feature_width(self) -> int:
        """Width of the column's input features for its children's mechanisms."""
        if self.kind == CATEGORICAL:
            return self.n_classes
        return 1 + int(self.has_missing)


def _numeric_bins(values: np.ndarray, max_bins: int) -> np.ndarray:
    """Cut points for the sorted finite ``values``; bin b is (cuts[b-1], cuts[b]]."""
    uniq, counts = np.unique(values, return_counts=True)
    if len(uniq) <= max_bins:
        return uniq[:-1]
    spikes = np.flatnonzero(counts > len(values) / max_bins)
    rest = values[~np.isin(values, uniq[spikes])]
    n_quantile = max_bins - len(spikes)
    levels = np.linspace(0.0, 1.0, max(n_quantile, 1) + 1)[1:-1]
    quantile_cuts = (
        np.quantile(rest, levels, method="inverted_cdf") if len(rest) else np.empty(0)
    )
    # Isolate each spike: cut at the spike and at the distinct value just below it.
    below = uniq[spikes[spikes > 0] - 1]
    cuts = np.unique(np.concatenate([quantile_cuts, uniq[spikes], below]))
    return cuts[cuts < uniq[-1]]


def numeric_layout(name: str, dtype, values: np.ndarray, has_missing: bool,
                   max_bins: int) -> ColumnLayout:
    """The layout of a numeric column from its sorted non-missing ``values``."""
    cuts = _numeric_bins(values, max_bins) if len(values) else np.empty(0)
    n_bins = len(cuts) + 1 if len(values) else 0
    edges = np.searchsorted(values, cuts, side="right")
    bin_start = np.concatenate([[0], edges]).astype(np.int64)[:n_bins]
    bin_end = np.concatenate([edges, [len(values)]]).astype(np.int64)[:n_bins]
    return ColumnLayout(
        name, NUMERIC, dtype, n_bins + has_missing, has_missing,
        values=values, cuts=cuts, bin_start=bin_start, bin_end=bin_end,
    )


class TabularEncoder:
    """Encode a DataFrame as per-column class codes and numeric values, and back.

    Parameters
    ----------
    max_bins : int, default=32
        About how many quantile bins a numeric column is cut into.

    Attributes
    ----------
    layout_ : tuple of ColumnLayout
        One entry per column, in the frame's column order.
    """

    def __init__(self, max_bins: int = 32):
        self.max_bins = max_bins

    def fit(self, X: pd.DataFrame) -> TabularEncoder:
        """Learn each column's classes from ``X`` (validated with :func:`validate_frame`)."""
        X = validate_frame(X)
        self.layout_ = tuple(self._fit_column(name, X[name]) for name in X.columns)
        return self

    def _fit_column(self, name: str, col: pd.Series) -> ColumnLayout:
        missing = col.isna().to_numpy()
        has_missing = bool(missing.any())
        if is_categorical(col.dtype):
            if isinstance(col.dtype, pd.CategoricalDtype):
                observed = pd.unique(col[~missing])
            else:
                # Python's equality, not pandas' hashtable: pandas < 2.1 takes the strings
                # '' and '\x00' for one value (it compares them as C strings)
                observed = list(dict.fromkeys(col[~missing].to_numpy(dtype=object).tolist()))
            if isinstance(col.dtype, pd.CategoricalDtype):
                order = [c for c in col.dtype.categories if c in set(observed)]
            else:
                try:
                    order = sorted(observed)
                except TypeError:  # mixed types: keep the order of appearance
                    order = list(observed)
            return ColumnLayout(
                name, CATEGORICAL, col.dtype, len(order) + has_missing, has_missing, tuple(order),
                na_value=na_marker(col[missing]),
            )
        values = np.sort(col.to_numpy(dtype="float64", na_value=np.nan)[~missing])
        return numeric_layout(name, col.dtype, values, has_missing, self.max_bins)

    def fit_stream(self, batches, *, sample_rows: int, seed: int) -> TabularEncoder:
        """Learn the layout from an iterable of DataFrames (one streaming pass).

        Categories are exact; a numeric column's values (and so its bins) are a
        uniform sample of at most ``sample_rows`` of its values plus its exact
        minimum and maximum (see :mod:`debiasgen.core.sketch`).  With at most
        ``sample_rows`` values per column the layout is the one :meth:`fit` learns
        from the concatenated frames.
        """
        from debiasgen.core.sketch import FrameSketch

        sketch = FrameSketch(sample_rows=sample_rows, seed=seed)
        for frame in batches:
            sketch.update(frame)
        self.layout_ = sketch.layout(self.max_bins)
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.layout_)

    @property
    def index_(self) -> dict[str, int]:
        """Column name -> node index: the one column index every part reads (the
        layout's order, which is the data's column order and the graph's node order)."""
        return {c.name: j for j, c in enumerate(self.layout_)}

    def encode(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(codes, values)``: int64 class codes and float64 numeric values.

        ``values`` holds the numeric columns' own values (NaN where missing and for
        categorical columns).

        Raises
        ------
        DataValidationError
            A column is absent, a categorical value was not seen in training, a
            value is one its column cannot take (see :meth:`encode_column`), or a
            column has missing values although it had none in training.
        """
        missing_cols = [c for c in self.columns if c not in X.columns]
        if missing_cols:
            raise DataValidationError(
                f"columns {missing_cols!r} are missing; the model was fitted on "
                f"{list(self.columns)!r}."
            )
        n = len(X)
        codes = np.empty((n, len(self.layout_)), dtype=np.int64)
        values = np.full((n, len(self.layout_)), np.nan)
        for j, spec in enumerate(self.layout_):
            codes[:, j], values[:, j] = self.encode_column(spec, X[spec.name])
        return codes, values

    @staticmethod
    def encode_column(spec: ColumnLayout, col) -> tuple[np.ndarray, np.ndarray]:
        """Codes and numeric values of one column's values (array-like).

        Raises
        ------
        DataValidationError
            A value the column cannot take: a category not seen in training (a
            boolean is not the number 1, nor the reverse), a value that is not a
            real number for a numeric column (strings, complex numbers, dates,
            ...), a non-integer or an integer beyond ``2**53`` or beyond what the
            column's dtype holds for an integer column, a number beyond a float32
            or float16 column's range, an infinity, or a missing value in a column
            that had none in training.
        """
        col = pd.Series(col) if not isinstance(col, pd.Series) else col
        missing = col.isna().to_numpy()
        if missing.any() and not spec.has_missing:
            raise DataValidationError(
                f"column {spec.name!r} has missing values, but had none in training."
            )
        if spec.kind == CATEGORICAL:
            codes = category_codes(spec, col, missing)
            codes[missing] = spec.missing_code
            return codes, np.full(len(col), np.nan)
        values = real_values(spec, col, missing)
        if len(spec.values) == 0 and not missing.all():
            raise DataValidationError(
                f"column {spec.name!r} had only missing values in training; it cannot take "
                "a number."
            )
        check_range(spec, col, values, missing)
        codes = np.searchsorted(spec.cuts, values, side="left").astype(np.int64)
        codes[missing] = spec.missing_code
        return codes, values

    def decode(self, codes: np.ndarray, values: np.ndarray) -> pd.DataFrame:
        """Build a DataFrame with the training columns, order and dtypes.

        ``codes`` gives the class of categorical columns; ``values`` the numbers of
        numeric columns (NaN where missing).
        """
        data = {}
        for j, spec in enumerate(self.layout_):
            if spec.kind == CATEGORICAL:
                c = np.where(codes[:, j] == spec.missing_code, -1, codes[:, j])
                cats = pd.Index(list(spec.categories), dtype=object)
                cat = pd.Categorical.from_codes(c, categories=cats)
                data[spec.name] = pd.Series(cat).astype(spec.dtype)
                if spec.na_value is not np.nan and (c < 0).any():
                    cells = data[spec.name].to_numpy(dtype=object, copy=True)
                    cells[c < 0] = spec.na_value
                    data[spec.name] = pd.Series(cells, dtype=object)
            else:
                data[spec.name] = pd.Series(values[:, j]).astype(spec.dtype)
        return pd.DataFrame(data)

    # -- persistence -------------------------------------------------------
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-friendly metadata and named arrays that rebuild the encoder."""
        meta, arrays = {"max_bins": self.max_bins, "columns": []}, {}
        for j, spec in enumerate(self.layout_):
            entry = {
                "name": spec.name, "kind": spec.kind, "n_classes": spec.n_classes,
                "has_missing": spec.has_missing, "dtype": _dtype_to_json(spec.dtype),
                "categories": [scalar_to_json(c) for c in spec.categories],
            }
            if spec.na_value is not np.nan:
                entry["na_value"] = _NA_NAMES[id(spec.na_value)]
            meta["columns"].append(entry)
            if spec.kind == NUMERIC:
                for field in ("values", "cuts", "bin_start", "bin_end"):
                    arrays[f"col{j}.{field}"] = getattr(spec, field)
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> TabularEncoder:
        enc = cls(max_bins=meta["max_bins"])
        layout = []
        for j, entry in enumerate(meta["columns"]):
            kw = {}
            if entry["kind"] == NUMERIC:
                fields = ("values", "cuts", "bin_start", "bin_end")
                kw = {f: np.asarray(arrays[f"col{j}.{f}"]) for f in fields}
            layout.append(ColumnLayout(
                entry["name"], entry["kind"], _dtype_from_json(entry["dtype"]), entry["n_classes"],
                entry["has_missing"], tuple(entry["categories"]),
                na_value=_NA_MARKERS.get(entry.get("na_value"), np.nan), **kw,
            ))
        enc.layout_ = tuple(layout)
        return enc



# Missing markers an object column may keep through a round trip, by their saved name.
_NA_MARKERS = {"None": None, "NA": pd.NA, "NaT": pd.NaT}
_NA_NAMES = {id(v): k for k, v in _NA_MARKERS.items()}


def na_marker(cells: pd.Series):
    """The one missing marker of an object column's missing ``cells`` (NaN if mixed)."""
    if not pd.api.types.is_object_dtype(cells.dtype) or len(cells) == 0:
        return np.nan
    first = cells.iloc[0]
    if id(first) in _NA_NAMES and all(v is first for v in cells):
        return first
    return np.nan


def astype_like(frame: pd.DataFrame, dtypes) -> pd.DataFrame:
    """Cast ``frame``'s columns to ``dtypes`` without losing a value.

    A counterfactual is decoded with the training dtypes and returned with the
    input frame's dtypes; a plain ``astype`` would turn a category the input's
    categorical dtype lacks into a missing value (setting a column to a category
    that the input rows do not use), a missing value into ``True`` in a bool
    column, and a fraction into an integer.  Here a categorical dtype gets the
    missing categories appended (after its own, in ``frame``'s order), and a column
    that another dtype cannot hold exactly keeps ``frame``'s dtype.

    Parameters
    ----------
    frame : DataFrame
        Decoded rows (the training dtypes).
    dtypes : Series or mapping
        Column name -> wanted dtype (e.g. ``X.dtypes``).

    Returns
    -------
    DataFrame
        A new frame with the same index and columns.
    """
    out = {}
    for name in frame.columns:
        col, want = frame[name], dtypes[name]
        if col.dtype == want:
            out[name] = col
            continue
        if isinstance(want, pd.CategoricalDtype):
            have = pd.unique(col.dropna().to_numpy(dtype=object))
            if isinstance(col.dtype, pd.CategoricalDtype):  # in the training order
                have = [c for c in col.dtype.categories if c in set(have)]
            known = set(want.categories)
            extra = [c for c in have if c not in known]
            if extra:
                want = pd.CategoricalDtype(list(want.categories) + extra, ordered=want.ordered)
        try:
            cast = col.astype(want)
        except (TypeError, ValueError, OverflowError):
            out[name] = col
            continue
        out[name] = cast if _same_values(col, cast) else col
    return pd.DataFrame(out, index=frame.index)


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    na = a.isna().to_numpy()
    if not np.array_equal(na, b.isna().to_numpy()):
        return False
    x, y = a.to_numpy(dtype=object)[~na], b.to_numpy(dtype=object)[~na]
    return bool(np.all(x == y)) if len(x) else True


def scalar_to_json(value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise InvalidTypeError(
        f"category {value!r} of type {type(value).__name__} cannot be saved; "
        "use strings, numbers or booleans as categories."
    )


def _dtype_to_json(dtype) -> dict:
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "name": "category", "ordered": bool(dtype.ordered),
            "categories": [scalar_to_json(c) for c in dtype.categories],
        }
    if isinstance(dtype, pd.StringDtype):
        # str(dtype) forgets the storage (string[pyarrow] would load as string[python])
        na_value = getattr(dtype, "na_value", pd.NA)
        return {"name": "string", "storage": dtype.storage,
                "na": "nan" if na_value is not pd.NA else "NA"}
    return {"name": str(dtype)}


def _dtype_from_json(entry: dict):
    if entry["name"] == "category":
        return pd.CategoricalDtype(entry["categories"], ordered=entry["ordered"])
    if entry["name"] == "string" and "storage" in entry:
        if entry.get("na") == "nan":
            return pd.StringDtype(storage=entry["storage"], na_value=np.nan)
        return pd.StringDtype(storage=entry["storage"])
    return pd.api.types.pandas_dtype(entry["name"])


def rank_normal_scores(values) -> np.ndarray:
    """Rank-based normal scores: ``Phi^-1((r - 1/2) / n)``, the mid-rank ECDF's.

    The one normal-score transform of debiasgen (a Gaussian copula: skewed, spiky
    and categorical-code columns all come out on the standard normal scale), used
    by the model's numeric inputs (:func:`normal_scores`) and by the mixed-data
    independence test of structure discovery.  ``(r - 1/2) / n`` is the share of
    the values below a value plus half the share of its own ties, so it stays
    inside (0, 1).

    Parameters
    ----------
    values : 1-d array-like of float
        Finite numbers.

    Returns
    -------
    ndarray of float64
        One score per value; ``r`` is the value's rank (1-based), tied values
        sharing their average rank, so equal values get equal scores.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return np.empty(x.shape)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    mid = np.cumsum(counts) - counts / 2.0  # average rank of each distinct value, less 1/2
    return ndtri(mid / x.size)[inverse.reshape(x.shape)]


def normal_scores(spec: ColumnLayout) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``(x, z)`` mapping a numeric value to its normal score.

    ``z = Phi^-1(mid-rank ECDF(x))`` (:func:`rank_normal_scores`) at each distinct
    training value; the model feeds this score, not the raw number, to the
    column's children, so skewed and spiky columns reach them on a common scale.
    """
    if len(spec.values) == 0:
        return np.zeros(1), np.zeros(1)
    knots, first = np.unique(spec.values, return_index=True)
    return knots, rank_normal_scores(spec.values)[first]

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

The encoder publishes a frozen :class:`ColumnLayout` per column; the model and
its loss read the layout rather than knowing about pandas dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from debiasgen.exceptions import DataValidationError

__all__ = ["ColumnLayout", "TabularEncoder", "validate_frame"]

CATEGORICAL = "categorical"
NUMERIC = "numeric"
_MAX_EXACT_INT = 2**53  # integers up to this size are exact in float64


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


def is_categorical(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def _is_numeric(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)


def validate_frame(X) -> pd.DataFrame:
    """Check that ``X`` is a DataFrame debiasgen can model, and return it.

    Raises
    ------
    TypeError
        ``X`` is not a DataFrame, a column name is not a string, or a column has
        an unsupported dtype (datetimes, timedeltas, complex numbers, intervals).
    DataValidationError
        ``X`` is empty, has duplicate column names, a numeric column holds
        infinities, or an integer column holds values beyond ``2**53``.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"X must be a pandas DataFrame, got {type(X).__name__}; "
            "wrap arrays with pd.DataFrame(data, columns=[...])."
        )
    if X.shape[1] == 0:
        raise DataValidationError("X has no columns; pass a DataFrame with at least one column.")
    if X.shape[0] == 0:
        raise DataValidationError("X has no rows; pass a DataFrame with at least one row.")
    bad = [c for c in X.columns if not isinstance(c, str)]
    if bad:
        raise TypeError(
            f"column names must be strings, got {bad[:5]!r}; "
            "rename them, e.g. df.columns = df.columns.astype(str)."
        )
    dup = X.columns[X.columns.duplicated()].unique().tolist()
    if dup:
        raise DataValidationError(f"duplicate column names {dup!r}; give each column its own name.")
    for name in X.columns:
        dtype = X[name].dtype
        if is_categorical(dtype):
            continue
        if not _is_numeric(dtype):
            raise TypeError(
                f"column {name!r} has unsupported dtype {dtype}; convert it to numbers "
                "(e.g. a timestamp to days since an origin) or to strings/category first."
            )
        values = X[name].to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(values).any():
            raise DataValidationError(
                f"column {name!r} contains infinite values; replace them with finite numbers "
                "or with NaN (missing) first."
            )
        if pd.api.types.is_integer_dtype(dtype):
            ints = X[name].dropna()
            if ((ints > _MAX_EXACT_INT) | (ints < -_MAX_EXACT_INT)).any():
                raise DataValidationError(
                    f"column {name!r} holds integers beyond 2**53, which are modelled as float64 "
                    "and would not be reproduced exactly; convert it to float or to strings first."
                )
    return X


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
            observed = pd.unique(col[~missing])
            if isinstance(col.dtype, pd.CategoricalDtype):
                order = [c for c in col.dtype.categories if c in set(observed)]
            else:
                try:
                    order = sorted(observed)
                except TypeError:  # mixed types: keep the order of appearance
                    order = list(observed)
            return ColumnLayout(
                name, CATEGORICAL, col.dtype, len(order) + has_missing, has_missing, tuple(order)
            )
        values = np.sort(col.to_numpy(dtype="float64", na_value=np.nan)[~missing])
        cuts = _numeric_bins(values, self.max_bins) if len(values) else np.empty(0)
        n_bins = len(cuts) + 1 if len(values) else 0
        edges = np.searchsorted(values, cuts, side="right")
        bin_start = np.concatenate([[0], edges]).astype(np.int64)[:n_bins]
        bin_end = np.concatenate([edges, [len(values)]]).astype(np.int64)[:n_bins]
        return ColumnLayout(
            name, NUMERIC, col.dtype, n_bins + has_missing, has_missing,
            values=values, cuts=cuts, bin_start=bin_start, bin_end=bin_end,
        )

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
            A column is absent, a categorical value was not seen in training, or a
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
        """Codes and numeric values of one column's values (array-like)."""
        col = pd.Series(col) if not isinstance(col, pd.Series) else col
        missing = col.isna().to_numpy()
        if missing.any() and not spec.has_missing:
            raise DataValidationError(
                f"column {spec.name!r} has missing values, but had none in training."
            )
        if spec.kind == CATEGORICAL:
            known = pd.Index(list(spec.categories), dtype=object)
            codes = known.get_indexer(col.astype(object)).astype(np.int64)  # -1: unknown/NA
            unknown = (codes < 0) & ~missing
            if unknown.any():
                bad = pd.unique(col[unknown])[:5].tolist()
                raise DataValidationError(
                    f"column {spec.name!r} has values {bad!r} not seen in training; "
                    f"known categories are {list(spec.categories)!r}."
                )
            codes[missing] = spec.missing_code
            return codes, np.full(len(col), np.nan)
        try:  # a copy: the caller may write to it (a view of ``col`` can be read-only)
            values = col.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        except (TypeError, ValueError) as exc:
            raise DataValidationError(
                f"column {spec.name!r} is numeric; got values that are not numbers ({exc})."
            ) from None
        if np.isinf(values).any():
            raise DataValidationError(f"column {spec.name!r}: infinite values are not allowed.")
        if len(spec.values) == 0 and not missing.all():
            raise DataValidationError(
                f"column {spec.name!r} had only missing values in training; it cannot take "
                "a number."
            )
        if pd.api.types.is_integer_dtype(spec.dtype):
            frac = values[~missing] % 1
            if (frac != 0).any():
                raise DataValidationError(
                    f"column {spec.name!r} holds integers; got a non-integer value "
                    f"{values[~missing][frac != 0][0]!r}."
                )
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
                entry["has_missing"], tuple(entry["categories"]), **kw,
            ))
        enc.layout_ = tuple(layout)
        return enc


def scalar_to_json(value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(
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


def normal_scores(spec: ColumnLayout) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``(x, z)`` mapping a numeric value to its normal score.

    ``z = Phi^-1(mid-rank ECDF(x))`` at each distinct training value; the model
    feeds this score, not the raw number, to the column's children, so skewed and
    spiky columns reach them on a common scale.
    """
    uniq, counts = np.unique(spec.values, return_counts=True)
    if len(uniq) == 0:
        return np.zeros(1), np.zeros(1)
    n = counts.sum()
    mid = (np.cumsum(counts) - counts / 2.0) / n
    return uniq, ndtri(np.clip(mid, 0.5 / n, 1 - 0.5 / n))

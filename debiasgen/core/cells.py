"""One column's values as the encoder's class codes and numbers, checked cell by cell:
a category matches only a value of its own kind (``True`` never stands for ``1``),
and a numeric column takes only real numbers its dtype holds exactly."""

from __future__ import annotations

import decimal
import numbers
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from debiasgen.core.frames import MAX_EXACT_INT, category_kind, is_numeric
from debiasgen.exceptions import DataValidationError

if TYPE_CHECKING:  # the layout lives in encoding.py, which imports this module
    from debiasgen.core.encoding import ColumnLayout

__all__ = ["category_codes", "check_range", "real_values"]


# -- encoding one column's values -------------------------------------------------
# Lookup kinds: a value matches a category only when both are of the same kind, so
# that True never stands for 1 (nor 1 for True); an int may stand for an equal float.
_LOOKUP_KIND = {None: 0, "bool": 1, "int": 2, "float": 2, "str": 3}


def _lookup_kinds(col: pd.Series) -> np.ndarray:
    """The lookup kind of every cell of ``col`` (0: a type no category can have)."""
    dtype, n = col.dtype, len(col)
    if pd.api.types.is_bool_dtype(dtype):
        return np.full(n, 1)
    if is_numeric(dtype):
        return np.full(n, 2)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return np.full(n, 3)
    if isinstance(dtype, pd.CategoricalDtype):
        cats = np.array([_LOOKUP_KIND[category_kind(type(c))] for c in dtype.categories] + [0])
        return cats[col.cat.codes.to_numpy()]  # missing (-1) takes the last entry
    if not pd.api.types.is_object_dtype(dtype):
        return np.zeros(n, dtype=int)
    inferred = pd.api.types.infer_dtype(col, skipna=True)
    simple = {"string": 3, "boolean": 1, "integer": 2, "floating": 2, "mixed-integer-float": 2}
    if inferred in simple:
        return np.full(n, simple[inferred])
    types = col.map(type)
    return types.map({tp: _LOOKUP_KIND[category_kind(tp)] for tp in set(types)}).to_numpy()


def category_codes(spec: ColumnLayout, col: pd.Series, missing: np.ndarray) -> np.ndarray:
    """Class codes of a categorical column's values (-1 where missing)."""
    if isinstance(col.dtype, pd.CategoricalDtype) and len(col.dtype.categories) < len(col):
        # each of the dtype's categories looked up once, every cell by its category's
        # code (a missing cell's -1 takes the appended entry)
        categories = pd.Series(col.dtype.categories.astype(object), dtype=object)
        codes, other_kind = _lookup(spec, categories, np.zeros(len(categories), dtype=bool))
        cell = col.cat.codes.to_numpy()
        codes, other_kind = np.append(codes, -1)[cell], np.append(other_kind, False)[cell]
    else:
        codes, other_kind = _lookup(spec, col, missing)
    unknown = (codes < 0) & ~missing
    if unknown.any():
        cells = col.astype(object).to_numpy()
        bad = []
        for value in cells[unknown]:
            if not any(value is b or repr(value) == repr(b) for b in bad):
                bad.append(value)
            if len(bad) == 5:
                break
        hint = ""
        if other_kind.any():
            hint = " (booleans, numbers and strings are different categories: True is not 1)"
        raise DataValidationError(
            f"column {spec.name!r} has values {_plain(bad)!r} not seen in training; "
            f"known categories are {_plain(spec.categories)!r}{hint}."
        )
    return codes


def _lookup(spec: ColumnLayout, col: pd.Series, missing: np.ndarray):
    """Class codes of a column's values (-1: missing or not a category) and whether
    each value equals a category of another kind (``True`` is not ``1``)."""
    kinds = _lookup_kinds(col)
    cells = col.astype(object).to_numpy()
    # A cell of a type no category has (a list, bytes, ...) is looked up as None, which
    # matches nothing: unhashable cells never reach pandas' hashing.
    query = np.where((kinds != 0) & ~missing, cells, None)
    known = pd.Index(list(spec.categories), dtype=object)
    codes = known.get_indexer(query).astype(np.int64)  # -1: unknown/NA
    cat_kinds = np.array(
        [_LOOKUP_KIND[category_kind(type(c))] for c in spec.categories] + [0], dtype=int
    )
    other_kind = (codes >= 0) & (cat_kinds[codes] != kinds)
    codes[other_kind] = -1
    return codes, other_kind


def _plain(values) -> list:
    """Values as Python scalars, for messages (``True``, not ``np.True_``)."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _is_real_type(tp: type) -> bool:
    if issubclass(tp, (np.timedelta64, np.datetime64)):  # numpy registers these as numbers
        return False
    return issubclass(tp, (numbers.Real, np.bool_, decimal.Decimal))


def real_values(spec: ColumnLayout, col: pd.Series, missing: np.ndarray) -> np.ndarray:
    """A numeric column's values as float64 (a copy), refusing what is not a real
    number: strings, complex numbers, dates and durations, bytes, ..."""
    dtype, name = col.dtype, spec.name
    if isinstance(dtype, pd.CategoricalDtype):
        ok = is_numeric(dtype.categories.dtype)
    elif pd.api.types.is_object_dtype(dtype):
        cells = col[~missing]
        ok = True
        if pd.api.types.infer_dtype(cells, skipna=True) not in (
            "integer", "floating", "mixed-integer-float", "boolean", "decimal", "empty"
        ):
            types = cells.map(type)
            for tp in set(types):
                if not _is_real_type(tp):
                    example = cells[(types == tp).to_numpy()].iloc[0]
                    raise DataValidationError(
                        f"column {name!r} is numeric; got values that are not numbers: "
                        f"{example!r} is of type {tp.__name__}, not a real number; give "
                        "numbers (e.g. convert strings with pd.to_numeric)."
                    )
    else:
        ok = is_numeric(dtype)  # numbers and booleans; not complex, dates or strings
    if not ok:
        raise DataValidationError(
            f"column {name!r} is numeric; got values that are not numbers (dtype {dtype}): "
            "convert them to real numbers first (e.g. with pd.to_numeric)."
        )
    if pd.api.types.is_integer_dtype(spec.dtype):
        _check_exact_integers(name, col[~missing])
    try:  # a copy: the caller may write to it (a view of ``col`` can be read-only)
        values = col.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataValidationError(
            f"column {name!r} is numeric; got values that are not numbers ({exc}); give "
            "numbers within float64's range."
        ) from None
    if np.isinf(values).any():
        raise DataValidationError(
            f"column {name!r}: infinite values are not allowed (numbers must lie within "
            "float64's range)."
        )
    return values


def _too_big(name: str, value) -> DataValidationError:
    return DataValidationError(
        f"column {name!r} holds integers; got {value!r}, beyond 2**53 in size, where float64 "
        "(the model's numbers) is no longer exact: give an integer between -2**53 and 2**53."
    )


def _check_exact_integers(name: str, cells: pd.Series) -> None:
    """Refuse integers that float64 cannot hold exactly (checked in integer arithmetic:
    ``2**53 + 1`` would otherwise pass as ``2**53``)."""
    if len(cells) == 0:
        return
    if pd.api.types.is_integer_dtype(cells.dtype):
        for value in (cells.min(), cells.max()):
            if abs(int(value)) > MAX_EXACT_INT:
                raise _too_big(name, value)
    elif pd.api.types.is_object_dtype(cells.dtype):
        for value in cells:
            if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) \
                    and abs(int(value)) > MAX_EXACT_INT:
                raise _too_big(name, value)


def _numpy_dtype(dtype):
    if isinstance(dtype, pd.SparseDtype):
        return np.dtype(dtype.subtype)
    return np.dtype(getattr(dtype, "numpy_dtype", dtype))


def check_range(spec: ColumnLayout, col: pd.Series, values: np.ndarray,
                 missing: np.ndarray) -> None:
    """Refuse numbers the column's dtype cannot hold (they would wrap or overflow when
    the output is cast back to it)."""
    name, given = spec.name, values[~missing]
    if len(given) == 0:
        return
    try:
        np_dtype = _numpy_dtype(spec.dtype)
    except TypeError:  # not a numpy-backed dtype: nothing narrower than float64
        return

    def first(bad):
        return col.to_numpy(dtype=object)[~missing][bad][0]

    if np_dtype.kind in "iu":
        big = np.abs(given) > MAX_EXACT_INT
        if big.any():
            raise _too_big(name, first(big))
        frac = given % 1 != 0
        if frac.any():
            raise DataValidationError(
                f"column {name!r} holds integers; got a non-integer value {first(frac)!r}."
            )
        info = np.iinfo(np_dtype)
        out = (given < info.min) | (given > info.max)
        if out.any():
            raise DataValidationError(
                f"column {name!r} holds {np_dtype} integers, from {info.min} to {info.max}; "
                f"got {first(out)!r}, which it cannot hold: give a value in that range."
            )
    elif np_dtype.kind == "f" and np_dtype.itemsize < 8:
        limit = float(np.finfo(np_dtype).max)
        out = np.abs(given) > limit
        if out.any():
            raise DataValidationError(
                f"column {name!r} holds {np_dtype} numbers, up to ±{limit:.6g}; got "
                f"{first(out)!r}, which would overflow to infinity: give a smaller number."
            )

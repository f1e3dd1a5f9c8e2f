"""Checking a DataFrame before it is encoded: supported dtypes, and cells that a
column can hold (strings, numbers and booleans, never equal values of different
types, containers or bytes), with errors that say how to convert."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from debiasgen.exceptions import DataValidationError, InvalidTypeError

__all__ = ["MAX_EXACT_INT", "category_kind", "is_categorical", "is_numeric", "validate_frame"]

MAX_EXACT_INT = 2**53  # integers up to this size are exact in float64


def is_categorical(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def is_numeric(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)


def validate_frame(X) -> pd.DataFrame:
    """Check that ``X`` is a DataFrame debiasgen can model, and return it.

    Raises
    ------
    InvalidTypeError
        ``X`` is not a DataFrame, a column name is not a string, or a column has
        an unsupported dtype (datetimes, timedeltas, periods, intervals, complex
        numbers).
    DataValidationError
        ``X`` is empty, has duplicate column names, a numeric column holds
        infinities, an integer column holds values beyond ``2**53``, or a
        categorical column holds cells that are not strings, numbers or booleans
        (lists, bytes, dates, ...) or values that are equal but of different types
        (``True``, ``1`` and ``1.0``), which would become one category.
    """
    if not isinstance(X, pd.DataFrame):
        raise InvalidTypeError(
            f"X must be a pandas DataFrame, got {type(X).__name__}; "
            "wrap arrays with pd.DataFrame(data, columns=[...])."
        )
    if X.shape[1] == 0:
        raise DataValidationError("X has no columns; pass a DataFrame with at least one column.")
    if X.shape[0] == 0:
        raise DataValidationError("X has no rows; pass a DataFrame with at least one row.")
    bad = [c for c in X.columns if not isinstance(c, str)]
    if bad:
        raise InvalidTypeError(
            f"column names must be strings, got {bad[:5]!r}; "
            "rename them, e.g. df.columns = df.columns.astype(str)."
        )
    dup = X.columns[X.columns.duplicated()].unique().tolist()
    if dup:
        raise DataValidationError(f"duplicate column names {dup!r}; give each column its own name.")
    for name in X.columns:
        dtype = X[name].dtype
        if is_categorical(dtype):
            _check_categorical_cells(name, X[name])
            continue
        if not is_numeric(dtype):
            raise InvalidTypeError(
                f"column {name!r} has unsupported dtype {dtype}; {_conversion_hint(name, dtype)}"
            )
        values = X[name].to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(values).any():
            raise DataValidationError(
                f"column {name!r} contains infinite values; replace them with finite numbers "
                "or with NaN (missing) first."
            )
        if pd.api.types.is_integer_dtype(dtype):
            ints = X[name].dropna()
            if ((ints > MAX_EXACT_INT) | (ints < -MAX_EXACT_INT)).any():
                raise DataValidationError(
                    f"column {name!r} holds integers beyond 2**53, which are modelled as float64 "
                    "and would not be reproduced exactly; convert it to float or to strings first."
                )
    return X


def _conversion_hint(name: str, dtype) -> str:
    """What to do with a column of an unsupported dtype."""
    col = f"df[{name!r}]"
    if isinstance(dtype, pd.PeriodDtype):
        return f"convert it to strings or to numbers first, e.g. {col} = {col}.astype(str)."
    if isinstance(dtype, pd.IntervalDtype):
        return (f"convert it to numbers or to strings first, e.g. its midpoints "
                f"{col} = {col}.array.mid, or {col} = {col}.astype(str).")
    kind = getattr(dtype, "kind", "")
    if kind == "M":
        return (f"convert it to numbers (e.g. a timestamp to days since an origin: "
                f"{col} = ({col} - {col}.min()).dt.days) or to strings/category first.")
    if kind == "m":
        return f"convert it to numbers first, e.g. {col} = {col}.dt.total_seconds()."
    if kind == "c":
        return ("split it into two real columns first, e.g. the parts "
                f"{col}.to_numpy().real and {col}.to_numpy().imag.")
    return ("convert it to numbers (e.g. a timestamp to days since an origin) or to "
            "strings/category first.")


# The scalar types a categorical column's values may have (numpy's included), as the
# kind they are compared under: values of different kinds must never be merged.
def category_kind(tp: type) -> str | None:
    if issubclass(tp, (bool, np.bool_)):
        return "bool"
    if issubclass(tp, (np.timedelta64, np.datetime64)):  # numpy registers these as numbers
        return None
    if issubclass(tp, (int, np.integer)):
        return "int"
    if issubclass(tp, (float, np.floating)):
        return "float"
    if issubclass(tp, str):
        return "str"
    return None


def _cell_advice(name: str, tp: type) -> str:
    col = f"df[{name!r}]"
    if issubclass(tp, bytes):
        return f"decode them to strings first, e.g. {col} = {col}.str.decode('utf-8')."
    if issubclass(tp, (datetime.date, datetime.time, datetime.timedelta, np.datetime64,
                       np.timedelta64)):
        return ("convert them to numbers (e.g. days since an origin) or to strings first, "
                f"e.g. {col} = {col}.astype(str).")
    return f"convert them to strings first, e.g. {col} = {col}.astype(str)."


def _check_categorical_cells(name: str, col: pd.Series) -> None:
    """Refuse values a categorical column cannot hold as categories.

    Categories must be strings, numbers or booleans (what a model file can store
    and what hashes reliably); and values that Python deems equal but that have
    different types (``True == 1 == 1.0``) would be merged into one category by
    pandas and come back as the other type, so they are refused too.
    """
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cells, what = pd.Series(np.asarray(dtype.categories, dtype=object)), "categories"
    elif pd.api.types.is_object_dtype(dtype):
        cells, what = col, "cells"
    else:  # bool and string dtypes hold one type
        return
    if pd.api.types.infer_dtype(cells, skipna=True) in (
        "string", "boolean", "integer", "floating", "empty"
    ):
        return  # one kind of value (the common case, checked in C)
    cells = cells[~cells.isna().to_numpy()]
    types = cells.map(type)
    kind_of = {tp: category_kind(tp) for tp in set(types)}
    for tp, kind in kind_of.items():
        if kind is None:
            example = cells[(types == tp).to_numpy()].iloc[0]
            raise DataValidationError(
                f"column {name!r} holds {tp.__name__} {what} (e.g. {example!r}); a column's "
                f"values must be strings, numbers or booleans: {_cell_advice(name, tp)}"
            )
    kinds = types.map(kind_of).to_numpy()
    present = [k for k in ("bool", "int", "float") if (kinds == k).any()]
    if len(present) < 2:
        return
    seen = {}
    for kind in present:
        for value in pd.unique(cells[kinds == kind].to_numpy()):
            other = seen.setdefault(value, value)
            if category_kind(type(other)) != kind:
                raise DataValidationError(
                    f"column {name!r} holds values that are equal but of different types, "
                    f"{other!r} ({type(other).__name__}) and {value!r} "
                    f"({type(value).__name__}), which would become one category; convert "
                    f"the column to one type first, e.g. df[{name!r}] = "
                    f"df[{name!r}].astype(str)."
                )

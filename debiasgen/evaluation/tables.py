"""Table helpers shared by the reports (fidelity, fairness): input checks, column
kinds, category unification across datasets, ordered indices and Markdown rendering."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from debiasgen.core.encoding import is_categorical
from debiasgen.exceptions import ColumnKindError, DataValidationError, InvalidTypeError

__all__ = [
    "ColumnKindError",
    "as_datasets",
    "check_frame",
    "check_kinds",
    "column_kind",
    "markdown_table",
    "ordered_index",
    "unify_categories",
]


def check_frame(frame, name: str) -> pd.DataFrame:
    """Check that ``frame`` is a non-empty DataFrame.

    Parameters
    ----------
    frame : object
        What the user passed.
    name : str
        The argument's name, for messages.

    Returns
    -------
    DataFrame
        ``frame`` itself.

    Raises
    ------
    InvalidTypeError
        ``frame`` is not a DataFrame.
    DataValidationError
        ``frame`` has no columns or no rows.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidTypeError(
            f"{name} must be a pandas DataFrame, got {type(frame).__name__}; "
            "wrap arrays with pd.DataFrame(data, columns=[...])."
        )
    if frame.shape[1] == 0:
        raise DataValidationError(f"{name} has no columns; pass a DataFrame with columns.")
    if frame.shape[0] == 0:
        raise DataValidationError(f"{name} has no rows; pass a DataFrame with at least one row.")
    return frame


def as_datasets(synthetic, argname: str = "synthetic") -> dict[str, pd.DataFrame]:
    """A dict {name: DataFrame} from a DataFrame (named "synthetic") or a mapping.

    Parameters
    ----------
    synthetic : DataFrame, mapping of {str: DataFrame} or None
        The datasets; ``None`` gives an empty dict.
    argname : str, default="synthetic"
        The argument's name, for messages.

    Returns
    -------
    dict of {str: DataFrame}

    Raises
    ------
    InvalidTypeError
        ``synthetic`` is neither, or a name is not a string, or a value not a DataFrame.
    DataValidationError
        A dataset has no rows or no columns.
    """
    if synthetic is None:
        return {}
    if isinstance(synthetic, pd.DataFrame):
        synthetic = {"synthetic": synthetic}
    if not isinstance(synthetic, Mapping):
        raise InvalidTypeError(
            f"{argname} must be a DataFrame or a dict {{name: DataFrame}}, "
            f"got {type(synthetic).__name__}."
        )
    out = {}
    for name, frame in synthetic.items():
        if not isinstance(name, str):
            raise InvalidTypeError(f"dataset names in {argname} must be strings, got {name!r}.")
        out[name] = check_frame(frame, f"dataset {name!r}")
    return out


def column_kind(dtype) -> str:
    """What a column holds, as the reports compare it across datasets.

    Parameters
    ----------
    dtype : dtype
        The column's dtype.

    Returns
    -------
    str
        ``"categorical"`` for category, object and string columns; ``"numeric"`` for
        numbers and bool (bool and 0/1 integers, or nullable ``Int64`` and ``int64``,
        are the same kind); ``"other"`` for anything else (datetimes, ...).
    """
    if pd.api.types.is_bool_dtype(dtype):
        return "numeric"
    if is_categorical(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    return "other"


def _describe(kind: str) -> str:
    return {"numeric": "numeric", "categorical": "categorical (text or category)"}.get(
        kind, "neither numeric nor categorical")


def check_kinds(reference: pd.DataFrame, datasets: Mapping[str, pd.DataFrame], columns,
                reference_name: str = "the real data") -> dict[str, str]:
    """The kind of each column in ``reference``; every dataset must agree.

    A column that is numeric in the real data and text in a synthetic dataset (for
    example numbers written as strings) would otherwise be turned into categories in
    every dataset, and change the real rows' measurements.  A column that is missing
    in every row of a dataset has no kind and is accepted.

    Parameters
    ----------
    reference : DataFrame
        The real data; it sets each column's kind.
    datasets : mapping of {str: DataFrame}
        The datasets to compare with it (they hold ``columns``).
    columns : iterable of str
        The columns to check.
    reference_name : str, default="the real data"
        How messages name ``reference``.

    Returns
    -------
    dict of {str: str}
        ``column_kind`` of each column of ``reference``.

    Raises
    ------
    ColumnKindError
        A column's kind in a dataset differs from its kind in ``reference``; the
        message names the dataset and the column.
    """
    kinds = {c: column_kind(reference[c].dtype) for c in columns}
    for name, frame in datasets.items():
        for col, kind in kinds.items():
            series = frame[col]
            other = column_kind(series.dtype)
            if other == kind or series.isna().all():
                continue
            if kind == "numeric":
                how = f"pd.to_numeric(df[{col!r}])"
            elif kind == "categorical":
                how = f"df[{col!r}].astype(str)"
            else:
                how = f"the dtype {reference[col].dtype}"
            raise ColumnKindError(
                f"column {col!r} is {_describe(kind)} in {reference_name} (dtype "
                f"{reference[col].dtype}) but {_describe(other)} in dataset {name!r} "
                f"(dtype {series.dtype}); convert it in dataset {name!r} (e.g. with {how}) "
                f"so that it holds the same kind of values as {reference_name}."
            )
    return kinds


def unify_categories(frames: list[pd.DataFrame], columns, kinds=None) -> list[pd.DataFrame]:
    """Copies of ``frames`` with one coding of every column, for one estimator.

    Every categorical column (category, object, str) becomes a pandas category with the
    same categories in every frame (the union of their values, sorted), so that
    estimators with ``categorical_features="from_dtype"`` treat it consistently.  Bool
    columns are left alone; nullable numeric columns become float64 (NA -> NaN), and
    so do numeric columns whose dtypes differ between the frames when ``kinds`` is given
    (bool in one, int in another).

    Parameters
    ----------
    frames : list of DataFrame
        Frames holding ``columns``.
    columns : iterable of str
        The columns to unify.
    kinds : dict of {str: str}, optional
        The kind of each column (see :func:`column_kind`), as decided by the real data
        (:func:`check_kinds`).  Without it a column is categorical when it is in any
        frame.  With it, a numeric column is never turned into categories.

    Returns
    -------
    list of DataFrame
        The copies, in the order of ``frames``.
    """
    frames = [f.copy() for f in frames]
    for col in columns:
        dtypes = [f[col].dtype for f in frames]
        if kinds is None:
            categorical = any(
                is_categorical(d) and not pd.api.types.is_bool_dtype(d) for d in dtypes)
        else:
            categorical = kinds[col] == "categorical"
        if categorical:
            categories: list = []
            seen: set = set()
            for f in frames:
                s = f[col]
                if isinstance(s.dtype, pd.CategoricalDtype):
                    values = list(s.cat.categories)
                else:
                    values = pd.unique(s.dropna().astype(object))
                    try:
                        values = sorted(values)
                    except TypeError:  # mixed types: keep order of appearance
                        values = list(values)
                for v in values:
                    if v not in seen:
                        seen.add(v)
                        categories.append(v)
            dtype = pd.CategoricalDtype(categories)
            for f in frames:
                f[col] = f[col].astype(object).astype(dtype)
        elif (kinds is None or kinds[col] == "numeric") and (
            any(pd.api.types.is_extension_array_dtype(d) and pd.api.types.is_numeric_dtype(d)
                for d in dtypes)
            or (kinds is not None and len(set(map(str, dtypes))) > 1)
        ):
            # nullable numbers, mixed dtypes of one kind (bool and int: concatenated they
            # would be objects), or a column missing in every row of one frame (no kind)
            for f in frames:
                if column_kind(f[col].dtype) == "numeric":
                    f[col] = f[col].to_numpy(dtype="float64", na_value=np.nan)
                else:  # all missing
                    f[col] = np.full(len(f), np.nan)
    return frames


def ordered_index(rows: list[tuple], names: list[str]) -> pd.MultiIndex:
    """A MultiIndex whose levels keep the order of first appearance (datasets and
    columns as given), with monotonic codes so partial ``.loc`` needs no sorting.

    Parameters
    ----------
    rows : list of tuple
        One tuple per row; its first ``len(names)`` items are the index values.
    names : list of str
        The index level names.

    Returns
    -------
    MultiIndex
    """
    levels, codes = [], []
    for k in range(len(names)):
        values = [row[k] for row in rows]
        level = list(dict.fromkeys(values))
        where = {v: i for i, v in enumerate(level)}
        levels.append(level)
        codes.append([where[v] for v in values])
    return pd.MultiIndex(levels=levels, codes=codes, names=names)


def format_cell(value) -> str:
    """One Markdown table cell: floats with three decimals, NaN empty, ``|`` escaped.

    Parameters
    ----------
    value : object
        The cell's value.

    Returns
    -------
    str
    """
    if isinstance(value, (bool, np.bool_)):
        text = str(bool(value))
    elif isinstance(value, (float, np.floating)):
        text = "" if np.isnan(value) else f"{value:.3f}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (index levels become columns).

    Written with plain string formatting so that reports do not need ``tabulate``.

    Parameters
    ----------
    frame : DataFrame
        The table; named index levels become the first columns.

    Returns
    -------
    str
        The Markdown text, without a trailing newline.
    """
    flat = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
    header = [str(c) for c in flat.columns]
    align = [
        "---:"
        if pd.api.types.is_numeric_dtype(flat[c].dtype)
        and not pd.api.types.is_bool_dtype(flat[c].dtype)
        else "---"
        for c in flat.columns
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for row in flat.itertuples(index=False):
        lines.append("| " + " | ".join(format_cell(v) for v in row) + " |")
    return "\n".join(lines)

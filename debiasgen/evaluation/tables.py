"""Table helpers shared by the reports (fidelity, fairness): input checks, category
unification across datasets, ordered indices and Markdown rendering."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from debiasgen.core.encoding import is_categorical
from debiasgen.exceptions import DataValidationError

__all__ = ["as_datasets", "check_frame", "markdown_table", "ordered_index", "unify_categories"]



def check_frame(frame, name: str) -> pd.DataFrame:
    """``frame`` if it is a non-empty DataFrame, else a TypeError/DataValidationError."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame, got {type(frame).__name__}; "
            "wrap arrays with pd.DataFrame(data, columns=[...])."
        )
    if frame.shape[1] == 0:
        raise DataValidationError(f"{name} has no columns; pass a DataFrame with columns.")
    if frame.shape[0] == 0:
        raise DataValidationError(f"{name} has no rows; pass a DataFrame with at least one row.")
    return frame


def as_datasets(synthetic, argname: str = "synthetic") -> dict[str, pd.DataFrame]:
    """A dict {name: DataFrame} from a DataFrame (named "synthetic") or a mapping."""
    if synthetic is None:
        return {}
    if isinstance(synthetic, pd.DataFrame):
        synthetic = {"synthetic": synthetic}
    if not isinstance(synthetic, Mapping):
        raise TypeError(
            f"{argname} must be a DataFrame or a dict {{name: DataFrame}}, "
            f"got {type(synthetic).__name__}."
        )
    out = {}
    for name, frame in synthetic.items():
        if not isinstance(name, str):
            raise TypeError(f"dataset names in {argname} must be strings, got {name!r}.")
        out[name] = check_frame(frame, f"dataset {name!r}")
    return out


def unify_categories(frames: list[pd.DataFrame], columns) -> list[pd.DataFrame]:
    """Copies of ``frames`` where every non-numeric column (category, object, str) is a
    pandas category with the same categories in every frame (the union of their values),
    so that estimators with ``categorical_features="from_dtype"`` treat it consistently.
    Bool columns are left alone; nullable numeric columns become float64 (NA -> NaN).
    """
    frames = [f.copy() for f in frames]
    for col in columns:
        dtypes = [f[col].dtype for f in frames]
        non_bool_cat = [is_categorical(d) and not pd.api.types.is_bool_dtype(d) for d in dtypes]
        if any(non_bool_cat):
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
        elif any(
            pd.api.types.is_extension_array_dtype(d) and pd.api.types.is_numeric_dtype(d)
            for d in dtypes
        ):
            for f in frames:
                f[col] = f[col].to_numpy(dtype="float64", na_value=np.nan)
    return frames


def ordered_index(rows: list[tuple], names: list[str]) -> pd.MultiIndex:
    """A MultiIndex whose levels keep the order of first appearance (datasets and
    columns as given), with monotonic codes so partial ``.loc`` needs no sorting."""
    levels, codes = [], []
    for k in range(len(names)):
        values = [row[k] for row in rows]
        level = list(dict.fromkeys(values))
        where = {v: i for i, v in enumerate(level)}
        levels.append(level)
        codes.append([where[v] for v in values])
    return pd.MultiIndex(levels=levels, codes=codes, names=names)


def format_cell(value) -> str:
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

"""Fidelity of synthetic tables: how closely they resemble the real table.

Three views, each a DataFrame: per-column distances (Kolmogorov-Smirnov for numeric
columns, total variation for categorical ones, and missing rates), pairwise
associations (real vs synthetic), and a detection AUC (how well a classifier tells
real rows from synthetic ones). matplotlib (the optional ``plot`` extra) is imported
only inside ``plot`` and ``save``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from debiasgen.core.encoding import is_categorical
from debiasgen.evaluation.plotting import pyplot, save_report
from debiasgen.evaluation.tables import (
    as_datasets,
    check_frame,
    check_kinds,
    column_kind,
    markdown_table,
    ordered_index,
    unify_categories,
)
from debiasgen.exceptions import DataValidationError, InvalidParameterError, InvalidTypeError

__all__ = ["FidelityReport", "fidelity_report"]

# HistGradientBoostingClassifier accepts at most 255 categories per categorical feature.
_HGB_MAX_CATEGORIES = 255

_DESCRIPTION = (
    "Distances compare each synthetic dataset with the real data. Column distance: "
    "Kolmogorov-Smirnov statistic (numeric, non-missing values) or total variation "
    "(categorical, missing as a category); 0 means identical marginals. Detection "
    "AUC: 5-fold cross-validated AUROC of a classifier telling real from synthetic "
    "rows; 0.5 means it could not tell them apart."
)


# --------------------------------------------------------------------------- metrics


def _column_kind(real: pd.Series, name: str) -> str:
    dtype = real.dtype
    if is_categorical(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    raise InvalidTypeError(
        f"column {name!r} has unsupported dtype {dtype}; convert it to numbers or to "
        "strings/category first."
    )


def _numeric_values(series: pd.Series) -> np.ndarray:
    # check_kinds has run: numbers, bool, or a column missing in every row
    if column_kind(series.dtype) != "numeric":
        return np.full(len(series), np.nan)
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _category_values(series: pd.Series, real: pd.Series) -> pd.Series:
    """``series`` as objects comparable with the real column's values: a synthetic
    0/1 column of a bool real column becomes False/True."""
    values = series.astype(object)
    if pd.api.types.is_bool_dtype(real.dtype) and not pd.api.types.is_bool_dtype(series.dtype) \
            and column_kind(series.dtype) == "numeric":
        values = values.map(lambda v: v if pd.isna(v) or v not in (0, 1) else bool(v))
    return values


def _column_distance(real: pd.Series, synth: pd.Series, kind: str) -> tuple[str, float]:
    """(statistic name, distance) between one real and one synthetic column."""
    if kind == "numeric":
        a = real[~np.isnan(real)]
        b = synth[~np.isnan(synth)]
        if len(a) == 0 or len(b) == 0:
            # All missing on one side: identical if both are, else as far apart as KS goes.
            return "ks", 0.0 if len(a) == len(b) else 1.0
        return "ks", float(ks_2samp(a, b).statistic)
    # Total variation with "missing" as one more category: the share of each value
    # is taken over all rows, and the missing shares are compared as well.
    p = real.astype(object).value_counts(dropna=True) / len(real)
    q = _category_values(synth, real).value_counts(dropna=True) / len(synth)
    both = pd.concat([p, q], axis=1).fillna(0.0).to_numpy()
    gap = np.abs(both[:, 0] - both[:, 1]).sum() if len(both) else 0.0
    gap += abs(real.isna().mean() - synth.isna().mean())
    return "tv", float(0.5 * gap)


def _prepare_columns(frame: pd.DataFrame, kinds: dict[str, str], real: pd.DataFrame) -> dict:
    """Per column: float values (numeric) or integer codes with -1 for missing."""
    out = {}
    for col, kind in kinds.items():
        if kind == "numeric":
            out[col] = _numeric_values(frame[col])
        else:
            values = _category_values(frame[col], real[col])
            codes, _ = pd.factorize(values, use_na_sentinel=True)
            out[col] = codes.astype(np.int64)
    return out


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return 0.0
    x = x - x.mean()
    y = y - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    if denom == 0:
        return 0.0
    return float(np.clip((x * y).sum() / denom, -1.0, 1.0))


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    keep = (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    n = len(a)
    if n == 0:
        return 0.0
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    r, c = a.max() + 1, b.max() + 1
    if min(r, c) < 2:
        return 0.0
    # Sparse form of chi2 = n * (sum_ij O_ij^2 / (R_i C_j) - 1): only observed cells count,
    # so high-cardinality columns never build a dense r x c table.
    cells, counts = np.unique(a * c + b, return_counts=True)
    rows = np.bincount(a, minlength=r)
    cols = np.bincount(b, minlength=c)
    chi2 = n * ((counts**2 / (rows[cells // c] * cols[cells % c])).sum() - 1.0)
    return float(np.sqrt(max(chi2, 0.0) / (n * (min(r, c) - 1))))


def _eta(x: np.ndarray, g: np.ndarray) -> float:
    keep = ~np.isnan(x) & (g >= 0)
    x, g = x[keep], g[keep]
    if len(x) < 2:
        return 0.0
    total = ((x - x.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    counts = np.bincount(g)
    sums = np.bincount(g, weights=x)
    used = counts > 0
    between = (sums[used] ** 2 / counts[used]).sum() - x.sum() ** 2 / len(x)
    return float(np.sqrt(np.clip(between / total, 0.0, 1.0)))


def _associations(prepared: dict, kinds: dict[str, str]) -> list[tuple[str, str, str, float]]:
    """(column_a, column_b, measure, association) for every pair, in column order."""
    cols = list(kinds)
    out = []
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            ka, kb = kinds[a], kinds[b]
            if ka == kb == "numeric":
                out.append((a, b, "pearson", _pearson(prepared[a], prepared[b])))
            elif ka == kb == "categorical":
                out.append((a, b, "cramers_v", _cramers_v(prepared[a], prepared[b])))
            elif ka == "numeric":
                out.append((a, b, "eta", _eta(prepared[a], prepared[b])))
            else:
                out.append((a, b, "eta", _eta(prepared[b], prepared[a])))
    return out


def _detection_auc(real: pd.DataFrame, synth: pd.DataFrame, random_state, max_rows: int,
                   kinds: dict[str, str]) -> float:
    """Mean 5-fold cross-validated AUROC of a classifier telling synthetic from real rows."""
    rng = np.random.default_rng(random_state)
    n = min(len(real), len(synth), max_rows)
    if n < 2:
        return float("nan")
    r = real.iloc[rng.choice(len(real), n, replace=False)]
    s = synth.iloc[rng.choice(len(synth), n, replace=False)]
    r, s = unify_categories([r, s], real.columns, kinds)
    X = pd.concat([r, s], ignore_index=True)
    # A column missing everywhere tells nothing apart (and HGB cannot bin it).
    X = X.loc[:, X.notna().any()]
    if X.shape[1] == 0:
        return 0.5
    for col in X.columns:
        dtype = X[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) and len(dtype.categories) > _HGB_MAX_CATEGORIES:
            # Too many categories for HGB: use the integer codes as an ordered feature.
            X[col] = X[col].cat.codes.astype("float64").where(X[col].notna())
    y = np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]
    # Identical rows (a synthetic copy of a real row, or repeated rows) share a fold:
    # otherwise a held-out row's twin with the opposite label sits in the training
    # folds, and copied data would score below 0.5 ("more real than real"). Folds are
    # dealt out separately to groups of real-only, synthetic-only and shared rows, so
    # that each fold holds both classes wherever possible.
    hashes = pd.util.hash_pandas_object(X, index=False).to_numpy()
    _, group = np.unique(hashes, return_inverse=True)
    n_groups = group.max() + 1
    if n_groups < 2:
        return 0.5  # every row is the same row: nothing to tell apart
    n_folds = min(5, n_groups)
    share = np.bincount(group, weights=y) / np.bincount(group)
    kind = np.where(share == 0, 0, np.where(share == 1, 1, 2))
    group_fold = np.empty(n_groups, dtype=int)
    offset = 0
    for k in range(3):
        members = rng.permutation(np.flatnonzero(kind == k))
        group_fold[members] = (np.arange(len(members)) + offset) % n_folds
        offset += len(members)
    fold = group_fold[group]
    clf = HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=random_state
    )
    scores = []
    for f in range(n_folds):
        test = fold == f
        if len(np.unique(y[test])) < 2 or len(np.unique(y[~test])) < 2:
            continue  # AUROC undefined on this fold
        model = clone(clf).fit(X[~test], y[~test])
        scores.append(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]))
    return float(np.mean(scores)) if scores else float("nan")


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, eq=False)
class FidelityReport:
    """Fidelity of one or more synthetic tables to a real table.

    Attributes
    ----------
    columns : DataFrame
        Index ``(dataset, column)``; columns ``kind`` ("numeric"/"categorical"),
        ``statistic`` ("ks"/"tv"), ``distance`` (0 = same marginal, 1 = disjoint),
        ``missing_rate_real``, ``missing_rate_synthetic``.
    pairs : DataFrame
        Index ``(dataset, column_a, column_b)``; columns ``measure`` ("pearson",
        "cramers_v", "eta"), ``association_real``, ``association_synthetic`` and
        ``abs_difference``.
    summary : DataFrame
        Index ``dataset``; columns ``mean_column_distance``, ``max_column_distance``,
        ``mean_association_difference``, ``detection_auc`` and
        ``max_missing_rate_difference``.
    """

    columns: pd.DataFrame
    pairs: pd.DataFrame
    summary: pd.DataFrame

    def plot(self):
        """Plot per-column distances for every dataset and, for the first dataset, the
        absolute association differences as a heatmap.

        Returns
        -------
        matplotlib.figure.Figure
            Three axes: the distance bars, the heatmap and its colour bar.

        Raises
        ------
        ImportError
            matplotlib is not installed (``pip install 'debiasgen[plot]'``).
        """
        plt = pyplot()

        datasets = list(self.summary.index)
        dist = self.columns["distance"].unstack("dataset")[datasets]
        columns = list(self.columns.loc[datasets[0]].index)
        dist = dist.loc[columns]
        fig, (ax_bar, ax_map) = plt.subplots(
            1, 2, figsize=(max(10.0, 0.5 * len(columns) + 6.0), 5.0), layout="constrained"
        )
        width = 0.8 / len(datasets)
        x = np.arange(len(columns))
        for k, name in enumerate(datasets):
            ax_bar.bar(x + (k - (len(datasets) - 1) / 2) * width, dist[name], width, label=name)
        ax_bar.set_xticks(x, columns, rotation=60, ha="right")
        ax_bar.set_ylabel("distance (KS numeric, TV categorical)")
        ax_bar.set_ylim(bottom=0)
        ax_bar.set_title("Per-column distance to the real data")
        ax_bar.legend()

        matrix = np.zeros((len(columns), len(columns)))
        pos = {c: i for i, c in enumerate(columns)}
        if len(self.pairs):
            first = self.pairs.loc[datasets[0], "abs_difference"]
            for (a, b), value in first.items():
                matrix[pos[a], pos[b]] = matrix[pos[b], pos[a]] = value
        image = ax_map.imshow(matrix, vmin=0.0, vmax=max(1e-9, float(np.nanmax(matrix))))
        ax_map.set_xticks(np.arange(len(columns)), columns, rotation=60, ha="right")
        ax_map.set_yticks(np.arange(len(columns)), columns)
        ax_map.set_title(f"|association real - {datasets[0]}|")
        fig.colorbar(image, ax=ax_map)
        return fig

    def _top_pairs(self) -> pd.DataFrame:
        if not len(self.pairs):
            return self.pairs
        return (
            self.pairs.sort_values("abs_difference", ascending=False)
            .groupby(level="dataset", sort=False)
            .head(10)
        )

    def to_markdown(self) -> str:
        """The report as Markdown.

        Returns
        -------
        str
            The summary, the per-column table and the ten largest association
            differences per dataset.
        """
        return "\n\n".join(
            [
                "# Fidelity report",
                _DESCRIPTION,
                "## Summary",
                markdown_table(self.summary),
                "## Columns",
                markdown_table(self.columns),
                "## Largest association differences",
                markdown_table(self._top_pairs()),
            ]
        )

    def to_html(self) -> str:
        """The report as an HTML fragment (``DataFrame.to_html``).

        Returns
        -------
        str
            The tables of :meth:`to_markdown`.
        """
        fmt = "{:.3f}".format
        return "\n".join(
            [
                "<h1>Fidelity report</h1>",
                f"<p>{_DESCRIPTION}</p>",
                "<h2>Summary</h2>",
                self.summary.to_html(float_format=fmt),
                "<h2>Columns</h2>",
                self.columns.to_html(float_format=fmt),
                "<h2>Largest association differences</h2>",
                self._top_pairs().to_html(float_format=fmt),
            ]
        )

    def save(self, path, *, figure: bool = True) -> Path:
        """Write the report to ``path`` (``.md`` or ``.html``) and the figure of
        :meth:`plot` beside it (same stem, ``.png``).

        Without matplotlib (the optional ``plot`` extra) the report is written and
        the figure is skipped with a ``UserWarning``.

        Parameters
        ----------
        path : str or Path
            Ends in ``.md`` / ``.markdown`` or ``.html`` / ``.htm``.
        figure : bool, default=True
            Also write the figure.

        Returns
        -------
        Path
            The path of the report.

        Raises
        ------
        InvalidParameterError
            ``path`` ends neither in ``.md`` nor in ``.html``, is a directory, or its
            folder does not exist.
        """
        return save_report(path, self.to_markdown, self.to_html, self.plot, figure)


def fidelity_report(
    real: pd.DataFrame,
    synthetic: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    random_state: int | None = 0,
    detection_rows: int = 10_000,
) -> FidelityReport:
    """Measure how closely synthetic tables resemble a real table.

    Parameters
    ----------
    real : DataFrame
        The real data.
    synthetic : DataFrame or dict of {str: DataFrame}
        The synthetic data sets; a single DataFrame is named ``"synthetic"``. Each must
        have the same columns as ``real`` (in any order).
    random_state : int or None, default=0
        Seeds the detection classifier, its folds and the row subsamples.
    detection_rows : int, default=10000
        At most this many rows of the real and of each synthetic table are drawn (the
        same number from each, so the detection task is balanced).

    Returns
    -------
    FidelityReport

    Raises
    ------
    InvalidTypeError (a TypeError)
        An argument is not a DataFrame (or dict of them), or a column of ``real`` has
        an unusable dtype (datetimes).
    ColumnKindError (a DataValidationError, also a TypeError)
        A column is numeric in ``real`` but text or category in a synthetic table, or
        the other way round (numbers written as strings, say); the message names the
        dataset and the column.  Convert it first.
    DataValidationError
        A table is empty, or its columns differ from ``real``'s.
    InvalidParameterError
        ``detection_rows`` is not an integer >= 2.

    Notes
    -----
    Column kinds follow ``real``: category, object, string and bool columns are
    categorical, other numeric columns are numeric.  A synthetic table must hold the
    same kind in each column: numbers (any numeric dtype, nullable or not; bool or 0/1
    for a bool column) where ``real`` holds numbers or bool, text or categories where
    ``real`` does; a column missing in every row is accepted.  Each synthetic table is
    compared with ``real`` on its own: its numbers do not depend on the other tables.

    - Numeric columns: the two-sample Kolmogorov-Smirnov statistic
      :math:`\\sup_x |F_r(x) - F_s(x)|` on the non-missing values.
    - Categorical columns: total variation :math:`\\frac12 \\sum_v |p_r(v) - p_s(v)|`,
      with "missing" as one more value.
    - Associations, on the rows where both columns are present: Pearson correlation
      (numeric-numeric, signed), Cramér's V without bias correction,
      :math:`\\sqrt{\\chi^2 / (n (\\min(r, c) - 1))}` (categorical-categorical), and the
      correlation ratio :math:`\\eta = \\sqrt{SS_{between} / SS_{total}}`
      (numeric-categorical). A constant column has association 0 with every column.
    - Detection AUC: a ``HistGradientBoostingClassifier`` (categorical columns as
      categories; more than 255 categories as ordinal codes) trained to tell
      synthetic from real rows, 5-fold stratified cross-validation, mean AUROC.
      0.5 means indistinguishable; 1.0 means perfectly separable.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    >>> fake = real.assign(x=real["x"] + 1.0)
    >>> report = fidelity_report(real, fake, detection_rows=300)
    >>> report.columns.loc[("synthetic", "c"), "distance"]
    np.float64(0.0)
    >>> bool(report.summary.loc["synthetic", "detection_auc"] > 0.6)
    True
    """
    real = check_frame(real, "real")
    datasets = as_datasets(synthetic)
    if not datasets:
        raise DataValidationError(
            "synthetic is empty; pass a DataFrame or a dict {name: DataFrame}."
        )
    if (
        isinstance(detection_rows, bool)
        or not isinstance(detection_rows, (int, np.integer))
        or detection_rows < 2
    ):
        raise InvalidParameterError(
            f"detection_rows must be an integer >= 2, got {detection_rows!r}.")
    dup = real.columns[real.columns.duplicated()].unique().tolist()
    if dup:
        raise DataValidationError(f"real has duplicate column names {dup!r}; rename them.")
    columns = list(real.columns)
    for name, frame in datasets.items():
        missing = [c for c in columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in set(columns)]
        if missing or extra:
            raise DataValidationError(
                f"dataset {name!r} has different columns from real: missing {missing!r}, "
                f"extra {extra!r}; give it the same columns as the real data."
            )
        datasets[name] = frame[columns]

    kinds = {c: _column_kind(real[c], c) for c in columns}
    same_kinds = check_kinds(real, datasets, columns)
    real_prepared = _prepare_columns(real, kinds, real)
    real_assoc = _associations(real_prepared, kinds)

    column_rows, pair_rows, summary_rows = [], [], []
    for name, frame in datasets.items():
        prepared = _prepare_columns(frame, kinds, real)
        distances, missing_diffs = [], []
        for col in columns:
            if kinds[col] == "numeric":
                stat, dist = _column_distance(real_prepared[col], prepared[col], "numeric")
            else:
                stat, dist = _column_distance(real[col], frame[col], "categorical")
            m_real, m_syn = float(real[col].isna().mean()), float(frame[col].isna().mean())
            column_rows.append((name, col, kinds[col], stat, dist, m_real, m_syn))
            distances.append(dist)
            missing_diffs.append(abs(m_real - m_syn))
        diffs = []
        for (a, b, measure, r_val), (_, _, _, s_val) in zip(
            real_assoc, _associations(prepared, kinds)
        ):
            pair_rows.append((name, a, b, measure, r_val, s_val, abs(r_val - s_val)))
            diffs.append(abs(r_val - s_val))
        summary_rows.append(
            (
                name,
                float(np.mean(distances)),
                float(np.max(distances)),
                float(np.mean(diffs)) if diffs else float("nan"),
                _detection_auc(real, frame, random_state, detection_rows, same_kinds),
                float(np.max(missing_diffs)),
            )
        )

    col_frame = pd.DataFrame(
        [row[2:] for row in column_rows],
        index=ordered_index(column_rows, ["dataset", "column"]),
        columns=["kind", "statistic", "distance", "missing_rate_real", "missing_rate_synthetic"],
    )
    pair_frame = pd.DataFrame(
        [row[3:] for row in pair_rows],
        index=ordered_index(pair_rows, ["dataset", "column_a", "column_b"]),
        columns=["measure", "association_real", "association_synthetic", "abs_difference"],
    )
    summary = pd.DataFrame(
        summary_rows,
        columns=[
            "dataset",
            "mean_column_distance",
            "max_column_distance",
            "mean_association_difference",
            "detection_auc",
            "max_missing_rate_difference",
        ],
    ).set_index("dataset")
    summary.columns.name = "metric"
    return FidelityReport(columns=col_frame, pairs=pair_frame, summary=summary)

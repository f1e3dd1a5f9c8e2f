"""Fairness reports: train a classifier on each dataset, measure it on real test rows.

The reports say what was measured (selection rates, error rates, the change in
predictions when the sensitive attribute is flipped) for classifiers trained on the
real data and on synthetic or de-biased data; they do not certify that any data set
or model is "fair". Group metrics come from fairlearn; matplotlib (the optional
``plot`` extra) is imported only inside ``FairnessReport.plot`` and ``save``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    zero_one_loss,
)

from debiasgen.evaluation.plotting import pyplot, save_report
from debiasgen.evaluation.tables import (
    as_datasets,
    check_frame,
    check_kinds,
    markdown_table,
    unify_categories,
)
from debiasgen.exceptions import DataValidationError, InvalidParameterError, InvalidTypeError

__all__ = ["FairnessReport", "fairness_report"]

METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auroc",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equal_opportunity_difference",
    "ftu",
    "positive_rate",
)
_PLOTTED = (
    "auroc",
    "f1",
    "demographic_parity_difference",
    "equalized_odds_difference",
    "ftu",
)


@dataclass(frozen=True, eq=False)
class FairnessReport:
    """Fairness measurements of classifiers trained on several datasets.

    Attributes
    ----------
    metrics : DataFrame
        One row per dataset (index ``dataset``), one column per metric (columns named
        ``metric``): accuracy, precision, recall, f1, auroc,
        demographic_parity_difference, demographic_parity_ratio,
        equalized_odds_difference, equal_opportunity_difference, ftu, positive_rate.
        All measured on the real test rows.
    by_group : DataFrame
        Index ``(dataset, group)``; columns selection_rate, true_positive_rate,
        false_positive_rate, error_rate, count (fairlearn's ``MetricFrame.by_group``
        on the real test rows).
    data_level : DataFrame
        No classifier: index ``(dataset, group)``; columns outcome_rate (share of
        positive labels in that group of that dataset), count, and gap (the dataset's
        largest minus smallest group outcome rate, repeated on each of its rows).
    target, sensitive, positive
        What was measured: the target column, the sensitive column(s) and the label
        counted as positive.
    """

    metrics: pd.DataFrame
    by_group: pd.DataFrame
    data_level: pd.DataFrame
    target: str
    sensitive: tuple[str, ...]
    positive: Any

    @property
    def data_gap(self) -> pd.Series:
        """The outcome-rate gap between groups in each dataset's own labels.

        Returns
        -------
        Series
            Indexed by dataset, in the order of :attr:`metrics`.
        """
        gap = self.data_level["gap"].groupby(level="dataset", sort=False).first()
        return gap.reindex(self.metrics.index)

    def _description(self) -> str:
        return (
            f"Target {self.target!r} (positive label {self.positive!r}), sensitive "
            f"attribute(s) {', '.join(map(repr, self.sensitive))}. For each dataset a "
            "classifier was trained on it and measured on the same real test rows. "
            "Differences are largest minus smallest group rate; ftu is the mean absolute "
            "change in the predicted probability of the positive label when only the "
            "sensitive attribute is changed. The data-level table uses each dataset's "
            "own labels. These numbers describe the measured gaps only; they do not show "
            "that a dataset or model is fair."
        )

    def plot(self, ax=None):
        """Grouped bars comparing the datasets on auroc, f1, demographic parity
        difference, equalized odds difference, ftu and the data-level gap.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure is created when omitted.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            matplotlib is not installed (``pip install 'debiasgen[plot]'``).
        """
        plt = pyplot()

        if ax is None:
            fig, ax = plt.subplots(figsize=(10.0, 4.5), layout="constrained")
        else:
            fig = ax.figure
        values = self.metrics.loc[:, list(_PLOTTED)].copy()
        values["data_gap"] = self.data_gap
        datasets = list(values.index)
        width = 0.8 / len(datasets)
        x = np.arange(values.shape[1])
        for k, name in enumerate(datasets):
            offset = (k - (len(datasets) - 1) / 2) * width
            ax.bar(x + offset, values.loc[name].to_numpy(dtype=float), width, label=name)
        ax.set_xticks(x, list(values.columns), rotation=20, ha="right")
        ax.set_ylim(0, 1)
        ax.set_ylabel("value")
        ax.set_title(
            f"Classifiers measured on real test rows; sensitive: {', '.join(self.sensitive)}"
        )
        ax.legend(title="trained on")
        return fig

    def to_markdown(self) -> str:
        """The report as a Markdown document.

        Returns
        -------
        str
            A description of what was measured and the three tables.
        """
        return "\n\n".join(
            [
                "# Fairness report",
                self._description(),
                "## Metrics (real test rows)",
                markdown_table(self.metrics),
                "## By group (real test rows)",
                markdown_table(self.by_group),
                "## Outcome rate by group in each dataset (no classifier)",
                markdown_table(self.data_level),
            ]
        )

    def to_html(self) -> str:
        """The report as an HTML fragment (``DataFrame.to_html``).

        Returns
        -------
        str
            A description of what was measured and the three tables.
        """
        parts = [
            "<h1>Fairness report</h1>",
            f"<p>{self._description()}</p>",
            "<h2>Metrics (real test rows)</h2>",
            self.metrics.to_html(float_format="{:.3f}".format),
            "<h2>By group (real test rows)</h2>",
            self.by_group.to_html(float_format="{:.3f}".format),
            "<h2>Outcome rate by group in each dataset (no classifier)</h2>",
            self.data_level.to_html(float_format="{:.3f}".format),
        ]
        return "\n".join(parts)

    def save(self, path, *, figure: bool = True) -> Path:
        """Write the report to ``path`` (``.md`` or ``.html``) and the figure of
        :meth:`plot` beside it (same stem, ``.png``).

        Without matplotlib (the optional ``plot`` extra) the report is still written;
        the figure is skipped with a ``UserWarning`` that names
        ``pip install 'debiasgen[plot]'``.

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
        InvalidParameterError (a ValueError)
            ``path`` ends neither in ``.md`` nor in ``.html``, is a directory, or its
            folder does not exist.
        """
        return save_report(path, self.to_markdown, self.to_html, self.plot, figure)


def _as_names(sensitive) -> tuple[str, ...]:
    if isinstance(sensitive, str):
        return (sensitive,)
    if isinstance(sensitive, Sequence) and sensitive and all(isinstance(s, str) for s in sensitive):
        if len(set(sensitive)) != len(sensitive):
            raise InvalidParameterError(
                f"sensitive lists a column twice: {list(sensitive)!r}.")
        return tuple(sensitive)
    raise InvalidTypeError(
        f"sensitive must be a column name or a non-empty list of column names, got {sensitive!r}."
    )


def _group_labels(frame: pd.DataFrame, sensitive: tuple[str, ...]) -> pd.Series:
    """One group label per row: the value itself for one sensitive column, the values
    joined with ", " for several (their intersection, as fairlearn forms it)."""
    if len(sensitive) == 1:
        labels = frame[sensitive[0]].astype(object)
    else:
        labels = frame[list(sensitive)].astype(str).agg(", ".join, axis=1)
    return labels.rename("group")


def _default_positive(first: pd.Series, values: list):
    if isinstance(first.dtype, pd.CategoricalDtype):
        observed = [c for c in first.cat.categories if c in set(values)]
        if observed:
            return observed[-1]
    try:
        return sorted(values)[-1]
    except TypeError:
        return values[-1]


def _positive_proba(estimator, X: pd.DataFrame) -> np.ndarray:
    proba = estimator.predict_proba(X)
    return proba[:, list(estimator.classes_).index(1)]


def _ftu(estimator, X: pd.DataFrame, sensitive: tuple[str, ...], proba: np.ndarray) -> float:
    """Mean over sensitive columns of the mean absolute change in P(positive) when the
    column is set to each other group observed in ``X``."""
    per_column = []
    for col in sensitive:
        groups = pd.unique(X[col].dropna())
        own = X[col].to_numpy()
        change = np.zeros(len(X))
        for g in groups:
            flipped = X.copy()
            flipped[col] = pd.Series(g, index=X.index, dtype=X[col].dtype)
            moved = np.abs(_positive_proba(estimator, flipped) - proba)
            change += np.where(own == g, 0.0, moved)
        per_column.append(float(np.mean(change / (len(groups) - 1))))
    return float(np.mean(per_column))


def _check_estimator(estimator) -> None:
    """A given estimator must fit and give probabilities: checked before any fit."""
    if estimator is None:
        return
    if not hasattr(estimator, "fit"):
        raise InvalidParameterError(
            f"estimator {estimator!r} has no fit method; pass a scikit-learn classifier "
            "with fit, predict and predict_proba."
        )
    missing = [m for m in ("predict", "predict_proba") if not hasattr(estimator, m)]
    if missing:
        raise InvalidParameterError(
            f"estimator {estimator!r} has no {' or '.join(missing)}; fairness_report needs "
            "predict_proba (auroc and ftu use the predicted probability). Use a classifier "
            "that has it, or wrap one that does not, e.g. "
            "CalibratedClassifierCV(SVC()) (or SVC(probability=True))."
        )


def _validate(frames, test, target, sensitive, features):
    """Column, label and group checks; ``frames`` are the datasets to train on."""
    for name, frame in {**frames, "test": test}.items():
        for col, role in [(target, "target"), *[(s, "sensitive") for s in sensitive]]:
            if col not in frame.columns:
                raise DataValidationError(
                    f"{role} column {col!r} is missing from dataset {name!r}; "
                    f"its columns are {list(frame.columns)!r}."
                )
        lacking = [c for c in features if c not in frame.columns]
        if lacking:
            raise DataValidationError(
                f"dataset {name!r} lacks the feature columns {lacking!r} of train; give "
                "every dataset the columns of train."
            )
        if frame[target].isna().any():
            raise DataValidationError(
                f"target column {target!r} has missing values in dataset {name!r}; "
                "drop those rows first."
            )
        for s in sensitive:
            if frame[s].isna().any():
                raise DataValidationError(
                    f"sensitive column {s!r} has missing values in dataset {name!r}; "
                    "drop those rows or fill them with a group of their own first."
                )
    for s in sensitive:
        if test[s].nunique() < 2:
            raise DataValidationError(
                f"sensitive column {s!r} has a single group in test; group metrics need "
                "test rows from at least two groups."
            )


def fairness_report(
    train: pd.DataFrame,
    test: pd.DataFrame,
    synthetic: Mapping[str, pd.DataFrame] | pd.DataFrame | None = None,
    *,
    target: str,
    sensitive: str | Sequence[str],
    positive: Any = None,
    estimator=None,
    random_state: int | None = 0,
    include_real: bool = True,
) -> FairnessReport:
    """Train a classifier on each dataset and measure it on the real test rows.

    Parameters
    ----------
    train, test : DataFrame
        Real training and test data.
    synthetic : dict of {str: DataFrame} or DataFrame, optional
        The datasets to compare (e.g. ``{"synthetic": ..., "ftu": ..., "dp": ...}``); a
        single DataFrame is named ``"synthetic"``.
    target : str
        The binary label column.
    sensitive : str or list of str
        The sensitive column(s). With several, group metrics use their intersections
        (group labels are the values joined with ", ") and ftu averages over the columns.
    positive : scalar, optional
        The label counted as positive. Defaults to the last category of ``train``'s
        target that occurs (for a non-categorical target, the largest value); for UCI
        Adult's income that is ``">50K"``.
    estimator : scikit-learn classifier, optional
        Cloned and fitted on each dataset with X = every column of ``train`` but the
        target (other columns are ignored) and y = (target == positive) as 0/1. It must
        have ``predict_proba`` (checked before anything is fitted); wrap one without,
        such as ``SVC()``, in ``CalibratedClassifierCV``. Default:
        ``HistGradientBoostingClassifier(categorical_features="from_dtype")``. String
        and object columns are passed as pandas categories, with the same categories in
        a dataset and in ``test`` (the values either holds); an estimator that needs
        numbers should be a ``Pipeline`` that
        encodes them, e.g. ``make_pipeline(make_column_transformer((OneHotEncoder(
        handle_unknown="ignore"), cat_cols), remainder="passthrough"),
        LogisticRegression())``.
    random_state : int or None, default=0
        Seeds the default estimator (a given estimator is used as configured).
    include_real : bool, default=True
        Include the real ``train`` as the dataset named ``"real"``.

    Returns
    -------
    FairnessReport

    Raises
    ------
    InvalidTypeError (a TypeError)
        An argument has the wrong type.
    InvalidParameterError (a ValueError)
        ``estimator`` has no ``predict_proba``, the target is also sensitive, a
        dataset is named ``"real"``, or there is nothing to compare.
    ColumnKindError (a DataValidationError)
        A column is numeric in ``train`` but text or category in a dataset (or in
        ``test``), or the other way round; the message names the dataset and the
        column.  Convert it first, e.g. ``df[col] = pd.to_numeric(df[col])``.
    DataValidationError (a ValueError)
        A target or sensitive column is missing from a dataset, the target is not
        binary, ``positive`` does not occur, a dataset has one class only, or a label
        or sensitive value is missing.

    Notes
    -----
    Each dataset is measured on its own: its classifier sees only that dataset (and,
    for the category coding, ``test``), so the real rows' numbers do not depend on the
    other datasets.  Every dataset (and ``test``) must hold the same kind of values
    as ``train`` in each column: numbers (any numeric dtype, nullable or not, bool)
    where ``train`` holds numbers or bool, text or categories where ``train`` does.

    Metrics on the real test rows, with :math:`\\hat y` the classifier's ``predict``
    and :math:`p` its predicted probability of the positive label:

    - accuracy, precision, recall, f1 (0 when nothing is predicted positive) and
      auroc (from :math:`p`); positive_rate is the share predicted positive.
    - demographic_parity_difference / _ratio: largest minus smallest (smallest over
      largest) group selection rate :math:`P(\\hat y = 1 | A = a)` (fairlearn).
    - equalized_odds_difference: the larger of the between-group differences in true
      and in false positive rate (fairlearn); equal_opportunity_difference: the
      between-group difference in true positive rate. fairlearn reports a rate of 0
      for a group without positive (or negative) test rows; a warning says when.
    - ftu (as in DECAF): for each test row and each other group :math:`b` of the
      sensitive column, :math:`|p(x_{A \\leftarrow b}) - p(x)|`, where only the
      sensitive value is changed; averaged over the other groups (one group for a
      binary attribute), then over rows; with several sensitive columns, each is
      changed on its own and the results are averaged. 0 means the predictions do not
      respond to the sensitive attribute directly; proxies of it can still carry it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> def table(n):
    ...     sex = rng.choice(["F", "M"], n)
    ...     x = rng.normal(size=n)
    ...     y = np.where(x + (sex == "M") + rng.normal(size=n) > 0.5, ">50K", "<=50K")
    ...     return pd.DataFrame({"sex": sex, "x": x, "income": y})
    >>> train, test = table(600), table(600)
    >>> report = fairness_report(train, test, {"no_sex": train.assign(
    ...     sex=rng.permutation(train["sex"].to_numpy()))}, target="income", sensitive="sex")
    >>> report.positive
    '>50K'
    >>> list(report.metrics.index)
    ['real', 'no_sex']
    """
    train = check_frame(train, "train")
    test = check_frame(test, "test")
    if not isinstance(target, str):
        raise InvalidTypeError(f"target must be a column name (str), got {target!r}.")
    sensitive = _as_names(sensitive)
    if target in sensitive:
        raise InvalidParameterError(
            f"target {target!r} is also listed as sensitive; pick other columns.")
    _check_estimator(estimator)
    datasets = as_datasets(synthetic)
    if "real" in datasets and include_real:
        raise InvalidParameterError(
            "a synthetic dataset is named 'real', which is the name of the real train data; "
            "rename it or pass include_real=False."
        )
    frames = {"real": train, **datasets} if include_real else datasets
    if not frames:
        raise InvalidParameterError(
            "nothing to compare: synthetic is empty and include_real=False; pass synthetic "
            "datasets or include_real=True."
        )
    features = [c for c in train.columns if c != target]
    _validate(frames, test, target, sensitive, features)
    # Each column holds one kind (numbers or categories) in every dataset, as in train:
    # otherwise it would be coded differently for different datasets.
    kinds = check_kinds(train, {**frames, "test": test}, [*features, target],
                        reference_name="train")

    values: list = []
    for frame in [*frames.values(), test]:
        for v in pd.unique(frame[target].astype(object)):
            if v not in values:
                values.append(v)
    if len(values) > 2:
        raise DataValidationError(
            f"target {target!r} has {len(values)} values ({values[:6]!r}...); only binary "
            "targets are supported: binarise it first, e.g. df[target] = df[target] == value."
        )
    if positive is None:
        positive = _default_positive(train[target], values)
    elif positive not in values:
        raise DataValidationError(
            f"positive label {positive!r} does not occur in target {target!r}; its values "
            f"are {values!r}."
        )
    for name, frame in {**frames, "test": test}.items():
        if frame[target].nunique() < 2:
            raise DataValidationError(
                f"target {target!r} has one class only ({frame[target].iloc[0]!r}) in "
                f"dataset {name!r}; a classifier needs both classes."
            )

    # fairlearn is imported here, not at module level, to keep `import debiasgen` cheap
    from fairlearn.metrics import (
        MetricFrame,
        count,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    names = list(frames)
    y_test = test[target].isin([positive]).to_numpy().astype(int)
    groups_test = _group_labels(test, sensitive)
    _warn_undefined_rates(y_test, groups_test)
    if estimator is None:
        estimator = HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=random_state
        )

    rows, by_group, data_level = [], {}, {}
    for name in names:
        # One category coding per dataset, shared with the test rows only, so that a
        # dataset's measurements never depend on what the other datasets hold.
        X, X_test = unify_categories([frames[name][features], test[features]], features, kinds)
        y = frames[name][target].isin([positive]).to_numpy().astype(int)
        model = clone(estimator).fit(X, y)
        proba = _positive_proba(model, X_test)
        pred = (np.asarray(model.predict(X_test)) == 1).astype(int)
        frame = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "true_positive_rate": partial(true_positive_rate, pos_label=1),
                "false_positive_rate": partial(false_positive_rate, pos_label=1),
                "error_rate": zero_one_loss,
                "count": count,
            },
            y_true=y_test,
            y_pred=pred,
            sensitive_features=groups_test,
        )
        kw = {"sensitive_features": groups_test}
        rows.append(
            {
                "accuracy": accuracy_score(y_test, pred),
                "precision": precision_score(y_test, pred, zero_division=0),
                "recall": recall_score(y_test, pred, zero_division=0),
                "f1": f1_score(y_test, pred, zero_division=0),
                "auroc": roc_auc_score(y_test, proba),
                "demographic_parity_difference": demographic_parity_difference(y_test, pred, **kw),
                "demographic_parity_ratio": demographic_parity_ratio(y_test, pred, **kw),
                "equalized_odds_difference": equalized_odds_difference(y_test, pred, **kw),
                "equal_opportunity_difference": frame.difference()["true_positive_rate"],
                "ftu": _ftu(model, X_test, sensitive, proba),
                "positive_rate": pred.mean(),
            }
        )
        table = frame.by_group.copy()
        table.index.name = "group"
        table["count"] = table["count"].astype(int)
        by_group[name] = table

        rates = pd.Series(y, index=frames[name].index).groupby(
            _group_labels(frames[name], sensitive), sort=True
        )
        level = pd.DataFrame({"outcome_rate": rates.mean(), "count": rates.size()})
        level["gap"] = level["outcome_rate"].max() - level["outcome_rate"].min()
        data_level[name] = level

    metrics = pd.DataFrame(rows, index=pd.Index(names, name="dataset"), columns=list(METRICS))
    metrics = metrics.astype(float)
    metrics.columns.name = "metric"
    by_group_frame = pd.concat(by_group, names=["dataset", "group"])
    by_group_frame.columns.name = "metric"
    data_frame = pd.concat(data_level, names=["dataset", "group"])
    return FairnessReport(
        metrics=metrics,
        by_group=by_group_frame,
        data_level=data_frame,
        target=target,
        sensitive=sensitive,
        positive=positive,
    )


def _warn_undefined_rates(y_test: np.ndarray, groups: pd.Series) -> None:
    per_group = pd.Series(y_test, index=groups.index).groupby(groups).agg(["min", "max"])
    no_pos = list(per_group.index[per_group["max"] == 0])
    no_neg = list(per_group.index[per_group["min"] == 1])
    if no_pos or no_neg:
        warnings.warn(
            f"test groups without positive labels {no_pos!r} or without negative labels "
            f"{no_neg!r}: their true (false) positive rate is undefined and fairlearn "
            "reports 0, which enters equalized_odds_difference and "
            "equal_opportunity_difference.",
            UserWarning,
            stacklevel=3,
        )

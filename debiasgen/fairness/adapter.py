"""Fair data adaptation: real rows mapped into the world without the unfair paths.

:class:`FairAdapter` answers, for each row, "what would this row have been had the
sensitive attribute taken the reference value", through a fitted causal model
(:meth:`CCGMSynthesizer.counterfactual <debiasgen.CCGMSynthesizer.counterfactual>`),
in the spirit of fair data adaptation (Plečko & Meinshausen, JMLR 2020).  Training
rows and prediction rows both pass through it, so an estimator trained and applied
on adapted rows no longer reads the sensitive attribute through its descendants.

Which columns are adapted (see :func:`adaptation_graph`):

* ``criterion="cf"``: the descendants of the sensitive attribute in the model's
  graph (counterfactual fairness under that graph);
* ``criterion="dp"``: every column, whose association with the sensitive
  attribute beyond the graph's paths (the roots modelled jointly with it, the
  columns the graph leaves associated, effects it omits) is treated as a
  bidirected edge, as fairadapt's confounding matrix does: the adapter fits its
  own model on a graph where the sensitive attribute is a parent of each of them,
  and each column a child of every column before it in the graph's order, so that
  the adapted rows of one group follow the reference group's joint distribution,
  dependences the graph omits included.

``resolving`` columns keep their observed values everywhere (the paths through
them are deemed fair); their descendants are adapted from the kept value.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from debiasgen.core.frames import is_categorical, validate_frame
from debiasgen.core.graph import CausalGraph
from debiasgen.core.validation import seed_from
from debiasgen.exceptions import (
    DataValidationError,
    InvalidParameterError,
    InvalidTypeError,
    UnknownColumnError,
)
from debiasgen.model.interventions import make_hooks
from debiasgen.model.partition import BLOCK_ROWS
from debiasgen.model.synthesizer import CCGMSynthesizer

__all__ = ["AdaptationReport", "FairAdapter", "adaptation_graph"]

ADAPTER_CRITERIA = ("cf", "dp")


def adaptation_graph(graph: CausalGraph, sensitive: str, resolving: Iterable[str] = (),
                     target: str | None = None) -> CausalGraph:
    """The graph a ``criterion="dp"`` adapter models: every column but the resolving
    ones depends on ``sensitive`` and on every column before it in the graph's order.

    Starting from ``graph``: the edges into ``sensitive`` are dropped (an adapter
    sets the sensitive attribute, so its own mechanism is never used), and the
    columns are put in a causal order of what is left: ``sensitive`` first, then
    the graph's topological levels (the roots, then the columns whose longest path
    from a root has one edge, and so on; in node order within a level), and
    ``target``, when it is a sink, last.  Each column that is not
    resolving becomes a child of every column before it: of ``sensitive``, whose
    association with the non-descendants the graph does not explain (the roots it
    is modelled jointly with, columns it leaves unconnected) and with the
    descendants beyond the graph's paths (a direct effect it omits) is then
    adapted, and of the other columns, so that the dependences the graph omits
    between them (Adult's workclass and occupation, which it leaves conditionally
    independent) are modelled too.  Demographic parity asks the adapted rows of
    one group to be distributed as the reference group's rows, jointly: a model
    that keeps only the graph's dependences maps each column's conditional
    distribution but not what the graph omits, and a classifier then tells the
    groups apart by it.  The graph decides the order of the map.  Resolving
    columns keep the graph's parents only.  The result is acyclic.

    Parameters
    ----------
    graph : CausalGraph
    sensitive : str
    resolving : iterable of str, default=()
        Columns that get no new edge into them.
    target : str, default=None
        The label: when it has no children once the edges into ``sensitive`` are
        dropped, it stays a sink (last in the order), so that prediction rows, which
        lack it, can be adapted.  Every other column but the last gets children.

    Returns
    -------
    CausalGraph
        Over the same nodes, with the new edges labelled ``"rule"``.

    Examples
    --------
    >>> from debiasgen import CausalGraph
    >>> from debiasgen.fairness.adapter import adaptation_graph
    >>> g = CausalGraph([("age", "hours"), ("sex", "job")], nodes=["age", "sex", "job",
    ...                                                           "hours"])
    >>> sorted(adaptation_graph(g, "sex").edges)  # doctest: +NORMALIZE_WHITESPACE
    [('age', 'hours'), ('age', 'job'), ('job', 'hours'), ('sex', 'age'), ('sex', 'hours'),
     ('sex', 'job')]
    >>> sorted(adaptation_graph(g, "sex", resolving=["age"]).edges)
    [('age', 'hours'), ('age', 'job'), ('job', 'hours'), ('sex', 'hours'), ('sex', 'job')]
    """
    resolving = set(resolving)
    edges = [e for e in graph.edges if e[1] != sensitive]
    kept = CausalGraph(edges, nodes=graph.nodes)
    order = [sensitive] + [c for level in kept.topological_levels() for c in level
                           if c != sensitive]
    if target is not None and target != sensitive and target in kept \
            and not kept.children(target):
        order = [c for c in order if c != target] + [target]
    added = [(a, b) for k, b in enumerate(order) if b not in resolving for a in order[:k]]
    given = set(edges)
    origins = {e: o for e, o in graph.origins.items() if e in given}
    origins.update({e: "rule" for e in added if e not in given})
    position = {c: k for k, c in enumerate(graph.nodes)}  # a deterministic edge order
    return CausalGraph(sorted(given | set(added),
                              key=lambda e: (position[e[0]], position[e[1]])),
                       nodes=graph.nodes, origins=origins)


@dataclass(frozen=True)
class AdaptationReport:
    """What adaptation did to the sensitive groups (:meth:`FairAdapter.adaptation_report`).

    Attributes
    ----------
    columns : DataFrame
        Indexed by column: ``kind``, ``adapted`` (regenerated by the adapter),
        ``before`` and ``after``: the largest distance between two sensitive groups
        (Kolmogorov-Smirnov statistic for numeric columns, total variation distance
        for categorical ones), in the observed and in the adapted rows.
    sensitive_auroc : Series
        ``observed`` and ``adapted``: the cross-validated AUROC (one-vs-rest,
        weighted, for more than two groups) with which gradient boosting predicts
        the observed sensitive attribute from the other columns (0.5: not at all).
    sensitive : str
    criterion : str
    """

    columns: pd.DataFrame
    sensitive_auroc: pd.Series
    sensitive: str
    criterion: str

    def to_markdown(self) -> str:
        """The report as a Markdown table.

        Returns
        -------
        str
        """
        table = self.columns.round(3).reset_index()
        head = "| " + " | ".join(table.columns) + " |"
        rule = "|" + "---|" * len(table.columns)
        body = ["| " + " | ".join(map(str, r)) + " |" for r in table.itertuples(index=False)]
        auroc = ", ".join(f"{k} {v:.3f}" for k, v in self.sensitive_auroc.items())
        return "\n".join([f"Adaptation ({self.criterion}) of {self.sensitive!r}: "
                          f"sensitive AUROC {auroc}", "", head, rule, *body])


def group_distance(values: pd.Series, groups: pd.Series) -> float:
    """The largest distance between two groups' distributions of ``values``:
    Kolmogorov-Smirnov for numbers, total variation for categories (missing values
    count as a category of their own; numeric ones are left out)."""
    keys = [g for g in pd.unique(groups.dropna())]
    if is_categorical(values.dtype):
        shares = pd.crosstab(values.astype(object).fillna("<missing>"), groups,
                             normalize="columns")
        return float(max((0.5 * (shares[a] - shares[b]).abs().sum()
                          for i, a in enumerate(keys) for b in keys[i + 1:]), default=0.0))
    best = 0.0
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            x = values[groups == a].dropna().to_numpy(dtype=float)
            z = values[groups == b].dropna().to_numpy(dtype=float)
            if len(x) and len(z):
                best = max(best, float(ks_2samp(x, z).statistic))
    return best


def sensitive_auroc(X: pd.DataFrame, groups: pd.Series, cv: int, random_state) -> float:
    """Cross-validated AUROC of gradient boosting predicting ``groups`` from ``X``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X = X.apply(lambda c: c.astype("category") if is_categorical(c.dtype) else c)
    keep = groups.notna().to_numpy()
    y = groups[keep].astype(str).to_numpy()
    model = HistGradientBoostingClassifier(categorical_features="from_dtype",
                                           random_state=random_state)
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    proba = cross_val_predict(model, X[keep], y, cv=folds, method="predict_proba")
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="weighted"))


def completed_graph(graph: CausalGraph, columns: list[str], target: str | None,
                    unmentioned: str | None) -> CausalGraph:
    """``graph`` over all ``columns``, completed as the synthesizer's ``unmentioned`` rule
    does, except that the label ``target`` stays a sink.

    ``"children"``: each column the graph does not mention becomes a child of every
    mentioned column but the label (and of the unmentioned ones before it), and a
    parent of the label; its dependence on the rest is kept (Adult's education-num on
    education).  The synthesizer's own rule would also make it a child of the label,
    and prediction rows, which lack the label, could then not be adapted.
    ``"roots"``: each joins the root block.

    Raises
    ------
    GraphError
        The graph names a node that is not one of ``columns``.
    """
    graph.check_columns(columns)
    others = [c for c in columns if c not in graph]
    if not others:
        return graph
    if unmentioned != "children":
        return graph.add_nodes(others)
    mentioned = [c for c in graph.nodes if c != target]
    edges = list(graph.edges)
    for k, child in enumerate(others):
        edges += [(p, child) for p in mentioned + others[:k]]
        if target is not None and target in graph:
            edges.append((child, target))
    origins = dict(graph.origins)
    origins.update({e: "rule" for e in edges if e not in set(graph.edges)})
    return CausalGraph(edges, nodes=list(columns), origins=origins)


class FairAdapter(TransformerMixin, BaseEstimator):
    """Map rows into the world where the sensitive attribute takes a reference value.

    A scikit-learn transformer for fair data adaptation: ``transform`` returns each
    row's counterfactual twin under ``do(sensitive = reference)`` through a fitted
    causal model, with the descendants of the sensitive attribute (``"cf"``), or
    every column associated with it (``"dp"``), adapted; ``resolving`` columns keep
    their observed values.  Rows whose sensitive attribute already equals the
    reference come back unchanged, exactly.  Put it in front of any estimator:
    ``make_pipeline(FairAdapter(...), estimator)`` adapts the training rows at fit
    and the prediction rows at predict.

    Numeric columns are mapped by quantile preservation (each keeps its
    conditional rank); categorical ones by a Gumbel-max mechanism (a category
    changes only when the reference makes another one relatively more likely).
    What stays a draw: which category a row moves to, where it moves (seeded by
    ``random_state``), and in marginal mode the sensitive value itself.

    Parameters
    ----------
    synthesizer : CCGMSynthesizer, default=None
        The causal model.  A fitted one is used as it is with ``criterion="cf"``;
        an unfitted one (default: ``CCGMSynthesizer()``) is cloned and fitted at
        ``fit``.  ``criterion="dp"`` always fits a clone on the adaptation graph
        (:func:`adaptation_graph`), starting from the fitted model's graph, or from
        ``graph``.  scikit-learn's ``clone`` (which cross-validation and grid search
        apply) returns an unfitted copy of a fitted synthesizer: wrap it in
        ``sklearn.frozen.FrozenEstimator`` to keep it fitted there.
    sensitive : str
        The sensitive column.
    reference : scalar, default=None
        The sensitive value of the adapted world (a value seen at ``fit``).
        ``None``: each row gets a value drawn from the sensitive attribute's
        marginal distribution at ``fit`` (seeded by ``random_state``).
    resolving : sequence of str, default=()
        Columns kept at their observed values (paths through them deemed fair).
    criterion : {"cf", "dp"}, default="cf"
        Which columns are adapted: the graph's descendants of ``sensitive``
        (``"cf"``), or every column but the resolving ones (``"dp"``), through a
        model in which each column depends on every column before it in the
        graph's order (:func:`adaptation_graph`).
    graph : CausalGraph, list of (parent, child), networkx.DiGraph or adjacency DataFrame
        The causal graph, when the synthesizer is not fitted (a fitted one brings
        its own: passing both is refused).  ``None`` discovers one (``sensitive``
        gets no parents; ``y``, when given, no children).
    random_state : int, numpy Generator, RandomState or None, default=None
        Seeds the model's fit (when the synthesizer's own ``random_state`` is
        None) and every ``transform``: with an int, transforming the same rows twice
        gives the same rows.

    Attributes
    ----------
    model_ : CCGMSynthesizer
        The fitted causal model the rows are adapted through.
    graph_ : CausalGraph
        Its graph.
    adapted_ : tuple of str
        The columns ``transform`` regenerates (in the model's column order).
    target_ : str or None
        The column ``y`` was modelled as (``y.name``, or ``"target"``), if given.
    marginal_ : Series
        The sensitive attribute's distribution at ``fit`` (marginal mode draws).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from debiasgen import CCGMSynthesizer
    >>> from debiasgen.fairness.adapter import FairAdapter
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 500)
    >>> X = pd.DataFrame({"sex": sex, "x": (sex == "M") + rng.normal(size=500)})
    >>> adapter = FairAdapter(CCGMSynthesizer(epochs=5), sensitive="sex",
    ...                       reference="M", graph=[("sex", "x")], random_state=0)
    >>> out = adapter.fit_transform(X)
    >>> out["sex"].unique().tolist()
    ['M']
    >>> out[X["sex"] == "M"].equals(X[X["sex"] == "M"])  # the reference group is kept
    True
    """

    def __init__(self, synthesizer=None, *, sensitive: str | None = None, reference=None,
                 resolving: Iterable[str] = (), criterion: str = "cf", graph=None,
                 random_state=None):
        self.synthesizer = synthesizer
        self.sensitive = sensitive
        self.reference = reference
        self.resolving = resolving
        self.criterion = criterion
        self.graph = graph
        self.random_state = random_state

    # -- validation --------------------------------------------------------------
    def _check_params(self) -> None:
        name = type(self).__name__
        if not isinstance(self.sensitive, str):
            raise InvalidParameterError(
                f"{name} needs sensitive=<column name> (a str), got {self.sensitive!r}.")
        if self.criterion not in ADAPTER_CRITERIA:
            raise InvalidParameterError(
                f"{name}'s criterion must be 'cf' or 'dp', got {self.criterion!r}.")
        if isinstance(self.resolving, str) or not isinstance(self.resolving, Iterable):
            raise InvalidTypeError(
                f"{name}'s resolving must be a list of column names, got {self.resolving!r}"
                + (f"; write resolving=[{self.resolving!r}]." if isinstance(
                    self.resolving, str) else "."))
        if self.sensitive in list(self.resolving):
            raise InvalidParameterError(
                f"{name}: the sensitive column {self.sensitive!r} cannot be resolving.")
        synth = self.synthesizer
        if synth is not None and not all(hasattr(synth, m) for m in ("fit", "counterfactual")):
            raise InvalidParameterError(
                f"{name}'s synthesizer must be None or a CCGMSynthesizer, got {synth!r}.")
        ref = self.reference
        if ref is not None and not pd.api.types.is_scalar(ref):
            raise InvalidParameterError(
                f"{name}'s reference must be one value of {self.sensitive!r} or None, "
                f"got {ref!r}.")
        rs = self.random_state
        if not (rs is None or isinstance(rs, (np.random.RandomState, np.random.Generator))
                or (isinstance(rs, numbers.Integral) and not isinstance(rs, bool))):
            raise InvalidParameterError(
                f"{name}'s random_state must be None, an int, a numpy Generator or "
                f"RandomState, got {rs!r}.")

    def _frame(self, X, *, fitting: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise InvalidTypeError(
                f"{type(self).__name__} takes a DataFrame with named columns, got "
                f"{type(X).__name__}; wrap it: pd.DataFrame(X, columns=[...]).")
        X = validate_frame(X)
        if fitting:
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
        return X

    # -- fit ---------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y=None) -> FairAdapter:
        """Fit (or take) the causal model the rows are adapted through.

        Parameters
        ----------
        X : DataFrame, or Parquet path, folder, glob, list of paths or pyarrow Dataset
            Training rows, with the sensitive column.  Parquet data is not read into
            memory: the model is fitted from it in bounded memory
            (:meth:`CCGMSynthesizer.fit`), and the sensitive column's distribution
            is counted batch by batch.
        y : Series or array-like of shape (n_samples,), or str, default=None
            A label modelled as one more column (named ``y.name``, or ``"target"``),
            so that rows carrying it can have it adapted too.  With Parquet data, the
            name of the source's label column.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            A parameter is invalid, or ``reference`` is not a value of the sensitive
            column.
        UnknownColumnError
            ``sensitive`` or a ``resolving`` column is not a column of the data.
        DataValidationError
            ``y``'s length differs from ``X``'s, or its name is a column of ``X``.
        """
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            from debiasgen.io.parquet import is_parquet_source

            if is_parquet_source(X):
                return self._fit_parquet(X, y)
        X = self._frame(X, fitting=True)
        data, self.target_ = X, None
        if y is not None:
            self.target_ = y.name if isinstance(y, pd.Series) and y.name is not None else "target"
            if not isinstance(self.target_, str):
                raise InvalidTypeError(
                    f"y.name must be a string (the label's column name), got "
                    f"{self.target_!r}; rename it: y.rename('label').")
            if np.ndim(y) != 1:
                raise DataValidationError(
                    f"y must be one label per row (1-d), got shape {np.shape(y)}.")
            if self.target_ in X.columns:
                raise DataValidationError(
                    f"y's name {self.target_!r} is also a column of X; rename y or drop "
                    "that column.")
            values = np.asarray(y) if not isinstance(y, pd.Series) else y
            if len(values) != len(X):
                raise DataValidationError(f"X has {len(X)} rows but y has {len(values)}.")
            data = X.assign(**{self.target_: pd.Series(values, index=X.index)
                               if not isinstance(y, pd.Series) else y.set_axis(X.index)})
        self._check_columns(list(data.columns), [])
        self._set_marginal(data[self.sensitive].value_counts(sort=False))
        return self._fit_from(data, list(data.columns))

    def _fit_parquet(self, source, y) -> FairAdapter:
        """:meth:`fit` on Parquet data: the label named by ``y``, the sensitive
        column's distribution counted batch by batch, the model fitted from the
        source."""
        from debiasgen.io.parquet import open_source
        from debiasgen.model.partition import BLOCK_ROWS

        src = open_source(source)
        columns = src.columns
        if y is not None and not isinstance(y, str):
            raise InvalidTypeError(
                f"with Parquet data, y names the source's label column (y='income'), got "
                f"{type(y).__name__}.")
        self._check_columns(columns, [y] if y else [])
        counts = None
        for file in src.files:
            for batch in src.open(file).iter_batches(batch_size=BLOCK_ROWS,
                                                     columns=[self.sensitive]):
                part = batch.to_pandas()[self.sensitive].astype(object).value_counts(
                    sort=False)  # object: categories may differ between batches
                counts = part if counts is None else counts.add(part, fill_value=0)
        self._set_marginal(counts if counts is not None else pd.Series(dtype=float))
        self.target_ = y
        features = [c for c in columns if c != y]
        self.feature_names_in_ = np.asarray(features, dtype=object)
        self.n_features_in_ = len(features)
        return self._fit_from(source, columns)

    def _check_columns(self, columns: list[str], extra: list[str]) -> None:
        unknown = [c for c in [self.sensitive, *self.resolving, *extra] if c not in columns]
        if unknown:
            raise UnknownColumnError(
                f"{type(self).__name__}: {unknown!r} not columns of the data "
                f"({columns!r}).")

    def _set_marginal(self, counts: pd.Series) -> None:
        """``marginal_`` from the sensitive column's value counts (missing values
        left out)."""
        if counts.sum() == 0:
            raise DataValidationError(
                f"the sensitive column {self.sensitive!r} holds no values; adaptation "
                "needs each row's observed sensitive value.")
        self.marginal_ = (counts / counts.sum()).rename("proportion").sort_index()

    def _fit_from(self, data, columns: list[str]) -> FairAdapter:
        """The rest of :meth:`fit`: the model fitted on ``data`` (a frame or a Parquet
        source with ``columns``)."""
        fitted = self.synthesizer is not None and hasattr(self.synthesizer, "network_")
        if self.reference is not None and not fitted:  # before a fit
            self._check_reference(self.marginal_.index[self.marginal_ > 0])
        self.model_ = self._fit_model(data, columns)
        if self.reference is not None:
            self._check_reference(None)
        self.graph_ = self.model_.graph_
        missing = [c for c in columns if c not in self.graph_]
        if missing:
            raise DataValidationError(
                f"the fitted synthesizer has no columns {missing!r}; refit it on these "
                "columns, or pass an unfitted synthesizer.")
        adapted = set(self.graph_.descendants(self.sensitive)) - set(self.resolving)
        self.adapted_ = tuple(c for c in self.graph_.nodes if c in adapted)
        self._filler = self.model_.sample(1, random_state=0)
        return self

    def _check_reference(self, seen) -> None:
        """``reference`` must be a value of the sensitive column: one of ``seen``, or
        (``seen=None``) one the fitted model can set it to."""
        if seen is not None:
            ok = bool((pd.Series(seen, dtype=object) == self.reference).any())
            detail = f"seen: {sorted(map(str, seen))[:10]!r}"
        else:
            try:
                make_hooks(self.model_.encoder_, {self.sensitive: self.reference})
                return
            except DataValidationError as err:
                ok, detail = False, str(err)
        if not ok:
            raise InvalidParameterError(
                f"reference={self.reference!r} is not a value of {self.sensitive!r} "
                f"({detail}).")

    def _fit_model(self, data, columns: list[str]) -> CCGMSynthesizer:
        synth = CCGMSynthesizer() if self.synthesizer is None else self.synthesizer
        fitted = hasattr(synth, "network_")
        if fitted and self.graph is not None:
            raise InvalidParameterError(
                f"{type(self).__name__}: the synthesizer is fitted and brings its own graph; "
                "leave graph=None, or pass an unfitted synthesizer to fit under graph.")
        if fitted and self.criterion == "cf":
            return synth
        # a FrozenEstimator keeps a fitted model through clone; dp needs a new one
        model = clone(synth.estimator if isinstance(synth, FrozenEstimator) else synth)
        if model.get_params().get("random_state") is None and self.random_state is not None:
            model.set_params(random_state=seed_from(self.random_state))
        if self.criterion == "cf":
            return self._fit_on(model, data, columns, self.graph)
        if fitted:
            base = synth.graph_
        else:
            if self.graph is None:  # discover, then adapt the discovered graph
                base = self._fit_on(clone(model), data, columns, None).graph_
            else:  # unmentioned columns keep their dependence on the mentioned ones
                base = completed_graph(CausalGraph.coerce(self.graph), columns,
                                       self.target_, model.get_params().get("unmentioned"))
        return model.fit(data, graph=adaptation_graph(base, self.sensitive, self.resolving,
                                                      self.target_))

    def _fit_on(self, model, data, columns, graph):
        if graph is None:
            targets = {} if self.target_ is None else {"target": self.target_}
            return model.fit(data, graph=None, sensitive=[self.sensitive], **targets)
        return model.fit(data, graph=completed_graph(
            CausalGraph.coerce(graph), columns, self.target_,
            model.get_params().get("unmentioned")))

    # -- transform ---------------------------------------------------------------
    def _rows(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` completed to the model's columns; the absent ones must not influence
        any present column."""
        nodes = self.graph_.nodes
        extra = [c for c in X.columns if c not in self.graph_]
        if extra:
            raise UnknownColumnError(
                f"the rows have columns {extra!r} the adapter was not fitted on; drop them.")
        if self.sensitive not in X.columns:
            raise DataValidationError(
                f"the rows lack the sensitive column {self.sensitive!r}; adaptation needs "
                "each row's observed sensitive value.")
        absent = [c for c in nodes if c not in X.columns]
        roots = list(self.graph_.roots)
        for c in absent:
            later = roots[roots.index(c) + 1:] if c in roots else []
            reached = set(self.graph_.descendants(c)) | set(later)
            for r in later:
                reached |= set(self.graph_.descendants(r))
            needed = [p for p in X.columns if p in reached]
            if needed:
                raise DataValidationError(
                    f"the rows lack column {c!r}, which the model uses to adapt {needed!r}; "
                    f"pass whole rows (only columns that influence no other may be absent).")
        filler = self._filler.loc[self._filler.index.repeat(len(X)), absent]
        rows = pd.concat([X, filler.set_axis(X.index)], axis=1) if absent else X
        return rows[list(nodes)]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each row's adapted twin.

        Parameters
        ----------
        X : DataFrame
            Rows with the sensitive column and any of the fitted columns; a column
            may be absent (the label, at prediction time) only if it influences none
            of the others.  Under ``criterion="dp"`` that is the label passed as
            ``y`` at ``fit`` (the model makes every other column a parent of later
            ones): fit on ``X`` without the label and pass it as ``y`` to adapt rows
            that lack it.

        Returns
        -------
        DataFrame
            ``X``'s index, columns and dtypes; the sensitive column holds the
            reference value (or the drawn values, in marginal mode).

        Raises
        ------
        NotFittedError
            The adapter is not fitted.
        UnknownColumnError
            ``X`` has columns the adapter was not fitted on.
        DataValidationError
            ``X`` lacks the sensitive column or a column that influences others, or
            holds values unseen at ``fit``.
        """
        check_is_fitted(self, "model_")
        X = self._frame(X, fitting=False)
        rows = self._rows(X)
        seed = seed_from(self.random_state)
        # blocks of BLOCK_ROWS rows, each adapted from its own seeds, as
        # transform_to_parquet streams them: the same rows whatever the chunking
        parts = [self._adapt_block(rows.iloc[start:start + BLOCK_ROWS], seed, b)
                 for b, start in enumerate(range(0, len(rows), BLOCK_ROWS))]
        out = pd.concat(parts) if len(parts) > 1 else parts[0]
        return out[list(X.columns)]

    def transform_to_parquet(self, source, path, *, chunk_rows: int = 1_000_000) -> Path:
        """Adapt the rows of a Parquet file into another Parquet file, in bounded memory.

        The rows are read one row group at a time and adapted in blocks of 65,536
        rows, each from its own seeds, exactly as :meth:`transform` adapts them in
        memory: the output equals ``transform(pd.read_parquet(source))`` whatever
        ``chunk_rows`` is or how ``source`` is cut into row groups.  A progress bar
        counts the rows where the model's ``verbose`` is set.

        Parameters
        ----------
        source : str or Path
            A Parquet file of rows, as :meth:`transform` takes them.
        path : str or Path
            The file to write (its folder must exist).
        chunk_rows : int, default=1_000_000
            Rows per row group written.

        Returns
        -------
        Path
            ``path``.

        Raises
        ------
        NotFittedError, UnknownColumnError
            As :meth:`transform`.
        DataValidationError
            ``source`` is missing or not Parquet, its rows are not ones
            :meth:`transform` takes, or ``path`` cannot be written.
        ImportError
            pyarrow is not installed (``pip install 'debiasgen[parquet]'``).
        """
        from debiasgen.core.validation import check_rows
        from debiasgen.io.parquet import ParquetSink
        from debiasgen.model.partition import source_blocks

        check_is_fitted(self, "model_")
        chunk_rows = check_rows(chunk_rows, len(self.graph_.nodes), name="chunk_rows")
        seed = seed_from(self.random_state)
        with ParquetSink(path, chunk_rows) as sink:
            for b, frame in source_blocks(source, BLOCK_ROWS, verbose=self.model_.verbose,
                                          desc="adapt"):
                frame = self._frame(frame, fitting=False)
                sink.write(self._adapt_block(self._rows(frame), seed, b)[list(frame.columns)])
        return sink.path

    def _adapt_block(self, rows: pd.DataFrame, seed: int, block: int) -> pd.DataFrame:
        """The adapted twins of block ``block`` of the rows (completed to the model's
        columns), from seeds of ``(seed, block)`` alone."""
        keep = [c for c in self.resolving if c in self.graph_]
        if self.reference is not None:
            values, targets = [self.reference], np.zeros(len(rows), dtype=int)
        else:
            values = self.marginal_.index.to_numpy()
            rng = np.random.default_rng([seed, 1, block])
            targets = rng.choice(len(values), size=len(rows), p=self.marginal_.to_numpy())
        parts = []
        for k in np.unique(targets):
            chosen = targets == k
            part_seed = int(np.random.default_rng([seed, 2, block, k]).integers(2**31))
            parts.append(self.model_.counterfactual(
                rows[chosen], {self.sensitive: values[k]}, random_state=part_seed, keep=keep))
        return pd.concat(parts).loc[rows.index] if len(parts) > 1 else parts[0]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The output columns: the input's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored unless given, then checked against ``feature_names_in_``.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "model_")
        if input_features is not None and list(input_features) != list(self.feature_names_in_):
            raise DataValidationError(
                f"input_features {list(input_features)!r} differ from the fitted columns "
                f"{list(self.feature_names_in_)!r}.")
        return np.asarray(self.feature_names_in_, dtype=object)

    def fair_twins(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each row beside its adapted twin, with what changed.

        Parameters
        ----------
        X : DataFrame
            As for :meth:`transform`.

        Returns
        -------
        DataFrame
            ``X``'s index; columns ``(column, "observed" | "adapted" | "changed")``.

        Raises
        ------
        NotFittedError, UnknownColumnError, DataValidationError
            As :meth:`transform`.
        """
        adapted = self.transform(X)
        parts = {}
        for c in X.columns:
            before, after = X[c], adapted[c]
            same = (before == after) | (before.isna() & after.isna())
            parts[(c, "observed")] = before
            parts[(c, "adapted")] = after
            parts[(c, "changed")] = ~same.astype(bool)
        out = pd.DataFrame(parts, index=X.index)
        out.columns = pd.MultiIndex.from_tuples(out.columns, names=["column", "twin"])
        return out

    def adaptation_report(self, X: pd.DataFrame, *, cv: int = 3,
                          random_state=None) -> AdaptationReport:
        """How far the sensitive groups are apart before and after adaptation.

        Groups are the rows' *observed* sensitive values, in ``X`` and in its
        adapted twin alike: what matters is whether the adapted columns still tell
        the original groups apart.

        Parameters
        ----------
        X : DataFrame
            Rows to adapt (with the sensitive column).
        cv : int, default=3
            Folds of the cross-validated predictability of the sensitive attribute.
        random_state : int or None, default=None
            Seeds the gradient-boosting classifier.

        Returns
        -------
        AdaptationReport

        Raises
        ------
        NotFittedError, UnknownColumnError, DataValidationError
            As :meth:`transform`; also when a sensitive group has fewer than ``cv``
            rows.
        """
        adapted = self.transform(X)
        groups = X[self.sensitive]
        counts = groups.value_counts()
        if len(counts) < 2 or counts.min() < cv:
            raise DataValidationError(
                f"the report needs at least 2 groups of {self.sensitive!r} with {cv} rows "
                f"each; X has {counts.to_dict()!r}.")
        rows = []
        for c in X.columns:
            if c == self.sensitive:
                continue
            rows.append({
                "column": c,
                "kind": "categorical" if is_categorical(X[c].dtype) else "numeric",
                "adapted": c in self.adapted_,
                "before": group_distance(X[c], groups),
                "after": group_distance(adapted[c], groups),
            })
        columns = pd.DataFrame(rows).set_index("column")
        auroc = pd.Series({
            "observed": sensitive_auroc(X.drop(columns=[self.sensitive]), groups, cv,
                                        random_state),
            "adapted": sensitive_auroc(adapted.drop(columns=[self.sensitive]), groups, cv,
                                       random_state),
        }, name="sensitive AUROC")
        return AdaptationReport(columns=columns, sensitive_auroc=auroc,
                                sensitive=self.sensitive, criterion=self.criterion)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        tags.non_deterministic = self.random_state is None
        return tags

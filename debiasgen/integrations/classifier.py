"""scikit-learn integration: :class:`DebiasedClassifier`, a meta-estimator.

``fit`` learns a causal model of the training rows and their labels, removes chosen
causal edges, and trains a classifier on synthetic rows drawn from the modified
model; ``predict`` uses that classifier on real rows.  (The imbalanced-learn
sampler that does the first half lives in :mod:`debiasgen.integrations.sampler`.)

Importing this module is cheap: torch is not imported until a model is fitted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from debiasgen.exceptions import InvalidParameterError
from debiasgen.integrations._shared import (
    as_frame,
    bad_param,
    categories_of,
    check_nested,
    estimator_has,
    fit_adapted,
    fit_debiased,
    seeded_clone,
    with_categories,
)
from debiasgen.model.synthesizer import tabular_input_tags

__all__ = ["DebiasedClassifier"]


# -- the meta-estimator ---------------------------------------------------------------
class DebiasedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier trained with the help of a causal model: on de-biased synthetic
    rows (``mode="synthetic"``) or on adapted real rows (``mode="adapt"``).

    ``mode="synthetic"``: ``fit(X, y)`` fits a clone of ``synthesizer`` on ``X``
    joined with the label ``y`` under the causal ``graph``, removes causal edges
    with :meth:`CCGMSynthesizer.debias` (``remove_edges``, or the ``criterion``
    preset for ``sensitive`` and the label), draws ``n_synthetic`` rows from the
    modified model and fits a clone of ``estimator`` on them.  ``predict`` and
    ``predict_proba`` apply that estimator to real rows.  With neither
    ``remove_edges`` nor ``criterion`` nothing is removed: the estimator is trained
    on plain synthetic data from the fitted model.

    ``mode="adapt"`` (fair data adaptation, :class:`~debiasgen.FairAdapter`):
    ``fit`` maps the training rows (and, with ``adapt_target``, their labels) into
    the world where ``sensitive`` takes the ``reference`` value, trains the
    estimator on them, and ``predict`` maps each prediction row the same way
    before the estimator sees it, so the estimator is fair on real rows in the
    sense of ``criterion`` (``"cf"`` or ``"dp"``).  The label must cause no other
    column (prediction rows do not carry it).

    Parameters
    ----------
    estimator : classifier, default=None
        Trained on the synthetic rows. Default:
        ``HistGradientBoostingClassifier(categorical_features="from_dtype")``.
        String, object and category columns reach it as pandas categories with the
        categories seen in training (unseen values become missing).
    synthesizer : CCGMSynthesizer, default=None
        The causal generative model (cloned). Default: ``CCGMSynthesizer()``.
        Set nested parameters as ``synthesizer__epochs``.
    graph : CausalGraph, list of (parent, child), networkx.DiGraph or adjacency DataFrame
        The causal graph over ``X``'s columns and the label, which is named
        ``y.name`` (``"target"`` when ``y`` has no name).  ``None`` discovers a
        graph (``synthesizer.fit(..., graph=None, sensitive=..., target=...)``): the
        label gets no children and ``sensitive`` no parents.  ``[]`` is a model
        with no given edges (see ``CCGMSynthesizer``'s ``unmentioned``).
    remove_edges : list of (parent, child), default=None
        Causal edges to remove (:meth:`CCGMSynthesizer.debias`).
    sensitive : str, default=None
        The sensitive column, with ``criterion``.
    criterion : {"ftu", "dp", "cf"}, default=None
        A preset (the table in :mod:`debiasgen.core.presets`): ``"ftu"`` removes the
        edge ``sensitive -> label``; ``"dp"`` makes the label independent of
        ``sensitive``; ``"cf"`` removes every edge into the label from ``sensitive`` or
        a descendant of it, but keeps the association of ``sensitive`` with the other
        roots (see :meth:`CCGMSynthesizer.debias`).
    noise_reuse : float in [0, 1], default=None
        ``criterion="dp"`` only; see :meth:`CCGMSynthesizer.debias`.
    n_synthetic : int, default=None
        Number of synthetic training rows; default: as many as ``X`` has.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seeds the synthetic draw (or the adaptation), and the clones of
        ``synthesizer`` and ``estimator`` whose own ``random_state`` is None.
    mode : {"synthetic", "adapt"}, default="synthetic"
        Train on de-biased synthetic rows, or on adapted real rows (then
        ``criterion`` is ``"cf"`` or ``"dp"`` and ``remove_edges``, ``noise_reuse``
        and ``n_synthetic`` are not used).
    reference : scalar, default=None
        ``mode="adapt"``: the sensitive value of the adapted world; ``None`` draws one
        per row from its marginal (see :class:`~debiasgen.FairAdapter`).
    resolving : sequence of str, default=()
        ``mode="adapt"``: columns kept as observed (paths through them deemed fair).
    adapt_target : bool, default=True
        ``mode="adapt"``: train on the adapted labels (True) or the observed ones.

    Attributes
    ----------
    synthesizer_ : CCGMSynthesizer
        Fitted on the training rows and labels (``mode="adapt"``: the adapter's model).
    debiased_ : CCGMSynthesizer
        ``mode="synthetic"``: ``synthesizer_`` with the edges removed
        (``synthesizer_`` itself when none are).
    adapter_ : FairAdapter
        ``mode="adapt"``: fitted on the training rows and labels.
    estimator_ : classifier
        Fitted on the synthetic rows.
    classes_ : ndarray
        The labels seen in ``y``.
    target_ : str
        The label's column name in the synthesizer.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` is a DataFrame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from debiasgen import CCGMSynthesizer
    >>> from debiasgen.integrations.classifier import DebiasedClassifier
    >>> rng = np.random.default_rng(0)
    >>> s = rng.choice(["a", "b"], 400)
    >>> X = pd.DataFrame({"s": s, "x": rng.normal(size=400)})
    >>> y = pd.Series((X["x"] + (s == "a") > 0.5).astype(int), name="y")
    >>> clf = DebiasedClassifier(synthesizer=CCGMSynthesizer(epochs=3),
    ...                          graph=[("s", "y"), ("x", "y")], sensitive="s",
    ...                          criterion="ftu", random_state=0).fit(X, y)
    >>> clf.debiased_.removed_edges_
    (('s', 'y'),)
    >>> clf.predict(X.head(3)).shape
    (3,)
    """

    def __init__(self, estimator=None, synthesizer=None, *, graph=None, remove_edges=None,
                 sensitive: str | None = None, criterion: str | None = None,
                 noise_reuse: float | None = None, n_synthetic: int | None = None,
                 random_state=None, mode: str = "synthetic", reference=None,
                 resolving=(), adapt_target: bool = True):
        self.estimator = estimator
        self.synthesizer = synthesizer
        self.graph = graph
        self.remove_edges = remove_edges
        self.sensitive = sensitive
        self.criterion = criterion
        self.noise_reuse = noise_reuse
        self.n_synthetic = n_synthetic
        self.random_state = random_state
        self.mode = mode
        self.reference = reference
        self.resolving = resolving
        self.adapt_target = adapt_target

    def set_params(self, **params) -> DebiasedClassifier:
        """Set parameters, nested ones as ``synthesizer__epochs``.

        Parameters
        ----------
        **params
            Parameter names and values.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            A nested parameter of ``synthesizer`` or ``estimator`` while it is None.
        """
        check_nested(self, params)
        return super().set_params(**params)

    def fit(self, X: pd.DataFrame, y) -> DebiasedClassifier:
        """Fit the synthesizer on ``X`` and ``y``, de-bias it, and train the estimator
        on rows drawn from it.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Mixed columns (see :meth:`CCGMSynthesizer.fit`); an array's columns are
            named ``x0 .. x{n-1}``.
        y : Series or array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError (a ValueError)
            A parameter is invalid (``criterion`` not one of ``"ftu"``, ``"dp"``,
            ``"cf"``, ...), or the synthetic rows hold a single class.
        DataValidationError (a ValueError)
            ``y`` has missing labels (drop or impute them), one class only, a length
            other than ``X``'s, or a name that is also a column of ``X``.
        GraphError
            The graph does not fit the columns (a ValueError).
        """
        X = as_frame(self, X, reset=True)
        self._check_mode()
        if self.mode == "adapt":
            X_syn, y_syn, seed = fit_adapted(self, X, y)
        else:
            X_syn, y_syn, seed = fit_debiased(self, X, y)
        present = np.unique(y_syn)
        if len(present) < 2:
            what = "adapted" if self.mode == "adapt" else "synthetic"
            raise InvalidParameterError(
                f"the {len(y_syn)} {what} rows hold the single class {present[0]!r}; "
                + ("raise n_synthetic or the synthesizer's epochs." if what == "synthetic"
                   else "set adapt_target=False or raise the synthesizer's epochs.")
            )
        if self.estimator is None:
            from sklearn.ensemble import HistGradientBoostingClassifier

            estimator = HistGradientBoostingClassifier(categorical_features="from_dtype")
        else:
            estimator = self.estimator
        self._categories = categories_of(X)
        self.estimator_ = seeded_clone(estimator, seed)
        self.estimator_.fit(with_categories(X_syn, self._categories), y_syn)
        return self

    def _check_mode(self) -> None:
        if self.mode not in ("synthetic", "adapt"):
            raise bad_param(self, "mode", "'synthetic' or 'adapt'", self.mode)
        if self.mode == "synthetic":
            for name, unset in (("reference", None), ("resolving", ())):
                if getattr(self, name) not in (unset, [], None):
                    raise InvalidParameterError(
                        f"{name}={getattr(self, name)!r} applies to mode='adapt' only; "
                        "set mode='adapt' or leave it unset.")
            return
        if self.sensitive is None or self.criterion not in ("cf", "dp"):
            raise InvalidParameterError(
                "mode='adapt' needs sensitive=<column> and criterion='cf' or 'dp', got "
                f"sensitive={self.sensitive!r}, criterion={self.criterion!r}.")
        for name in ("remove_edges", "noise_reuse", "n_synthetic"):
            if getattr(self, name) is not None:
                raise InvalidParameterError(
                    f"{name} applies to mode='synthetic' only; mode='adapt' trains on "
                    "the adapted real rows. Leave it None.")
        if not isinstance(self.adapt_target, (bool, np.bool_)):
            raise bad_param(self, "adapt_target", "True or False", self.adapt_target)

    def _prepare(self, X) -> pd.DataFrame:
        check_is_fitted(self, "estimator_")
        X = as_frame(self, X, reset=False)
        if self.mode == "adapt":
            X = self.adapter_.transform(X)
        return with_categories(X, self._categories)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted class labels of the rows of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Real rows with the columns seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from :attr:`classes_`.

        Raises
        ------
        NotFittedError
            :meth:`fit` has not been called.
        """
        X = self._prepare(X)
        return self.estimator_.predict(X)

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities of the rows of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Real rows with the columns seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of :attr:`classes_` (0 for a class the synthetic rows
            did not hold).

        Raises
        ------
        NotFittedError
            :meth:`fit` has not been called.
        """
        X = self._prepare(X)
        proba = self.estimator_.predict_proba(X)
        own = list(self.estimator_.classes_)
        if own == list(self.classes_):
            return proba
        out = np.zeros((proba.shape[0], len(self.classes_)))
        out[:, np.searchsorted(self.classes_, own)] = proba
        return out

    @available_if(estimator_has("decision_function"))
    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The estimator's decision function on the rows of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Real rows with the columns seen in :meth:`fit`.

        Returns
        -------
        ndarray
            As the estimator's ``decision_function``.

        Raises
        ------
        NotFittedError
            :meth:`fit` has not been called.
        """
        X = self._prepare(X)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        return tabular_input_tags(super().__sklearn_tags__())

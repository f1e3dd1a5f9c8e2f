"""scikit-learn and imbalanced-learn integration.

:class:`DebiasedClassifier` is a meta-estimator: ``fit`` learns a causal model of
the training rows and their labels, removes chosen causal edges, and trains a
classifier on synthetic rows drawn from the modified model; ``predict`` uses that
classifier on real rows.  ``DebiasSampler`` (needs ``pip install
'debiasgen[imblearn]'``) does the first half for an ``imblearn`` pipeline: at fit
time it replaces the training rows by de-biased synthetic rows.

Importing this module is cheap: neither torch nor imbalanced-learn is imported
until a model is fitted or ``DebiasSampler`` is first looked up.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from debiasgen.synthesizer import CCGMSynthesizer, _tabular_input_tags

# DebiasSampler is left out of __all__ on purpose: it exists only where
# imbalanced-learn is installed, and a star import must not fail without it.
__all__ = ["DebiasedClassifier"]

_CRITERIA = ("ftu", "dp")
_IMBLEARN_HINT = (
    "DebiasSampler needs imbalanced-learn; install it with "
    "pip install 'debiasgen[imblearn]' (or pip install imbalanced-learn)."
)


# -- shared validation and fitting ------------------------------------------------
def _bad(owner, name: str, expected: str, value) -> ValueError:
    # The wording follows scikit-learn's own parameter errors, which
    # imbalanced-learn's estimator checks match on.
    return ValueError(
        f"The {name!r} parameter of {type(owner).__name__} must be {expected}. "
        f"Got {value!r} instead."
    )


def _check_params(owner) -> None:
    """Validate the parameters shared by DebiasedClassifier and DebiasSampler."""
    synth = owner.synthesizer
    if synth is not None and not all(hasattr(synth, m) for m in ("fit", "debias", "sample")):
        raise _bad(owner, "synthesizer", "None or an object with fit, debias and sample "
                   "methods, such as CCGMSynthesizer()", synth)
    est = getattr(owner, "estimator", None)
    if est is not None and not all(hasattr(est, m) for m in ("fit", "predict")):
        raise _bad(owner, "estimator", "None or a classifier with fit and predict", est)
    edges = owner.remove_edges
    if edges is not None and not isinstance(edges, (list, tuple)):
        raise _bad(owner, "remove_edges", "None or a list of (parent, child) pairs", edges)
    if owner.sensitive is not None and not isinstance(owner.sensitive, str):
        raise _bad(owner, "sensitive", "None or a column name (str)", owner.sensitive)
    if owner.criterion is not None and owner.criterion not in _CRITERIA:
        raise _bad(owner, "criterion", "'ftu', 'dp' or None", owner.criterion)
    reuse = owner.noise_reuse
    if reuse is not None and (isinstance(reuse, bool) or not isinstance(reuse, numbers.Real)
                              or not 0 <= reuse <= 1):
        raise _bad(owner, "noise_reuse", "None or a number in [0, 1]", reuse)
    n = owner.n_synthetic
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise _bad(owner, "n_synthetic", "None or an integer >= 1", n)
    rs = owner.random_state
    if not (rs is None or isinstance(rs, (np.random.RandomState, np.random.Generator))
            or (isinstance(rs, numbers.Integral) and not isinstance(rs, bool))):
        raise _bad(owner, "random_state", "None, an int, a numpy Generator or RandomState", rs)
    if owner.sensitive is not None and owner.criterion is None:
        raise ValueError(
            f"sensitive={owner.sensitive!r} is used only with criterion='ftu' or 'dp'; "
            "give a criterion, or remove_edges=[(parent, child), ...] without sensitive."
        )
    if owner.criterion is not None and owner.sensitive is None:
        raise ValueError(
            f"criterion={owner.criterion!r} needs sensitive=<column name> (the target is "
            "the label y)."
        )
    if owner.criterion is not None and edges is not None:
        raise ValueError("give either remove_edges or criterion (a preset), not both.")
    if reuse is not None and owner.criterion != "dp":
        raise ValueError(
            f"noise_reuse={reuse!r} applies to criterion='dp' only; explicit edges and 'ftu' "
            "replace the cut parents by an independent draw."
        )


def _check_nested(owner, params) -> None:
    """A clear error for ``synthesizer__...`` / ``estimator__...`` while that
    sub-estimator is ``None`` (scikit-learn itself fails with an AttributeError)."""
    for key in params:
        head, sep, _ = key.partition("__")
        if sep and head in ("synthesizer", "estimator") and hasattr(owner, head):
            if params.get(head, getattr(owner, head)) is None:
                example = "CCGMSynthesizer()" if head == "synthesizer" else "a classifier"
                raise ValueError(
                    f"cannot set {key!r}: {type(owner).__name__}.{head} is None (the "
                    f"default is built only at fit). Pass {head}={example} to tune "
                    f"its parameters."
                )


def _seeds(random_state, k: int) -> list[int | None]:
    """``k`` integer seeds from ``random_state`` (a local generator; ``None`` stays
    nondeterministic)."""
    if random_state is None:
        return [None] * k
    if isinstance(random_state, np.random.RandomState):
        return [int(s) for s in random_state.randint(2**31, size=k)]
    return [int(s) for s in np.random.default_rng(random_state).integers(2**31, size=k)]


def _seeded_clone(estimator, seed):
    """A clone; its ``random_state`` set to ``seed`` when it has one left at None."""
    est = clone(estimator)
    if seed is not None and "random_state" in est.get_params(deep=False) \
            and est.get_params(deep=False)["random_state"] is None:
        est.set_params(random_state=seed)
    return est


def _as_frame(owner, X, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame.  An array, or a frame whose column names are not strings,
    is positional: its columns are named ``x0 .. x{n-1}`` (or the fitted names)."""
    if not isinstance(X, pd.DataFrame):
        # check_array first: its errors (1-d input, sparse, complex) are the clearest
        X = check_array(X, dtype=None, ensure_all_finite=False, estimator=owner)
    X = validate_data(owner, X, skip_check_array=True, reset=reset)
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        return X
    names = getattr(owner, "feature_names_in_", None)
    if reset or names is None:
        names = [f"x{j}" for j in range(X.shape[1])]
    if isinstance(X, pd.DataFrame):
        return X.set_axis(list(names), axis=1)
    return pd.DataFrame(X, columns=list(names))


def _target_name(X: pd.DataFrame, y) -> str:
    name = y.name if isinstance(y, pd.Series) and y.name is not None else "target"
    if not isinstance(name, str):
        raise TypeError(f"y.name must be a string (the target's column name), got {name!r}.")
    if name in X.columns:
        raise ValueError(
            f"the target's name {name!r} is also a column of X; rename y "
            "(y.rename('label')) or drop that column from X."
        )
    return name


def _fit_debiased(owner, X: pd.DataFrame, y):
    """Fit the synthesizer on X joined with y and draw de-biased synthetic rows.

    Sets ``synthesizer_``, ``debiased_``, ``target_`` and ``classes_`` on ``owner``
    and returns the synthetic X, y (a 1-d array) and a seed for the estimator.
    """
    _check_params(owner)
    target = _target_name(X, y)
    y_arr = column_or_1d(y, warn=True)
    if len(y_arr) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y_arr)}; pass one label per row.")
    check_classification_targets(y_arr)
    classes = np.unique(y_arr)
    if len(classes) < 2:
        raise ValueError(
            f"y holds one class only ({classes.tolist()[0]!r}); a classifier needs at least "
            "2 classes."
        )
    # The label as a categorical column: modelled with a softmax over the classes.
    data = X.assign(**{target: pd.Categorical(y_arr, categories=classes)})
    synth_seed, sample_seed, est_seed = _seeds(owner.random_state, 3)
    base = CCGMSynthesizer() if owner.synthesizer is None else owner.synthesizer
    synth = _seeded_clone(base, synth_seed)
    if owner.graph is None:
        # Discovery under background knowledge: the label causes no column, and the
        # sensitive attribute has no parents (which criterion="dp" needs).
        sensitive = [] if owner.sensitive is None else [owner.sensitive]
        synth.fit(data, graph=None, sensitive=sensitive, target=target)
    else:
        synth.fit(data, graph=owner.graph)
    if owner.criterion is not None:
        debiased = synth.debias(remove_edges=owner.remove_edges, sensitive=owner.sensitive,
                                target=target, criterion=owner.criterion,
                                noise_reuse=owner.noise_reuse)
    elif owner.remove_edges is not None:
        debiased = synth.debias(remove_edges=owner.remove_edges)
    else:
        debiased = synth
    n = len(X) if owner.n_synthetic is None else owner.n_synthetic
    sample = debiased.sample(n, random_state=sample_seed)
    owner.synthesizer_, owner.debiased_, owner.target_, owner.classes_ = (
        synth, debiased, target, classes)
    y_syn = np.asarray(sample[target].to_numpy(), dtype=classes.dtype)
    return sample.drop(columns=[target]), y_syn, est_seed


def _categories(X: pd.DataFrame) -> dict[str, list]:
    """The categories of X's string, object and category columns (not bool)."""
    out = {}
    for name in X.columns:
        dtype = X[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            out[name] = list(dtype.categories)
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            values = pd.unique(X[name].dropna())
            try:
                out[name] = sorted(values)
            except TypeError:  # mixed types: order of appearance
                out[name] = list(values)
    return out


def _with_categories(X: pd.DataFrame, categories: dict[str, list]) -> pd.DataFrame:
    """String-like columns as pandas categories with the training categories, so the
    synthetic training rows and real rows share one category coding (values unseen
    in training become missing)."""
    if not categories:
        return X
    return X.assign(**{c: pd.Categorical(X[c].where(X[c].isin(cats)), categories=cats)
                       for c, cats in categories.items()})


def _estimator_has(attr: str):
    def check(self) -> bool:
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return self.estimator is None or hasattr(self.estimator, attr)

    return check


# -- the meta-estimator ---------------------------------------------------------------
class DebiasedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier trained on de-biased synthetic data drawn from a causal model.

    ``fit(X, y)`` fits a clone of ``synthesizer`` on ``X`` joined with the label
    ``y`` under the causal ``graph``, removes causal edges with
    :meth:`CCGMSynthesizer.debias` (``remove_edges``, or the ``criterion`` preset
    for ``sensitive`` and the label), draws ``n_synthetic`` rows from the modified
    model and fits a clone of ``estimator`` on them.  ``predict`` and
    ``predict_proba`` apply that estimator to real rows.  With neither
    ``remove_edges`` nor ``criterion`` nothing is removed: the estimator is trained
    on plain synthetic data from the fitted model.

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
    criterion : {"ftu", "dp"}, default=None
        A preset: ``"ftu"`` removes the edge ``sensitive -> label``; ``"dp"`` makes
        the label independent of ``sensitive`` (see :meth:`CCGMSynthesizer.debias`).
    noise_reuse : float in [0, 1], default=None
        ``criterion="dp"`` only; see :meth:`CCGMSynthesizer.debias`.
    n_synthetic : int, default=None
        Number of synthetic training rows; default: as many as ``X`` has.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seeds the synthetic draw, and the clones of ``synthesizer`` and
        ``estimator`` whose own ``random_state`` is None.

    Attributes
    ----------
    synthesizer_ : CCGMSynthesizer
        Fitted on the training rows and labels.
    debiased_ : CCGMSynthesizer
        ``synthesizer_`` with the edges removed (``synthesizer_`` itself when none are).
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
    >>> from debiasgen.pipeline import DebiasedClassifier
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
                 random_state=None):
        self.estimator = estimator
        self.synthesizer = synthesizer
        self.graph = graph
        self.remove_edges = remove_edges
        self.sensitive = sensitive
        self.criterion = criterion
        self.noise_reuse = noise_reuse
        self.n_synthetic = n_synthetic
        self.random_state = random_state

    def set_params(self, **params) -> DebiasedClassifier:
        _check_nested(self, params)
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
        ValueError
            A parameter is invalid, ``y`` has one class, its name clashes with a
            column of ``X``, or the synthetic rows hold a single class.
        GraphError
            The graph does not fit the columns (a ValueError).
        """
        X = _as_frame(self, X, reset=True)
        X_syn, y_syn, seed = _fit_debiased(self, X, y)
        present = np.unique(y_syn)
        if len(present) < 2:
            raise ValueError(
                f"the {len(y_syn)} synthetic rows hold the single class {present[0]!r}; "
                "raise n_synthetic or the synthesizer's epochs."
            )
        if self.estimator is None:
            from sklearn.ensemble import HistGradientBoostingClassifier

            estimator = HistGradientBoostingClassifier(categorical_features="from_dtype")
        else:
            estimator = self.estimator
        self._categories = _categories(X)
        self.estimator_ = _seeded_clone(estimator, seed)
        self.estimator_.fit(_with_categories(X_syn, self._categories), y_syn)
        return self

    def _prepare(self, X) -> pd.DataFrame:
        check_is_fitted(self, "estimator_")
        X = _as_frame(self, X, reset=False)
        return _with_categories(X, self._categories)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted class labels of the rows of ``X``."""
        X = self._prepare(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`classes_` (0 for a
        class the synthetic rows did not hold)."""
        X = self._prepare(X)
        proba = self.estimator_.predict_proba(X)
        own = list(self.estimator_.classes_)
        if own == list(self.classes_):
            return proba
        out = np.zeros((proba.shape[0], len(self.classes_)))
        out[:, np.searchsorted(self.classes_, own)] = proba
        return out

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The estimator's decision function on the rows of ``X``."""
        X = self._prepare(X)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        return _tabular_input_tags(super().__sklearn_tags__())


# -- the imbalanced-learn sampler -------------------------------------------------------
_SAMPLER = None


def _sampler_class():
    """Build DebiasSampler on imbalanced-learn's BaseSampler (once, on first use)."""
    global _SAMPLER
    if _SAMPLER is not None:
        return _SAMPLER
    try:
        from imblearn.base import BaseSampler
    except ImportError as err:
        raise ImportError(_IMBLEARN_HINT) from err
    # Declared for imbalanced-learn's estimator checks, which read this table; the
    # values are validated by our own _check_params, whose messages match theirs.
    from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

    class DebiasSampler(BaseSampler):
        """Replace the training rows by de-biased synthetic rows (imbalanced-learn).

        ``fit_resample(X, y)`` fits a clone of ``synthesizer`` on ``X`` joined with
        ``y`` under ``graph``, removes causal edges as :class:`DebiasedClassifier`
        does, and returns ``n_synthetic`` rows drawn from the modified model.  In an
        ``imblearn.pipeline.Pipeline`` this happens at fit time only; ``predict``
        passes real rows straight to the next steps.  With neither ``remove_edges``
        nor ``criterion`` the rows are plain synthetic data.

        Needs imbalanced-learn (``pip install 'debiasgen[imblearn]'``).

        Parameters
        ----------
        synthesizer, graph, remove_edges, sensitive, criterion, noise_reuse, \
n_synthetic, random_state
            As in :class:`DebiasedClassifier`.

        Attributes
        ----------
        synthesizer_, debiased_, classes_, target_
            As in :class:`DebiasedClassifier`.
        n_features_in_ : int
        feature_names_in_ : ndarray of str
            Only when ``X`` is a DataFrame.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> from debiasgen.pipeline import DebiasSampler
        >>> rng = np.random.default_rng(0)
        >>> s = rng.choice(["a", "b"], 400)
        >>> X = pd.DataFrame({"s": s, "x": rng.normal(size=400)})
        >>> y = pd.Series((X["x"] + (s == "a") > 0.5).astype(int), name="y")
        >>> sampler = DebiasSampler(CCGMSynthesizer(epochs=3), graph=[("s", "y")],
        ...                         remove_edges=[("s", "y")], random_state=0)
        >>> X_fair, y_fair = sampler.fit_resample(X, y)
        >>> X_fair.shape, y_fair.name
        ((400, 2), 'y')
        """

        _sampling_type = "bypass"
        _parameter_constraints: dict = {
            "synthesizer": [HasMethods(["fit", "debias", "sample"]), None],
            "graph": "no_validation",
            "remove_edges": [list, tuple, None],
            "sensitive": [str, None],
            "criterion": [StrOptions(set(_CRITERIA)), None],
            "noise_reuse": [Interval(numbers.Real, 0, 1, closed="both"), None],
            "n_synthetic": [Interval(numbers.Integral, 1, None, closed="left"), None],
            "random_state": ["random_state", np.random.Generator],
        }

        def __init__(self, synthesizer=None, *, graph=None, remove_edges=None,
                     sensitive: str | None = None, criterion: str | None = None,
                     noise_reuse: float | None = None, n_synthetic: int | None = None,
                     random_state=None):
            self.synthesizer = synthesizer
            self.graph = graph
            self.remove_edges = remove_edges
            self.sensitive = sensitive
            self.criterion = criterion
            self.noise_reuse = noise_reuse
            self.n_synthetic = n_synthetic
            self.random_state = random_state

        def fit(self, X, y):
            """Fit the synthesizer (as :meth:`fit_resample`, discarding the rows)."""
            self.fit_resample(X, y)
            return self

        def set_params(self, **params):
            _check_nested(self, params)
            return super().set_params(**params)

        def fit_resample(self, X, y) -> tuple[Any, Any]:
            """De-biased synthetic rows and labels.

            Returns
            -------
            X_resampled : DataFrame (ndarray when ``X`` is an array)
                ``X``'s columns, order and dtypes.
            y_resampled : Series named like ``y`` (ndarray when ``y`` is not a Series)
            """
            return self._fit_resample(X, y)

        def _fit_resample(self, X, y):
            frame = _as_frame(self, X, reset=True)
            X_syn, y_syn, _ = _fit_debiased(self, frame, y)
            self.sampling_strategy_ = {}  # bypass: classes are not rebalanced
            if isinstance(y, pd.Series):
                y_syn = pd.Series(y_syn, name=y.name)
            if not isinstance(X, pd.DataFrame):
                X_syn = X_syn.to_numpy()
            return X_syn, y_syn

        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.input_tags.allow_nan = True
            tags.input_tags.sparse = False
            tags.input_tags.string = True
            return tags

    # Pickle finds the class as debiasgen.pipeline.DebiasSampler (module __getattr__).
    DebiasSampler.__module__, DebiasSampler.__qualname__ = __name__, "DebiasSampler"
    _SAMPLER = DebiasSampler
    return DebiasSampler


def __getattr__(name: str):
    if name == "DebiasSampler":
        return _sampler_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "DebiasSampler"])

"""Validation and fitting shared by DebiasedClassifier and DebiasSampler."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from debiasgen.core.presets import CRITERIA
from debiasgen.exceptions import DataValidationError, InvalidParameterError, InvalidTypeError
from debiasgen.model.interventions import check_debias_arguments
from debiasgen.model.synthesizer import CCGMSynthesizer


# -- shared validation and fitting ------------------------------------------------
def bad_param(owner, name: str, expected: str, value) -> InvalidParameterError:
    """The error for a parameter of ``owner`` with an unusable value.

    The wording follows scikit-learn's own parameter errors, which imbalanced-learn's
    estimator checks match on: keep it.

    Parameters
    ----------
    owner : estimator
        The estimator whose parameter it is.
    name : str
        The parameter's name.
    expected : str
        What it must be.
    value : object
        What it is.

    Returns
    -------
    InvalidParameterError
    """
    return InvalidParameterError(
        f"The {name!r} parameter of {type(owner).__name__} must be {expected}. "
        f"Got {value!r} instead."
    )


def check_params(owner) -> None:
    """Validate the parameters shared by DebiasedClassifier and DebiasSampler.

    Parameters
    ----------
    owner : DebiasedClassifier or DebiasSampler

    Raises
    ------
    InvalidParameterError
        A parameter has an unusable value, or two parameters do not go together.
    """
    synth = owner.synthesizer
    if synth is not None and not all(hasattr(synth, m) for m in ("fit", "debias", "sample")):
        raise bad_param(owner, "synthesizer", "None or an object with fit, debias and sample "
                   "methods, such as CCGMSynthesizer()", synth)
    est = getattr(owner, "estimator", None)
    if est is not None and not all(hasattr(est, m) for m in ("fit", "predict")):
        raise bad_param(owner, "estimator", "None or a classifier with fit and predict", est)
    edges = owner.remove_edges
    if edges is not None and not isinstance(edges, (list, tuple)):
        raise bad_param(owner, "remove_edges", "None or a list of (parent, child) pairs", edges)
    if owner.sensitive is not None and not isinstance(owner.sensitive, str):
        raise bad_param(owner, "sensitive", "None or a column name (str)", owner.sensitive)
    if owner.criterion is not None and owner.criterion not in CRITERIA:
        raise bad_param(owner, "criterion", f"{', '.join(map(repr, CRITERIA))} or None",
                        owner.criterion)
    reuse = owner.noise_reuse
    if reuse is not None and (isinstance(reuse, bool) or not isinstance(reuse, numbers.Real)
                              or not 0 <= reuse <= 1):
        raise bad_param(owner, "noise_reuse", "None or a number in [0, 1]", reuse)
    n = owner.n_synthetic
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise bad_param(owner, "n_synthetic", "None or an integer >= 1", n)
    rs = owner.random_state
    if not (rs is None or isinstance(rs, (np.random.RandomState, np.random.Generator))
            or (isinstance(rs, numbers.Integral) and not isinstance(rs, bool))):
        raise bad_param(owner, "random_state", "None, an int, a numpy Generator or RandomState", rs)
    check_debias_arguments(remove_edges=edges, sensitive=owner.sensitive, target=None,
                           criterion=owner.criterion, noise_reuse=reuse,
                           nothing_removed_ok=True)


def check_nested(owner, params) -> None:
    """A clear error for ``synthesizer__...`` / ``estimator__...`` while that
    sub-estimator is ``None`` (scikit-learn itself fails with an AttributeError).

    Parameters
    ----------
    owner : DebiasedClassifier or DebiasSampler
    params : dict
        The parameters given to ``set_params``.

    Raises
    ------
    InvalidParameterError
        A nested parameter of a sub-estimator that is ``None``.
    """
    for key in params:
        head, sep, _ = key.partition("__")
        if sep and head in ("synthesizer", "estimator") and hasattr(owner, head):
            if params.get(head, getattr(owner, head)) is None:
                example = "CCGMSynthesizer()" if head == "synthesizer" else "a classifier"
                raise InvalidParameterError(
                    f"cannot set {key!r}: {type(owner).__name__}.{head} is None (the "
                    f"default is built only at fit). Pass {head}={example} to tune "
                    f"its parameters."
                )


def seeds(random_state, k: int) -> list[int | None]:
    """``k`` integer seeds from ``random_state`` (a local generator; ``None`` stays
    nondeterministic).

    Parameters
    ----------
    random_state : None, int, numpy Generator or RandomState
    k : int

    Returns
    -------
    list of int or None
    """
    if random_state is None:
        return [None] * k
    if isinstance(random_state, np.random.RandomState):
        return [int(s) for s in random_state.randint(2**31, size=k)]
    return [int(s) for s in np.random.default_rng(random_state).integers(2**31, size=k)]


def seeded_clone(estimator, seed):
    """A clone; its ``random_state`` set to ``seed`` when it has one left at None.

    Parameters
    ----------
    estimator : estimator
    seed : int or None

    Returns
    -------
    estimator
        An unfitted clone.
    """
    est = clone(estimator)
    if seed is not None and "random_state" in est.get_params(deep=False) \
            and est.get_params(deep=False)["random_state"] is None:
        est.set_params(random_state=seed)
    return est


def as_frame(owner, X, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame.  An array, or a frame whose column names are not strings,
    is positional: its columns are named ``x0 .. x{n-1}`` (or the fitted names).

    Parameters
    ----------
    owner : estimator
        Records (``reset=True``) or checks the feature names and count.
    X : DataFrame or array-like of shape (n_samples, n_features)
    reset : bool
        True at fit, False at predict.

    Returns
    -------
    DataFrame
    """
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


def target_name(X: pd.DataFrame, y) -> str:
    """The label's column name in the synthesizer: ``y.name``, or ``"target"``.

    Parameters
    ----------
    X : DataFrame
    y : Series or array-like

    Returns
    -------
    str

    Raises
    ------
    InvalidTypeError
        ``y.name`` is not a string.
    DataValidationError
        ``y.name`` is also a column of ``X``.
    """
    name = y.name if isinstance(y, pd.Series) and y.name is not None else "target"
    if not isinstance(name, str):
        raise InvalidTypeError(
            f"y.name must be a string (the target's column name), got {name!r}.")
    if name in X.columns:
        raise DataValidationError(
            f"the target's name {name!r} is also a column of X; rename y "
            "(y.rename('label')) or drop that column from X."
        )
    return name


def fit_debiased(owner, X: pd.DataFrame, y):
    """Fit the synthesizer on X joined with y and draw de-biased synthetic rows.

    Sets ``synthesizer_``, ``debiased_``, ``target_`` and ``classes_`` on ``owner``.

    Parameters
    ----------
    owner : DebiasedClassifier or DebiasSampler
    X : DataFrame
        The training rows (see :func:`as_frame`).
    y : Series or array-like of shape (n_samples,)
        Class labels.

    Returns
    -------
    X_syn : DataFrame
        The synthetic rows.
    y_syn : ndarray
        Their labels.
    seed : int or None
        A seed for the estimator.

    Raises
    ------
    InvalidParameterError
        See :func:`check_params`.
    DataValidationError
        ``y`` has missing labels, a length other than ``X``'s, or one class only; its
        name is a column of ``X``.
    """
    check_params(owner)
    target, y_arr, classes = check_labels(X, y)
    # The label as a categorical column: modelled with a softmax over the classes.
    data = X.assign(**{target: pd.Categorical(y_arr, categories=classes)})
    synth_seed, sample_seed, est_seed = seeds(owner.random_state, 3)
    base = CCGMSynthesizer() if owner.synthesizer is None else owner.synthesizer
    synth = seeded_clone(base, synth_seed)
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


def check_labels(X: pd.DataFrame, y):
    """The label's column name, its values and its classes, validated.

    Parameters
    ----------
    X : DataFrame
    y : Series or array-like of shape (n_samples,)

    Returns
    -------
    target : str
    y : ndarray
    classes : ndarray

    Raises
    ------
    DataValidationError
        ``y`` has missing labels, a length other than ``X``'s, or one class only; its
        name is a column of ``X``.
    """
    target = target_name(X, y)
    y_arr = column_or_1d(y, warn=True)
    if len(y_arr) != len(X):
        raise DataValidationError(
            f"X has {len(X)} rows but y has {len(y_arr)}; pass one label per row.")
    missing = int(pd.isna(y_arr).sum())
    if missing:
        raise DataValidationError(
            f"y has {missing} missing label{'s' if missing > 1 else ''} (of {len(y_arr)}); "
            "drop those rows from X and y (keep = y.notna(); X, y = X[keep], y[keep]) or "
            "impute the labels first."
        )
    check_classification_targets(y_arr)
    classes = np.unique(y_arr)
    if len(classes) < 2:
        raise DataValidationError(
            f"y holds one class only ({classes.tolist()[0]!r}); a classifier needs at least "
            "2 classes."
        )
    return target, y_arr, classes


def fit_adapted(owner, X: pd.DataFrame, y):
    """Fit a :class:`~debiasgen.FairAdapter` on X and y and adapt the training rows.

    Sets ``adapter_``, ``synthesizer_``, ``target_`` and ``classes_`` on ``owner``
    (a DebiasedClassifier with ``mode="adapt"``).

    Parameters
    ----------
    owner : DebiasedClassifier
    X : DataFrame
    y : Series or array-like of shape (n_samples,)

    Returns
    -------
    X_adapted : DataFrame
    y_train : ndarray
        The adapted labels (``owner.adapt_target``), or ``y``.
    seed : int or None
        A seed for the estimator.
    """
    from debiasgen.fairness.adapter import FairAdapter

    check_params(owner)
    target, y_arr, classes = check_labels(X, y)
    label = pd.Series(pd.Categorical(y_arr, categories=classes), name=target, index=X.index)
    synth_seed, adapt_seed, est_seed = seeds(owner.random_state, 3)
    base = CCGMSynthesizer() if owner.synthesizer is None else owner.synthesizer
    adapter = FairAdapter(seeded_clone(base, synth_seed), sensitive=owner.sensitive,
                          reference=owner.reference, resolving=owner.resolving,
                          criterion=owner.criterion, graph=owner.graph,
                          random_state=adapt_seed).fit(X, label)
    adapted = adapter.transform(X.assign(**{target: label}))
    y_train = (np.asarray(adapted[target].to_numpy(), dtype=classes.dtype)
               if owner.adapt_target else y_arr)
    owner.adapter_, owner.synthesizer_, owner.target_, owner.classes_ = (
        adapter, adapter.model_, target, classes)
    return adapted.drop(columns=[target]), y_train, est_seed


def categories_of(X: pd.DataFrame) -> dict[str, list]:
    """The categories of X's string, object and category columns (not bool).

    Parameters
    ----------
    X : DataFrame

    Returns
    -------
    dict of {str: list}
    """
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


def with_categories(X: pd.DataFrame, categories: dict[str, list]) -> pd.DataFrame:
    """String-like columns as pandas categories with the training categories, so the
    synthetic training rows and real rows share one category coding (values unseen
    in training become missing).

    Parameters
    ----------
    X : DataFrame
    categories : dict of {str: list}
        From :func:`categories_of` on the training rows.

    Returns
    -------
    DataFrame
    """
    if not categories:
        return X
    return X.assign(**{c: pd.Categorical(X[c].where(X[c].isin(cats)), categories=cats)
                       for c, cats in categories.items()})


def estimator_has(attr: str):
    """For ``available_if``: the fitted (or given) estimator has ``attr``.

    Parameters
    ----------
    attr : str

    Returns
    -------
    callable
        ``check(self) -> bool``.
    """

    def check(self) -> bool:
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return self.estimator is None or hasattr(self.estimator, attr)

    return check



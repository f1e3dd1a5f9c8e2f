"""imbalanced-learn integration: :class:`DebiasSampler` (needs ``pip install
'debiasgen[imblearn]'``).

At fit time the sampler replaces the training rows by de-biased synthetic rows, so
in an ``imblearn.pipeline.Pipeline`` the next steps train on them; ``predict``
passes real rows straight through.  This is the only module that imports
imbalanced-learn; importing it without imbalanced-learn raises an ImportError that
names the extra to install.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from debiasgen.integrations._shared import as_frame, check_nested, fit_debiased

try:
    from imblearn.base import BaseSampler
except ImportError as err:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "DebiasSampler needs imbalanced-learn; install it with "
        "pip install 'debiasgen[imblearn]' (or pip install imbalanced-learn)."
    ) from err

__all__ = ["DebiasSampler"]


class DebiasSampler(BaseSampler):
    """Replace the training rows by de-biased synthetic rows (imbalanced-learn).

    ``fit_resample(X, y)`` fits a clone of ``synthesizer`` on ``X`` joined with
    ``y`` under ``graph``, removes causal edges as
    :class:`~debiasgen.DebiasedClassifier` does, and returns ``n_synthetic`` rows
    drawn from the modified model.  In an ``imblearn.pipeline.Pipeline`` this
    happens at fit time only; ``predict`` passes real rows straight to the next
    steps.  With neither ``remove_edges`` nor ``criterion`` the rows are plain
    synthetic data.

    Parameters
    ----------
    synthesizer, graph, remove_edges, sensitive, criterion, noise_reuse, \
n_synthetic, random_state
        As in :class:`~debiasgen.DebiasedClassifier`.

    Attributes
    ----------
    synthesizer_, debiased_, classes_, target_
        As in :class:`~debiasgen.DebiasedClassifier`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` is a DataFrame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from debiasgen import CCGMSynthesizer
    >>> from debiasgen.integrations.sampler import DebiasSampler
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
    # imbalanced-learn reads this table; every parameter is validated by our own
    # check_params (whose messages follow scikit-learn's wording) at fit time.
    _parameter_constraints: dict = dict.fromkeys(
        ["synthesizer", "graph", "remove_edges", "sensitive", "criterion", "noise_reuse",
         "n_synthetic", "random_state"],
        "no_validation",
    )

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

    def fit(self, X, y) -> DebiasSampler:
        """Fit the synthesizer (as :meth:`fit_resample`, discarding the rows).

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
        y : Series or array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError, DataValidationError, GraphError
            As :meth:`fit_resample`.
        """
        self.fit_resample(X, y)
        return self

    def set_params(self, **params) -> DebiasSampler:
        """Set parameters (nested ``synthesizer__...`` needs a synthesizer set).

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
            ``synthesizer__...`` while ``synthesizer`` is None.
        """
        check_nested(self, params)
        return super().set_params(**params)

    def fit_resample(self, X, y) -> tuple[Any, Any]:
        """De-biased synthetic rows and labels.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
        y : Series or array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : DataFrame (ndarray when ``X`` is an array)
            ``X``'s columns, order and dtypes.
        y_resampled : Series named like ``y`` (ndarray when ``y`` is not a Series)

        Raises
        ------
        InvalidParameterError (a ValueError)
            A parameter is invalid (``criterion`` not one of ``"ftu"``, ``"dp"``,
            ``"cf"``, ...).
        DataValidationError (a ValueError)
            ``y`` has missing labels (drop or impute them), one class only, a length
            other than ``X``'s, or a name that is also a column of ``X``.
        GraphError
            The graph does not fit the columns (a ValueError).
        """
        return self._fit_resample(X, y)

    def _fit_resample(self, X, y):
        frame = as_frame(self, X, reset=True)
        X_syn, y_syn, _ = fit_debiased(self, frame, y)
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

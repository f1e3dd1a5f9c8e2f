"""DebiasedClassifier and DebiasSampler: behaviour, scikit-learn / imbalanced-learn
composition, errors."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from debiasgen import CCGMSynthesizer, GraphError
from debiasgen.integrations.classifier import DebiasedClassifier

# Gradient boosting on one OpenMP thread (see conftest.py); torch's own thread count is
# set once for the session by conftest's one_torch_thread.
pytestmark = pytest.mark.usefixtures("one_openmp_thread")

GRAPH = [("s", "y"), ("x", "y")]


def scm(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """s ~ {a, b} (1/2 each), x ~ N(0, 1), y = 1[x + 1.5 [s = a] + e > 0.75], e ~ N(0, 1).

    P(y = 1 | s = a) = Phi(0.75 / sqrt 2) = 0.70 and P(y = 1 | s = b) = 0.30: a gap of 0.40.
    """
    rng = np.random.default_rng(seed)
    s = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    y = (x + 1.5 * (s == "a") + rng.normal(size=n) > 0.75).astype(int)
    return pd.DataFrame({"s": s, "x": x}), pd.Series(y, name="y")


def soft_gap(clf, X: pd.DataFrame) -> float:
    """Mean predicted P(y = 1) for s = a minus that for s = b."""
    p = clf.predict_proba(X)[:, 1]
    a = X["s"].to_numpy() == "a"
    return float(p[a].mean() - p[~a].mean())


def small_clf(**params) -> DebiasedClassifier:
    defaults = dict(
        estimator=HistGradientBoostingClassifier(max_iter=50, categorical_features="from_dtype"),
        synthesizer=CCGMSynthesizer(epochs=10), graph=GRAPH, random_state=0,
    )
    return DebiasedClassifier(**(defaults | params))


N_TRAIN, N_SYNTH, N_EVAL = 2000, 4000, 4000


@pytest.fixture(scope="module")
def fitted(one_openmp_thread):
    X, y = scm(N_TRAIN, 0)
    plain = small_clf(n_synthetic=N_SYNTH).fit(X, y)
    dp = small_clf(n_synthetic=N_SYNTH, sensitive="s", criterion="dp").fit(X, y)
    return X, y, plain, dp


def test_dp_criterion_removes_the_learned_dependence_on_s(fitted):
    X, y, plain, dp = fitted
    X_eval, _ = scm(N_EVAL, 1)
    # Under "dp" the synthetic label is independent of s, so the classifier's gap is
    # noise: a group mean of probabilities over N_EVAL/2 rows has SE <= 0.5/sqrt(N/2),
    # the gap learned from N_SYNTH rows where y is independent of s has SE about
    # 1/sqrt(N_SYNTH); three standard errors of each.
    bound = 3 * (1 / np.sqrt(N_EVAL) + 1 / np.sqrt(N_SYNTH))
    assert abs(soft_gap(dp, X_eval)) < bound
    # Without de-biasing the classifier learns the dependence (true gap 0.40).
    assert soft_gap(plain, X_eval) > 0.2 > 2 * bound
    assert plain.debiased_ is plain.synthesizer_
    assert dp.synthesizer_.removed_edges_ == ()
    assert ("s", "y") in dp.debiased_.removed_edges_


def test_fitted_attributes_and_predictions(fitted):
    X, y, plain, _ = fitted
    assert list(plain.classes_) == [0, 1]
    assert list(plain.feature_names_in_) == ["s", "x"]
    assert plain.n_features_in_ == 2
    assert plain.target_ == "y"
    assert list(plain.synthesizer_.feature_names_in_) == ["s", "x", "y"]
    proba = plain.predict_proba(X.head(50))
    assert proba.shape == (50, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = plain.predict(X.head(50))
    assert set(pred) <= {0, 1}
    np.testing.assert_array_equal(pred, plain.classes_[proba.argmax(axis=1)])
    # accuracy well above the majority rate (about 0.5) on fresh rows
    X_eval, y_eval = scm(2000, 2)
    assert plain.score(X_eval, y_eval) > 0.65


def test_string_labels_unnamed_target_and_reproducibility():
    X, y = scm(400, 3)
    labels = pd.Series(np.where(y == 1, ">50K", "<=50K"))  # unnamed: the target is "target"
    params = dict(synthesizer=CCGMSynthesizer(epochs=3), graph=[("s", "target")],
                  sensitive="s", criterion="ftu", random_state=7)
    a = DebiasedClassifier(**params).fit(X, labels)
    b = DebiasedClassifier(**params).fit(X, labels)
    assert a.target_ == "target"
    assert a.debiased_.removed_edges_ == (("s", "target"),)
    assert list(a.classes_) == ["<=50K", ">50K"]
    assert set(a.predict(X)) <= {"<=50K", ">50K"}
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X))


def test_unseen_category_at_predict_time_is_treated_as_missing(fitted):
    X, _, plain, _ = fitted
    odd = X.head(5).assign(s=["c", "a", "b", "c", "a"])
    assert plain.predict_proba(odd).shape == (5, 2)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (dict(criterion="eo", sensitive="s"), ValueError, "'criterion' parameter .* 'ftu', 'dp'"),
        (dict(sensitive="s"), ValueError, "sensitive='s' is used only with criterion"),
        (dict(criterion="dp"), ValueError, "needs sensitive="),
        (dict(n_synthetic=0), ValueError, "'n_synthetic' parameter .* integer >= 1"),
        (dict(noise_reuse=2.0), ValueError, "'noise_reuse' parameter"),
        (dict(noise_reuse=0.5, sensitive="s", criterion="ftu"), ValueError,
         "noise_reuse=0.5 applies to criterion='dp' only"),
        (dict(remove_edges=[("s", "y")], sensitive="s", criterion="dp"), ValueError,
         "either remove_edges or a criterion preset"),
        (dict(synthesizer="ccgm"), ValueError, "'synthesizer' parameter"),
        (dict(graph=[("s", "income")]), GraphError, "income"),
        (dict(remove_edges=[("x", "s")]), GraphError, "x"),
    ],
)
def test_invalid_settings_raise_clear_errors(params, error, match):
    X, y = scm(60, 4)
    clf = DebiasedClassifier(synthesizer=CCGMSynthesizer(epochs=1), graph=GRAPH)
    with pytest.raises(error, match=match):
        clf.set_params(**params).fit(X, y)


def test_label_name_clash_and_single_class_are_rejected():
    X, y = scm(60, 5)
    clf = DebiasedClassifier(synthesizer=CCGMSynthesizer(epochs=1), graph=GRAPH)
    with pytest.raises(ValueError, match="'x' is also a column of X"):
        clf.fit(X, y.rename("x"))
    with pytest.raises(ValueError, match="one class only"):
        clf.fit(X, y * 0)


def test_clone_and_nested_params():
    clf = small_clf(sensitive="s", criterion="dp")
    params = clf.get_params()
    assert params["synthesizer__epochs"] == 10
    assert params["estimator__max_iter"] == 50
    twin = clone(clf).set_params(synthesizer__epochs=2)
    assert twin.synthesizer.epochs == 2 and clf.synthesizer.epochs == 10


def _drop_id(X: pd.DataFrame) -> pd.DataFrame:
    return X.drop(columns=["id"])


def test_pipeline_cross_val_score_and_grid_search():
    X, y = scm(400, 6)
    X = X.assign(id=np.arange(len(X)))
    clf = small_clf(synthesizer=CCGMSynthesizer(epochs=5, batch_size=64), sensitive="s",
                    criterion="ftu")
    pipe = make_pipeline(FunctionTransformer(_drop_id), clf)
    scores = cross_val_score(pipe, X, y, cv=2)
    # x alone predicts y with accuracy about 0.70 in this SCM; 0.5 is chance
    assert scores.shape == (2,) and np.all((scores > 0.55) & (scores <= 1))
    grid = GridSearchCV(
        pipe, {"debiasedclassifier__synthesizer__epochs": [1, 3],
               "debiasedclassifier__estimator__max_iter": [5]}, cv=2,
    ).fit(X, y)
    assert grid.cv_results_["params"] == [
        {"debiasedclassifier__estimator__max_iter": 5,
         "debiasedclassifier__synthesizer__epochs": e} for e in (1, 3)
    ]
    best = grid.best_estimator_[-1]
    assert best.estimator_.max_iter == 5
    assert best.synthesizer_.epochs == grid.best_params_["debiasedclassifier__synthesizer__epochs"]
    assert grid.predict(X.head(4)).shape == (4,)


def test_without_a_graph_discovery_keeps_the_label_a_sink_and_s_a_root():
    X, y = scm(1500, 10)
    clf = DebiasedClassifier(synthesizer=CCGMSynthesizer(epochs=2), sensitive="s",
                             criterion="dp", random_state=0).fit(X, y)
    graph = clf.synthesizer_.graph_
    assert graph.children("y") == () and graph.parents("s") == ()
    assert ("s", "y") in graph.edges  # a strong direct effect: PC finds it
    assert ("s", "y") in clf.debiased_.removed_edges_


# -- DebiasSampler ---------------------------------------------------------------------
class _Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; remembers what it was fitted on."""

    def fit(self, X, y):
        self.seen_ = (X.copy(), np.asarray(y))
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def test_sampler_in_an_imblearn_pipeline_resamples_at_fit_time_only():
    from imblearn.pipeline import make_pipeline as imb_pipeline

    from debiasgen.integrations.sampler import DebiasSampler

    X, y = scm(500, 8)
    sampler = DebiasSampler(CCGMSynthesizer(epochs=3), graph=GRAPH, sensitive="s",
                            criterion="dp", n_synthetic=3000, random_state=0)
    pipe = imb_pipeline(sampler, _Recorder()).fit(X, y)
    X_seen, y_seen = pipe[-1].seen_
    assert len(X_seen) == 3000 and list(X_seen.columns) == ["s", "x"]
    assert X_seen.dtypes.equals(X.dtypes)
    a = X_seen["s"].to_numpy() == "a"
    gap = y_seen[a].mean() - y_seen[~a].mean()
    # y is independent of s in these rows: the gap between two rates over about 1500
    # rows each has SE <= 0.5 * sqrt(2 / 1500); four SE.  The real gap is 0.40.
    assert abs(gap) < 4 * 0.5 * np.sqrt(2 / 1500)
    assert pipe.predict(X.head(7)).shape == (7,)  # no resampling when predicting
    assert ("s", "y") in pipe[0].debiased_.removed_edges_


def test_sampler_returns_arrays_for_arrays_and_keeps_the_label_name():
    from debiasgen.integrations.sampler import DebiasSampler

    X, y = scm(200, 9)
    sampler = DebiasSampler(CCGMSynthesizer(epochs=1), graph=[], n_synthetic=50,
                            random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert y_res.name == "y" and len(y_res) == 50
    num = np.column_stack([X["x"], (X["s"] == "a")])
    X_arr, y_arr = sampler.fit_resample(num, y.to_numpy())
    assert isinstance(X_arr, np.ndarray) and X_arr.shape == (50, 2)
    assert isinstance(y_arr, np.ndarray) and set(y_arr) <= {0, 1}
    assert sampler.synthesizer_.graph_.nodes == ("x0", "x1", "target")


def test_sampler_passes_imblearn_parameter_checks_and_pickles():
    from imblearn.base import is_sampler
    from imblearn.utils.estimator_checks import check_param_validation

    from debiasgen.integrations.sampler import DebiasSampler

    sampler = DebiasSampler(CCGMSynthesizer(epochs=1), graph=[])
    assert is_sampler(sampler)
    check_param_validation("DebiasSampler", sampler)
    again = pickle.loads(pickle.dumps(sampler))
    assert type(again) is DebiasSampler and again.get_params()["graph"] == []


def test_sampler_without_imblearn_names_the_extra(monkeypatch):
    import debiasgen.integrations.classifier as module

    monkeypatch.delitem(sys.modules, "debiasgen.integrations.sampler", raising=False)
    monkeypatch.setitem(sys.modules, "imblearn", None)
    monkeypatch.setitem(sys.modules, "imblearn.base", None)
    with pytest.raises(ImportError, match=r"debiasgen\[imblearn\]"):
        from debiasgen.integrations.sampler import DebiasSampler  # noqa: F401
    # the classifier does not need imbalanced-learn
    assert module.DebiasedClassifier().get_params()["criterion"] is None


def test_importing_the_module_stays_cheap():
    code = (
        "import sys, debiasgen.integrations.classifier; "
        "print('torch' in sys.modules, 'imblearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_tuning_a_default_sub_estimator_says_what_to_do():
    from debiasgen import CCGMSynthesizer

    with pytest.raises(ValueError, match=r"cannot set 'synthesizer__epochs'.*synthesizer=CCGM"):
        DebiasedClassifier().set_params(synthesizer__epochs=3)
    with pytest.raises(ValueError, match=r"cannot set 'estimator__max_iter'.*a classifier"):
        DebiasedClassifier().set_params(estimator__max_iter=3)
    clf = DebiasedClassifier().set_params(synthesizer=CCGMSynthesizer(), synthesizer__epochs=3)
    assert clf.synthesizer.epochs == 3
    pytest.importorskip("imblearn")
    from debiasgen.integrations.sampler import DebiasSampler

    with pytest.raises(ValueError, match=r"DebiasSampler.synthesizer is None"):
        DebiasSampler().set_params(synthesizer__epochs=3)

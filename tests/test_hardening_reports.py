"""Hardening of the reports and the scikit-learn integration: column kinds that differ
between datasets, estimators without predict_proba, labels with gaps, the 'cf' preset,
matplotlib as an optional extra, and numpydoc sections on every public callable."""

from __future__ import annotations

import inspect
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from debiasgen import CCGMSynthesizer
from debiasgen.evaluation import fidelity, known_truth, plotting, tables
from debiasgen.evaluation.fidelity import FidelityReport, fidelity_report
from debiasgen.evaluation.tables import ColumnKindError
from debiasgen.exceptions import (
    DataValidationError,
    InvalidParameterError,
    InvalidTypeError,
)
from debiasgen.fairness import report as fairness_module
from debiasgen.fairness.report import FairnessReport, fairness_report
from debiasgen.integrations import _shared, classifier, cli
from debiasgen.integrations.classifier import DebiasedClassifier

pytestmark = pytest.mark.usefixtures("one_openmp_thread")


def table(n: int, seed: int) -> pd.DataFrame:
    """s (F/M), k (int 0..4), b (bool), c (u/v/w), x (float), income (<=50K/>50K)."""
    rng = np.random.default_rng(seed)
    s = rng.choice(["F", "M"], n)
    k = rng.integers(0, 5, n)
    b = rng.random(n) < 0.4
    c = rng.choice(["u", "v", "w"], n)
    x = rng.normal(size=n) + 0.5 * k + (c == "u") + b
    y = np.where(x + (s == "M") + rng.normal(size=n) > 2.5, ">50K", "<=50K")
    return pd.DataFrame({"s": s, "k": k, "b": b, "c": c, "x": x, "income": y})


@pytest.fixture(scope="module")
def data(one_openmp_thread):
    return table(500, 0), table(500, 1)


def report_of(train, test, synthetic=None, **kw):
    kw = {"target": "income", "sensitive": "s", **kw}
    return fairness_report(train, test, synthetic, **kw)


# -- 1. column kinds -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "convert", "pattern"),
    [
        ("k", lambda s: s.astype(str), r"column 'k' is numeric in train .* dataset 'syn'"),
        ("c", lambda s: s.map({"u": 0, "v": 1, "w": 2}),
         r"column 'c' is categorical .* in train .* numeric in dataset 'syn'"),
        ("income", lambda s: (s == ">50K").astype(int), r"column 'income' .* dataset 'syn'"),
    ],
)
def test_fairness_report_refuses_a_column_of_another_kind(data, column, convert, pattern):
    train, test = data
    synthetic = train.assign(**{column: convert(train[column])})
    with pytest.raises(DataValidationError, match=pattern) as info:
        report_of(train, test, {"syn": synthetic})
    assert "convert it in dataset 'syn'" in str(info.value)
    assert isinstance(info.value, ColumnKindError)


def test_fairness_report_checks_the_test_rows_too(data):
    train, test = data
    with pytest.raises(DataValidationError, match=r"column 'k' .* dataset 'test'.*convert"):
        report_of(train, test.assign(k=test["k"].astype(str)))


def test_numbers_as_strings_no_longer_change_the_real_rows(data):
    # The bug: k given as strings in one dataset turned k categorical for every
    # dataset, and the real row's demographic parity moved.  Now it is an error, and
    # converting the strings back gives the real row the measurements it has alone.
    train, test = data
    alone = report_of(train, test).metrics.loc["real"]
    text = train.assign(k=train["k"].astype(str))
    with pytest.raises(DataValidationError, match="'k'"):
        report_of(train, test, {"syn": text})
    fixed = text.assign(k=pd.to_numeric(text["k"]))
    together = report_of(train, test, {"syn": fixed}).metrics.loc["real"]
    pd.testing.assert_series_equal(alone, together)


def test_compatible_dtypes_still_work_and_leave_the_real_rows_alone(data):
    train, test = data
    alone = report_of(train, test).metrics.loc["real"]
    compatible = train.assign(
        b=train["b"].astype(int),                               # bool -> 0/1
        k=train["k"].astype("Int64").mask(train.index % 7 == 0),  # nullable, with gaps
        x=train["x"].astype("float32"),
        c=train["c"].astype("category"),                        # object -> category
        s=train["s"].astype("string"),
    )
    rep = report_of(train, test, {"syn": compatible})
    pd.testing.assert_series_equal(alone, rep.metrics.loc["real"])
    assert np.isfinite(rep.metrics.loc["syn"].to_numpy()).all()
    # and the other way round: the real data has the nullable / int columns
    rep = report_of(compatible, test.assign(b=test["b"].astype(int)), {"syn": train})
    assert np.isfinite(rep.metrics.to_numpy()).all()


def _codes(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.cat.codes if isinstance(col.dtype, pd.CategoricalDtype)
                       else col)


def test_real_rows_do_not_depend_on_the_other_datasets(data):
    # An estimator that reads categories by their codes (as many encoders do) must see
    # the same codes for the real rows whatever other datasets are compared: here the
    # test rows hold a category "z" that train lacks, and another dataset holds "q"
    # and "z"; with one category list for all datasets "z" got another code.
    train, test = data
    test = test.assign(c=np.where(test.index % 4 == 0, "z", test["c"]))
    estimator = make_pipeline(FunctionTransformer(_codes), LogisticRegression(max_iter=500))
    alone = report_of(train, test, estimator=estimator)
    other = train.assign(c=np.where(train.index % 3 == 0, "q", train["c"]))
    other.loc[other.index % 7 == 0, "c"] = "z"
    together = report_of(train, test, {"other": other}, estimator=estimator)
    pd.testing.assert_series_equal(alone.metrics.loc["real"], together.metrics.loc["real"])
    pd.testing.assert_frame_equal(alone.by_group.loc[["real"]], together.by_group.loc[["real"]])


def test_fidelity_report_refuses_a_column_of_another_kind(data):
    real, _ = data
    with pytest.raises(DataValidationError, match=r"column 'k' is numeric .* dataset 'syn'.*conv"):
        fidelity_report(real, {"syn": real.assign(k=real["k"].astype(str))}, detection_rows=100)
    with pytest.raises(ColumnKindError, match=r"column 'c' is categorical .* dataset 'syn'"):
        fidelity_report(real, {"syn": real.assign(c=real["c"].map({"u": 1, "v": 2, "w": 3}))},
                        detection_rows=100)


def test_fidelity_report_accepts_compatible_dtypes(data):
    real, _ = data
    same = real.assign(b=real["b"].astype(int), k=real["k"].astype("Int64"),
                       c=real["c"].astype("category"))
    rep = fidelity_report(real, {"same": same, "copy": real}, detection_rows=200)
    # the same values in another dtype are the same marginals and associations
    pd.testing.assert_frame_equal(rep.columns.loc["same"], rep.columns.loc["copy"])
    pd.testing.assert_frame_equal(rep.pairs.loc["same"], rep.pairs.loc["copy"])
    assert (rep.columns.loc["same", "distance"] == 0).all()
    # a bool real column against int rows, and int real rows against bool
    back = fidelity_report(same, {"orig": real}, detection_rows=200)
    assert (back.columns.loc["orig", "distance"] == 0).all()


# -- 2. estimators without predict_proba -----------------------------------------------
class NoFit(ClassifierMixin, BaseEstimator):
    """A classifier that must never be fitted (it has no predict_proba)."""

    def fit(self, X, y):
        raise AssertionError("fitted although it cannot give probabilities")

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


@pytest.mark.parametrize("estimator", [SVC(), NoFit(), make_pipeline(SVC())])
def test_an_estimator_without_predict_proba_is_refused_up_front(data, estimator):
    train, test = data
    with pytest.raises(InvalidParameterError, match=r"estimator .* predict_proba") as info:
        report_of(train, test, estimator=estimator)
    assert "CalibratedClassifierCV" in str(info.value)


def test_a_wrapped_svc_works(data):
    train, test = data
    numeric = ["k", "x"]
    est = CalibratedClassifierCV(SVC(), cv=2)
    rep = report_of(train[[*numeric, "s", "income"]].assign(s=train["s"] == "M"),
                    test[[*numeric, "s", "income"]].assign(s=test["s"] == "M"), estimator=est)
    assert 0.5 < rep.metrics.loc["real", "auroc"] <= 1.0


# -- 3. labels for DebiasedClassifier / DebiasSampler ------------------------------------
GRAPH = [("s", "m"), ("m", "y"), ("s", "y"), ("x", "y")]


def scm(n: int, seed: int):
    rng = np.random.default_rng(seed)
    s = rng.choice(["a", "b"], n)
    m = rng.normal(size=n) + (s == "a")
    x = rng.normal(size=n)
    y = (m + x + (s == "a") + rng.normal(size=n) > 1.0).astype(int)
    return pd.DataFrame({"s": s, "m": m, "x": x}), pd.Series(y, name="y")


def small(**kw):
    kw = {"random_state": 0, **kw}
    return DebiasedClassifier(synthesizer=CCGMSynthesizer(epochs=2), graph=GRAPH, **kw)


def sampler(**kw):
    from debiasgen.integrations.sampler import DebiasSampler

    kw = {"random_state": 0, **kw}
    return DebiasSampler(CCGMSynthesizer(epochs=2), graph=GRAPH, **kw)


@pytest.mark.parametrize("make", [small, sampler])
def test_missing_labels_are_named_not_called_a_regression_target(make, monkeypatch):
    X, y = scm(80, 0)

    def no_fit(*args, **kwargs):
        raise AssertionError("the synthesizer was fitted on labels with gaps")

    monkeypatch.setattr(CCGMSynthesizer, "fit", no_fit)
    gappy = y.astype(float).mask(y.index % 20 == 0)  # 4 gaps
    est = make()
    fit = est.fit_resample if hasattr(est, "fit_resample") else est.fit
    with pytest.raises(DataValidationError, match=r"y has 4 missing labels .* drop .* impute"):
        fit(X, gappy)
    strings = pd.Series(np.where(y == 1, "yes", "no"), name="y").astype(object)
    strings[3] = None
    with pytest.raises(DataValidationError, match="y has 1 missing label "):
        fit(X, strings)
    with pytest.raises(DataValidationError, match="y has 2 missing labels"):
        fit(X, y.astype("Int64").mask(y.index < 2))


@pytest.mark.parametrize("make", [small, sampler])
def test_label_length_and_single_class(make):
    X, y = scm(60, 1)
    est = make()
    fit = est.fit_resample if hasattr(est, "fit_resample") else est.fit
    with pytest.raises(DataValidationError, match="X has 60 rows but y has 59"):
        fit(X, y.iloc[:59])
    with pytest.raises(DataValidationError, match="one class only"):
        fit(X, y * 0)
    with pytest.raises(DataValidationError, match="'x' is also a column of X"):
        fit(X, y.rename("x"))
    with pytest.raises(InvalidTypeError, match="y.name must be a string"):
        fit(X, y.rename(3))


def test_string_labels_with_the_cf_preset():
    X, y = scm(300, 2)
    labels = pd.Series(np.where(y == 1, "yes", "no"), name="y")
    clf = small(sensitive="s", criterion="cf").fit(X, labels)
    # cf: every edge into y from s or a descendant of s, and no decoupling of the roots
    assert set(clf.debiased_.removed_edges_) == {("s", "y"), ("m", "y")}
    assert clf.debiased_.decoupled_ == ()
    assert list(clf.classes_) == ["no", "yes"]
    assert set(clf.predict(X.head(20))) <= {"no", "yes"}


def test_sampler_accepts_the_cf_preset():
    X, y = scm(300, 3)
    s = sampler(sensitive="s", criterion="cf")
    X_res, y_res = s.fit_resample(X, y)
    assert set(s.debiased_.removed_edges_) == {("s", "y"), ("m", "y")}
    assert X_res.shape == X.shape and y_res.name == "y"


# -- 4. parameter errors: our classes, scikit-learn's wording -------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(criterion="eo", sensitive="s"),
         r"The 'criterion' parameter of DebiasedClassifier must be 'ftu', 'dp', 'cf' or "
         r"None\. Got 'eo' instead\."),
        (dict(sensitive="s"), r"sensitive='s' is used only with criterion='ftu', 'dp' or 'cf'"),
        (dict(criterion="cf"), "needs sensitive="),
        (dict(n_synthetic=0), r"The 'n_synthetic' parameter of DebiasedClassifier must be "
                              r"None or an integer >= 1\. Got 0 instead\."),
        (dict(noise_reuse=0.5, sensitive="s", criterion="cf"),
         "noise_reuse=0.5 applies to criterion='dp' only"),
        (dict(remove_edges=[("s", "y")], sensitive="s", criterion="dp"), "either remove_edges"),
        (dict(random_state="seed"), "'random_state' parameter"),
    ],
)
def test_parameter_errors_are_invalid_parameter_errors(params, match):
    X, y = scm(40, 4)
    with pytest.raises(InvalidParameterError, match=match):
        small(**params).fit(X, y)


def test_nested_parameter_errors_are_invalid_parameter_errors():
    with pytest.raises(InvalidParameterError, match="cannot set 'synthesizer__epochs'"):
        DebiasedClassifier().set_params(synthesizer__epochs=2)


def test_one_preset_table():
    from debiasgen.core.presets import CRITERIA

    assert not hasattr(_shared, "CRITERIA") or _shared.CRITERIA is CRITERIA
    assert "cf" in CRITERIA
    action = next(a for a in cli.build_parser()._subparsers._group_actions[0]
                  .choices["debias"]._actions if a.dest == "criterion")
    assert tuple(action.choices) == CRITERIA


# -- 6. matplotlib is optional ----------------------------------------------------------
@pytest.fixture
def no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)


@pytest.fixture(scope="module")
def reports(data):
    train, test = data
    fair = report_of(train, test, {"copy": train})
    fid = fidelity_report(train, {"copy": train}, detection_rows=100)
    return fair, fid


def test_plot_without_matplotlib_names_the_extra(reports, no_matplotlib):
    fair, fid = reports
    with pytest.raises(ImportError, match=r"debiasgen\[plot\]"):
        fair.plot()
    with pytest.raises(ImportError, match=r"debiasgen\[plot\]"):
        fid.plot()


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_save_without_matplotlib_writes_the_text_and_warns(reports, tmp_path, no_matplotlib,
                                                          which, suffix):
    rep = reports[which]
    path = tmp_path / f"report{suffix}"
    with pytest.warns(UserWarning, match=r"debiasgen\[plot\].*without the figure"):
        assert rep.save(path) == path
    text = rep.to_markdown() if suffix == ".md" else rep.to_html()
    assert path.read_text(encoding="utf-8") == text
    assert not path.with_suffix(".png").exists()


@pytest.mark.parametrize("which", [0, 1])
def test_save_with_matplotlib_writes_the_figure(reports, tmp_path, which, close_figures):
    import matplotlib

    matplotlib.use("Agg")
    path = reports[which].save(tmp_path / "r.md")
    assert path.with_suffix(".png").stat().st_size > 1000
    (tmp_path / "r2.png").mkdir()
    assert reports[which].save(tmp_path / "r2.md", figure=False) == tmp_path / "r2.md"


@pytest.mark.parametrize("which", [0, 1])
def test_save_refuses_bad_paths(reports, tmp_path, which):
    rep = reports[which]
    with pytest.raises(InvalidParameterError, match=r"\.md or \.html"):
        rep.save(tmp_path / "r.txt")
    with pytest.raises(InvalidParameterError, match="folder .*does not exist"):
        rep.save(tmp_path / "missing" / "r.md")
    (tmp_path / "d.md").mkdir()
    with pytest.raises(InvalidParameterError, match="is a directory"):
        rep.save(tmp_path / "d.md")


def test_plotting_helper_returns_pyplot():
    import matplotlib.pyplot as plt

    assert plotting.pyplot() is plt


# -- 7. numpydoc sections -------------------------------------------------------------
def _public_callables():
    modules = [fairness_module, fidelity, tables, known_truth, plotting, classifier, _shared,
               cli]
    from debiasgen.integrations import sampler as sampler_module

    modules.append(sampler_module)
    for module in modules:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj) and obj in (FairnessReport, FidelityReport,
                                                  DebiasedClassifier, sampler_module.DebiasSampler):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member) or hasattr(member, "__wrapped__"):
                        yield f"{module.__name__}.{name}.{attr}", inspect.unwrap(member)


@pytest.mark.parametrize("name,func", list(_public_callables()))
def test_public_callables_have_numpydoc_sections(name, func):
    doc = inspect.getdoc(func) or ""
    params = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
    if params:
        assert "Parameters\n----------" in doc, f"{name} lacks Parameters"
    returns_none = inspect.signature(func).return_annotation in (None, "None")
    if not returns_none:
        assert "Returns\n-------" in doc, f"{name} lacks Returns"
    if "raise " in inspect.getsource(func):
        assert "Raises\n------" in doc, f"{name} raises but lacks Raises"

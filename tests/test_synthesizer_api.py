"""API tests of ``CCGMSynthesizer`` on small models.

scikit-learn conventions, dtypes and values of generated data, reproducibility,
input validation, ``debias`` bookkeeping, save/load and soft interventions.  The
models are tiny (a few hundred rows, a few epochs); the facts checked here hold
for any fitted weights, except the missing rate, which gets a longer fit.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
import torch
from sklearn.base import clone

from debiasgen import CCGMSynthesizer, CycleError, DataValidationError, GraphError, NotFittedError
from debiasgen.exceptions import ModelFileError
from debiasgen.nn.network import CausalNetwork

SMALL = dict(epochs=3, hidden_size=16, batch_size=128)
GRAPH = [("s", "f"), ("f", "i")]  # leaves c, o, k, z unmentioned
FAIR_GRAPH = [("s", "m"), ("m", "y"), ("s", "y"), ("a", "y")]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny models run faster on one thread, especially on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def mixed_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.random(n) < 0.5
    return pd.DataFrame({
        "s": s,
        "f": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n) + s),
        "i": rng.integers(0, 50, n),
        "c": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["c", "b", "a", "never"]),
        "o": pd.Series(np.where(rng.random(n) < 0.2, None, rng.choice(["u", "v"], n)),
                       dtype=object),
        "k": np.full(n, 7, dtype=np.int64),
        "z": np.full(n, np.nan),
    })


def fair_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    a = rng.integers(0, 3, n)
    m = rng.normal(size=n) + s
    y = (m + s + a + rng.normal(size=n) > 1.5).astype(np.int64)
    return pd.DataFrame({"s": s, "a": a, "m": m, "y": y})


@pytest.fixture(scope="module")
def data():
    return mixed_frame()


@pytest.fixture(scope="module")
def synth(data):
    return CCGMSynthesizer(**SMALL, random_state=0).fit(data, graph=GRAPH)


@pytest.fixture(scope="module")
def fair():
    return CCGMSynthesizer(**SMALL, random_state=1).fit(fair_frame(), graph=FAIR_GRAPH)


# -- scikit-learn conventions -------------------------------------------------------

FITTED = ["graph_", "encoder_", "network_", "history_", "removed_edges_", "n_features_in_",
          "feature_names_in_"]


def test_clone_is_unfitted_with_same_params(synth):
    c = clone(synth)
    assert c is not synth
    assert c.get_params() == synth.get_params()
    assert not any(hasattr(c, a) for a in FITTED)
    with pytest.raises(NotFittedError, match="not fitted"):
        c.sample(3)


def test_get_params_set_params_round_trip():
    params = CCGMSynthesizer(epochs=7, learning_rate=0.01, unmentioned="roots",
                             random_state=3).get_params()
    other = CCGMSynthesizer()
    assert other.set_params(**params) is other
    assert other.get_params() == params
    assert other.set_params(epochs=9).epochs == 9
    with pytest.raises(ValueError, match="epoch"):
        other.set_params(epoch=9)


def test_auto_batch_size_grows_with_the_rows_within_512_and_1024():
    auto = CCGMSynthesizer()
    assert auto.batch_size == "auto"
    assert [auto._batch_size(n) for n in (100, 16_384, 20_000, 32_768, 10**7)] == [
        512, 512, 625, 1024, 1024]
    assert CCGMSynthesizer(batch_size=64)._batch_size(10**7) == 64


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("epochs", 0, "epochs must be an integer >= 1, got 0"),
        ("epochs", 2.5, "epochs must be an integer"),
        ("batch_size", True, "batch_size must be 'auto' or an integer"),
        ("batch_size", "big",
         r"batch_size must be 'auto' or an integer in \[1, 1,048,576\], got 'big'"),
        ("batch_size", 0, "batch_size must be 'auto' or an integer"),
        ("hidden_size", 0, "hidden_size must be an integer"),
        ("max_bins", 1, "max_bins must be an integer >= 2"),
        ("learning_rate", -1, "learning_rate must be a positive number, got -1"),
        ("learning_rate", "fast", "learning_rate must be a positive number"),
        ("unmentioned", "x", "unmentioned must be 'children' or 'roots', got 'x'"),
        ("validation_fraction", 0.7, r"validation_fraction must be in \[0, 0.5\), got 0.7"),
        ("random_state", "seed", "random_state must be None, an int"),
    ],
)
def test_init_stores_params_unvalidated_and_fit_rejects_them(data, param, value, match):
    est = CCGMSynthesizer(**{param: value})  # no error here (scikit-learn convention)
    assert getattr(est, param) == value
    with pytest.raises((ValueError, TypeError), match=match):
        est.fit(data, graph=GRAPH)
    assert not hasattr(est, "network_")


def test_fit_returns_self_and_sets_fitted_attributes(data):
    est = CCGMSynthesizer(epochs=2, hidden_size=16, random_state=0)
    assert est.fit(data.iloc[:50], graph=GRAPH) is est
    cols = list(data.columns)
    assert est.n_features_in_ == len(cols)
    assert list(est.feature_names_in_) == cols
    assert list(est.graph_.nodes) == cols and list(est.encoder_.columns) == cols
    assert isinstance(est.network_, CausalNetwork)
    assert est.removed_edges_ == ()
    assert 1 <= len(est.history_) <= 2
    assert all(np.isfinite(r["train_loss"]) for r in est.history_)


@pytest.mark.parametrize("method", ["sample", "intervene", "debias", "save"])
def test_methods_before_fit_raise_not_fitted(method, tmp_path):
    assert NotFittedError is sklearn.exceptions.NotFittedError
    est = CCGMSynthesizer()
    call = {
        "sample": lambda: est.sample(3),
        "intervene": lambda: est.intervene({"s": True}, 3),
        "debias": lambda: est.debias([("s", "f")]),
        "save": lambda: est.save(tmp_path / "m.dbg"),
    }[method]
    with pytest.raises(NotFittedError, match="not fitted"):
        call()


# -- generated data -------------------------------------------------------------------


def test_sample_columns_dtypes_and_values(synth, data):
    out = synth.sample(400, random_state=0)
    assert out.shape == (400, data.shape[1])
    assert list(out.columns) == list(data.columns)
    pd.testing.assert_series_equal(out.dtypes, data.dtypes)
    pd.testing.assert_index_equal(out.index, pd.RangeIndex(400))
    for col in ["s", "c", "o"]:
        assert set(out[col].dropna()) <= set(data[col].dropna())
    assert out["c"].dtype == data["c"].dtype  # all four categories, in their order
    for col in ["f", "i"]:
        gen, train = out[col].dropna(), data[col].dropna()
        assert gen.min() >= train.min() and gen.max() <= train.max()
        assert np.isin(gen, train).all()  # numbers are drawn from the training values
    assert (out["i"] == np.round(out["i"])).all()
    assert (out["k"] == 7).all()
    assert out["z"].isna().all()
    assert not out[["s", "i", "c", "k"]].isna().any().any()  # never missing in training


def test_missing_rate_is_learned():
    n_train, n_gen = 1000, 4000
    rng = np.random.default_rng(5)
    s = rng.random(n_train) < 0.5
    f = np.where(rng.random(n_train) < 0.3, np.nan, rng.normal(size=n_train) + s)
    X = pd.DataFrame({"s": s, "f": f, "i": rng.integers(0, 9, n_train)})
    est = CCGMSynthesizer(epochs=40, hidden_size=16, batch_size=128, learning_rate=1e-2,
                          validation_fraction=0.0, random_state=5).fit(X, graph=[("s", "f")])
    rate = est.sample(n_gen, random_state=5)["f"].isna().mean()
    p = X["f"].isna().mean()
    # The model's rate is estimated from n_train rows and measured on n_gen rows: binomial
    # standard errors of both, 5 of them.
    se = np.sqrt(p * (1 - p) * (1 / n_train + 1 / n_gen))
    assert abs(rate - p) < 5 * se


# -- unmentioned columns ----------------------------------------------------------------


def test_unmentioned_children(synth):
    g = synth.graph_
    mentioned, others = ["s", "f", "i"], ["c", "o", "k", "z"]
    assert set(g.parents("f")) == {"s"} and set(g.parents("i")) == {"f"}
    assert g.parents("s") == ()
    for k, col in enumerate(others):
        assert set(g.parents(col)) == set(mentioned + others[:k])
        assert set(g.children(col)) == set(others[k + 1:])


def test_unmentioned_roots(data):
    est = CCGMSynthesizer(epochs=1, hidden_size=16, unmentioned="roots", random_state=0)
    g = est.fit(data.iloc[:60], graph=GRAPH).graph_
    assert set(g.edges) == set(GRAPH)
    assert set(g.roots) == {"s", "c", "o", "k", "z"}
    for col in ["c", "o", "k", "z"]:
        assert g.parents(col) == () and g.children(col) == ()


# -- reproducibility ----------------------------------------------------------------------


def test_same_random_state_same_fit_and_samples(synth, data):
    again = clone(synth).fit(data, graph=GRAPH)
    assert again.history_ == synth.history_
    pd.testing.assert_frame_equal(again.sample(200, random_state=4),
                                  synth.sample(200, random_state=4))
    pd.testing.assert_frame_equal(synth.sample(200, random_state=4),
                                  synth.sample(200, random_state=4))
    pd.testing.assert_frame_equal(again.intervene({"s": True}, 50, random_state=2),
                                  synth.intervene({"s": True}, 50, random_state=2))


def test_different_or_no_random_state_gives_different_samples(synth):
    a, b = synth.sample(200, random_state=1), synth.sample(200, random_state=2)
    assert not a["f"].equals(b["f"])
    c, d = synth.sample(200), synth.sample(200)
    assert not c["f"].equals(d["f"])


def _same_numpy_state(a, b) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def test_global_generators_untouched(data):
    np.random.seed(123)
    torch.manual_seed(123)
    np_state, torch_state = np.random.get_state(), torch.random.get_rng_state()
    for rs in [0, None]:
        est = CCGMSynthesizer(epochs=2, hidden_size=16, random_state=rs).fit(
            data.iloc[:80], graph=GRAPH)
    est.sample(20, random_state=0)
    est.sample(20)
    est.intervene({"f": 1.0}, 20, random_state=0)
    est.intervene({"f": lambda v: v + 1}, 20)
    est.debias([("s", "f")]).sample(20, random_state=0)
    est.debias(criterion="dp", sensitive="s", target="i").sample(20)
    assert _same_numpy_state(np.random.get_state(), np_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "graph, exc, match",
    [
        # no graph: discovery, which needs complete rows (every row here has a gap)
        (None, DataValidationError, "discovery needs at least 10 complete rows; X has 0"),
        ([("s", "nope")], GraphError, r"the graph names \['nope'\], which are not columns"),
        ([("s", "f"), ("f", "s")], CycleError, "directed cycle: (s -> f -> s|f -> s -> f)"),
        ([("f", "f")], GraphError, "self-loop on 'f'"),
    ],
)
def test_fit_graph_errors(data, graph, exc, match):
    with pytest.raises(exc, match=match):
        CCGMSynthesizer(epochs=1).fit(data, graph=graph)


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "3", None])
def test_bad_n(synth, n):
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        synth.sample(n)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        synth.intervene({"f": 1.0}, n)


def test_n_accepts_numpy_integers(synth):
    assert len(synth.sample(np.int64(3))) == 3


@pytest.mark.parametrize(
    "interventions, exc, match",
    [
        ({"nope": 1}, DataValidationError, "cannot intervene on 'nope'"),
        ({"c": "zz"}, DataValidationError, r"column 'c' has values \['zz'\] not seen in training"),
        ({"c": "never"}, DataValidationError, "column 'c' has values \\['never'\\] not seen"),
        ({"i": 1.5}, DataValidationError, "column 'i' holds integers; got a non-integer value"),
        ({"f": "high"}, DataValidationError, "column 'f' is numeric"),
        ({"f": np.nan}, DataValidationError, "cannot set column 'f' to a missing value"),
        ({"f": [1.0, 2.0]}, DataValidationError, "intervention on 'f' must be a single value"),
        ({"z": 1.0}, DataValidationError, "column 'z' had only missing values in training"),
        ([("f", 1.0)], TypeError, "interventions must be a non-empty dict"),
        ({}, TypeError, "interventions must be a non-empty dict"),
        ({"f": lambda v: v[:3]}, DataValidationError,
         r"the callable for 'f' returned shape \(3,\), expected \(10,\)"),
        ({"c": lambda v: np.where(v == "a", "zz", v)}, DataValidationError,
         r"column 'c' has values \['zz'\]"),
    ],
)
def test_intervene_errors(synth, interventions, exc, match):
    with pytest.raises(exc, match=match):
        synth.intervene(interventions, 10, random_state=0)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(remove_edges=[("i", "s")]), GraphError, "cannot remove 'i' -> 's'"),
        (dict(remove_edges=[("s", "nope")]), GraphError, "cannot remove 's' -> 'nope'"),
        (dict(remove_edges=[]), ValueError, "remove_edges is empty"),
        (dict(remove_edges=["sf"]), TypeError, "each edge must be a \\(parent, child\\) pair"),
        (dict(), ValueError, "give remove_edges"),
        (dict(remove_edges=[("s", "f")], criterion="ftu", sensitive="s", target="f"),
         ValueError, "give either remove_edges or a criterion preset, not both"),
        (dict(remove_edges=[("s", "f")], reference={"f": 0.0}), ValueError,
         "reference names 'f', which is not the parent of a removed edge"),
        (dict(remove_edges=[("s", "f")], reference={"s": "yes"}), DataValidationError,
         r"column 's' has values \['yes'\] not seen in training"),
        (dict(criterion="eo", sensitive="s", target="f"), ValueError,
         "criterion must be one of"),
        (dict(criterion="ftu", sensitive="nope", target="f"), ValueError,
         "sensitive='nope' is not a column"),
        (dict(criterion="ftu", sensitive="i", target="s"), GraphError,
         "criterion 'ftu' removes nothing"),
        (dict(criterion="dp", sensitive="f", target="i"), GraphError,
         "criterion 'dp' needs 'f' to be a root"),
    ],
)
def test_debias_errors(synth, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        synth.debias(**kwargs)


def test_debias_twice_is_refused(synth):
    once = synth.debias([("s", "f")])
    with pytest.raises(GraphError, match="already de-biased"):
        once.debias([("f", "i")])


# -- debias ----------------------------------------------------------------------------------


def test_debias_returns_new_object_and_leaves_original(synth):
    before = synth.sample(100, random_state=8)
    new = synth.debias([("s", "f"), ("f", "i")])
    assert new is not synth
    assert synth.removed_edges_ == ()
    assert new.removed_edges_ == (("s", "f"), ("f", "i"))
    pd.testing.assert_frame_equal(synth.sample(100, random_state=8), before)
    assert not new.sample(100, random_state=8).equals(before)


def test_fairness_presets(fair):
    assert set(fair.graph_.edges) == set(FAIR_GRAPH)
    assert fair.graph_.roots == ("s", "a")
    ftu = fair.debias(criterion="ftu", sensitive="s", target="y")
    assert set(ftu.removed_edges_) == {("s", "y")} and len(ftu.removed_edges_) == 1
    dp = fair.debias(criterion="dp", sensitive="s", target="y")
    assert set(dp.removed_edges_) == {("s", "y"), ("m", "y")} and len(dp.removed_edges_) == 2


# -- save / load ----------------------------------------------------------------------------


def _assert_same_outputs(a, b):
    pd.testing.assert_frame_equal(a.sample(150, random_state=11), b.sample(150, random_state=11))
    for do in [{"m": 0.5}, {"s": 1}, {"m": lambda v: v * 2}]:
        pd.testing.assert_frame_equal(a.intervene(do, 150, random_state=12),
                                      b.intervene(do, 150, random_state=12))


@pytest.mark.parametrize(
    "debias",
    [None, dict(criterion="ftu", sensitive="s", target="y"),
     dict(criterion="dp", sensitive="s", target="y"),
     dict(remove_edges=[("s", "y"), ("a", "y")], reference={"s": 1})],
)
def test_save_load_round_trip(fair, tmp_path, debias):
    model = fair if debias is None else fair.debias(**debias)
    model.save(tmp_path / "m.dbg")
    loaded = CCGMSynthesizer.load(tmp_path / "m.dbg")
    assert loaded.get_params() == model.get_params()
    assert loaded.removed_edges_ == model.removed_edges_
    assert loaded.graph_ == model.graph_
    assert loaded.history_ == model.history_
    assert list(loaded.feature_names_in_) == list(model.feature_names_in_)
    _assert_same_outputs(model, loaded)


def test_save_load_mixed_dtypes(synth, data, tmp_path):
    synth.save(tmp_path / "m.dbg")
    loaded = CCGMSynthesizer.load(str(tmp_path / "m.dbg"))
    out = loaded.sample(100, random_state=3)
    pd.testing.assert_frame_equal(out, synth.sample(100, random_state=3))
    pd.testing.assert_series_equal(out.dtypes, data.dtypes)


class _Payload:
    """Unpickling this runs ``os.mkdir(path)``: a harmless stand-in for arbitrary code."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_load_does_not_unpickle_arbitrary_objects(tmp_path):
    canary = str(tmp_path / "executed")
    path = tmp_path / "evil.dbg"
    torch.save({"format": "debiasgen-ccgm", "meta": _Payload(canary)}, path)
    with pytest.raises(ModelFileError, match="not a debiasgen model file"):
        CCGMSynthesizer.load(path)
    assert not os.path.exists(canary)
    torch.load(path, weights_only=False)  # the payload is live: a full unpickle runs it
    assert os.path.exists(canary)


def test_load_rejects_other_files(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a debiasgen model file"):
        CCGMSynthesizer.load(tmp_path / "other.pt")


# -- soft interventions ----------------------------------------------------------------------


def test_constant_callable_equals_hard_intervention(synth):
    hard = synth.intervene({"f": 2.0}, 200, random_state=6)
    soft = synth.intervene({"f": lambda v: np.full_like(v, 2.0)}, 200, random_state=6)
    pd.testing.assert_frame_equal(soft, hard)
    assert (hard["f"] == 2.0).all()
    scalar = synth.intervene({"c": lambda v: "b"}, 200, random_state=6)
    pd.testing.assert_frame_equal(scalar, synth.intervene({"c": "b"}, 200, random_state=6))


def test_callable_sees_pre_intervention_values(synth):
    """The callable gets the values the column would have had; its ancestors are kept."""
    obs = synth.sample(300, random_state=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch's warning on a read-only numpy array
        shifted = synth.intervene({"f": lambda v: v + 1}, 300, random_state=9)
    np.testing.assert_array_equal(shifted["f"].to_numpy(), obs["f"].to_numpy() + 1)
    pd.testing.assert_series_equal(shifted["s"], obs["s"])
    swap = {"a": "b", "b": "a", "c": "c"}
    mapped = synth.intervene({"c": lambda v: np.array([swap[x] for x in v], dtype=object)},
                             300, random_state=9)
    assert list(mapped["c"]) == [swap[x] for x in obs["c"]]
    assert mapped["c"].dtype == obs["c"].dtype
    pd.testing.assert_frame_equal(mapped[["s", "f", "i"]], obs[["s", "f", "i"]])


def test_import_debiasgen_is_cheap():
    # torch, fairlearn, causal-learn and matplotlib load only when used
    import subprocess
    import sys

    heavy = ("torch", "fairlearn", "causallearn", "matplotlib")
    code = f"import sys, debiasgen; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"

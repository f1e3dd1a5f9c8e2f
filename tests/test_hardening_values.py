"""Hostile values: every one gives a clear error naming the column, or a correct result.

Each test pins one case of the hostile-input review ("One house for the next year",
hardening, values): numbers at the edge of float64, integers beyond what float64 or the
column's dtype holds, values that are not real numbers, categories of mixed types,
container cells, unsupported dtypes, and dtypes that must survive save/load.
"""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from debiasgen import CCGMSynthesizer
from debiasgen.core.encoding import TabularEncoder, astype_like, scalar_to_json, validate_frame
from debiasgen.exceptions import DataValidationError, InvalidTypeError
from debiasgen.nn.model import _interp

SMALL = dict(epochs=2, hidden_size=16, batch_size=128)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- 1. numbers at the edge of float64 -------------------------------------------------


def test_interp_matches_numpy_and_survives_knots_wider_than_float64():
    knots = torch.tensor([-3.0, -1.0, 0.5, 2.0], dtype=torch.float64)
    scores = torch.tensor([-1.0, -0.3, 0.2, 1.1], dtype=torch.float64)
    x = torch.tensor([-5.0, -3.0, -2.0, 0.0, 1.0, 2.0, 9.0], dtype=torch.float64)
    want = np.interp(x.numpy(), knots.numpy(), scores.numpy())
    np.testing.assert_allclose(_interp(x, knots, scores).numpy(), want, rtol=0, atol=1e-15)
    # knots 2e308 apart: x1 - x0 overflows to inf (and x - x0 with it), which gave NaN
    knots = torch.tensor([-1e308, 1e308], dtype=torch.float64)
    scores = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    x = torch.tensor([-1e308, -5e307, 0.0, 5e307, 1e308, 1.7e308], dtype=torch.float64)
    got = _interp(x, knots, scores).numpy()
    np.testing.assert_allclose(got, [-1.0, -0.5, 0.0, 0.5, 1.0, 1.0], rtol=0, atol=1e-12)


def test_fit_on_a_column_spanning_float64_is_finite():
    rng = np.random.default_rng(0)
    n = 300
    x = np.where(rng.random(n) < 0.5, -1e308, 1e308)
    df = pd.DataFrame({"x": x, "y": (x > 0) + rng.normal(size=n)})
    synth = CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=[("x", "y")])
    assert all(np.isfinite(h["train_loss"]) and np.isfinite(h["val_loss"])
               for h in synth.history_)
    out = synth.sample(200, random_state=0)
    assert set(out["x"]) <= {-1e308, 1e308} and np.isfinite(out["y"]).all()
    cf = synth.counterfactual(df.head(20), {"x": 1e308}, random_state=0)
    assert (cf["x"] == 1e308).all() and np.isfinite(cf["y"]).all()


# -- 2. integers the column cannot hold -----------------------------------------------


@pytest.fixture(scope="module")
def synth():
    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({
        "x": rng.integers(0, 50, n),
        "u8": rng.integers(0, 200, n).astype("uint8"),
        "i8": rng.integers(-100, 100, n).astype("int8"),
        "ni": pd.array(rng.integers(0, 9, n), dtype="Int16"),
        "f32": rng.normal(size=n).astype("float32"),
        "f16": rng.normal(size=n).astype("float16"),
        "b": rng.random(n) < 0.5,
        "c": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        "o": pd.Series(rng.choice([0, 1, 2], n), dtype=object),
        "f": rng.normal(size=n),
    })
    parents = ["x", "u8", "i8", "ni", "f32", "f16", "b", "c", "o"]
    return CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=[(p, "f") for p in parents])


BAD_INTS = [
    ("x", 1e308, "beyond 2\\*\\*53"),
    ("x", 2**63, "beyond 2\\*\\*53"),
    ("x", -(2**70), "beyond 2\\*\\*53"),
    ("x", 2.0**70, "beyond 2\\*\\*53"),
    ("x", 2**53 + 1, "beyond 2\\*\\*53"),
    ("x", np.uint64(2**63), "beyond 2\\*\\*53"),
    ("x", 1.5, "non-integer value"),
    ("u8", 300, "uint8 integers, from 0 to 255"),
    ("u8", -1, "uint8 integers, from 0 to 255"),
    ("i8", 200, "int8 integers, from -128 to 127"),
    ("i8", -129, "int8 integers, from -128 to 127"),
    ("ni", 40_000, "int16 integers"),
    ("f32", 1e39, "float32 numbers"),
    ("f16", 70_000.0, "float16 numbers"),
]


@pytest.mark.parametrize("column, value, match", BAD_INTS)
def test_intervene_refuses_numbers_the_column_cannot_hold(synth, column, value, match):
    with pytest.raises(DataValidationError, match=f"column '{column}'.*{match}"):
        synth.intervene({column: value}, 5, random_state=0)


@pytest.mark.parametrize("column, value, match", BAD_INTS)
def test_soft_intervention_refuses_numbers_the_column_cannot_hold(synth, column, value, match):
    with pytest.raises(DataValidationError, match=f"column '{column}'.*{match}"):
        synth.intervene({column: lambda v: [value] * len(v)}, 5, random_state=0)


@pytest.mark.parametrize("column, value, match", BAD_INTS[:7])
def test_reference_and_counterfactual_refuse_them_too(synth, column, value, match):
    with pytest.raises(DataValidationError, match=f"column '{column}'.*{match}"):
        synth.debias(remove_edges=[(column, "f")], reference={column: value})
    rows = synth.sample(5, random_state=0)
    with pytest.raises(DataValidationError, match=f"column '{column}'.*{match}"):
        synth.counterfactual(rows, {column: value}, random_state=0)


def test_counterfactual_rows_beyond_the_training_dtype_are_refused(synth):
    rows = synth.sample(5, random_state=0)
    rows["u8"] = rows["u8"].astype("int64")
    rows.loc[rows.index[0], "u8"] = 300  # uint8 would wrap it to 44
    with pytest.raises(DataValidationError, match="column 'u8' holds uint8 integers"):
        synth.counterfactual(rows, {"x": 3}, random_state=0)


@pytest.mark.parametrize("value", [2**53, -(2**53), np.int64(2**53), 2.0**53, 7, 7.0])
def test_integers_up_to_2_53_are_exact(synth, value):
    out = synth.intervene({"x": value}, 5, random_state=0)
    assert out["x"].dtype == np.int64 and (out["x"] == int(value)).all()


def test_in_range_values_of_narrow_dtypes_keep_their_dtype(synth):
    out = synth.intervene({"u8": 255, "i8": -128, "f32": 1e38, "ni": 30_000}, 5, random_state=0)
    assert (out["u8"] == 255).all() and (out["i8"] == -128).all() and (out["ni"] == 30_000).all()
    assert np.isfinite(out["f32"]).all() and out["u8"].dtype == np.uint8


@pytest.mark.parametrize("value", [1, 1.0, 0, np.int64(1), "True"])
def test_a_bool_column_takes_booleans_only(synth, value):
    with pytest.raises(DataValidationError, match="column 'b' has values"):
        synth.intervene({"b": value}, 5, random_state=0)


@pytest.mark.parametrize("value", [True, np.True_, np.array(True)])
def test_a_bool_column_takes_booleans(synth, value):
    out = synth.intervene({"b": value}, 5, random_state=0)
    assert out["b"].dtype == bool and out["b"].all()


def test_a_number_category_is_not_a_boolean(synth):
    # object column of ints 0/1/2: True == 1 in Python, but True is not the category 1
    with pytest.raises(DataValidationError, match="True is not 1"):
        synth.intervene({"o": True}, 5, random_state=0)
    out = synth.intervene({"o": 1}, 5, random_state=0)
    assert [type(v) for v in out["o"]] == [type(synth.encoder_.layout_[8].categories[1])] * 5


# -- 3. values that are not real numbers ------------------------------------------------


NOT_REAL = [1 + 2j, np.complex128(1), pd.Timestamp("2020-01-01"), np.datetime64("2020-01-01"),
            pd.Timedelta(1), np.timedelta64(3, "D"), datetime.date(2020, 1, 1), b"1", "1.5", "3",
            pd.Period("2020"), pd.Interval(0, 1), {"a": 1}, {1}, (1,)]


@pytest.mark.parametrize("column", ["x", "f"])
@pytest.mark.parametrize("value", NOT_REAL, ids=repr)
def test_numeric_columns_refuse_values_that_are_not_real_numbers(synth, column, value):
    with pytest.raises(DataValidationError, match=f"'{column}'"):
        synth.intervene({column: value}, 5, random_state=0)
    with pytest.raises(DataValidationError, match="'x'"):
        synth.debias(remove_edges=[("x", "f")], reference={"x": value})


@pytest.mark.parametrize(
    "func",
    [lambda v: v + 1j, lambda v: np.full(len(v), np.datetime64("2020-01-01")),
     lambda v: v.astype(str), lambda v: [pd.Timestamp("2020")] * len(v)],
)
def test_soft_interventions_refuse_values_that_are_not_real_numbers(synth, func):
    with pytest.raises(DataValidationError, match="column 'f' is numeric"):
        synth.intervene({"f": func}, 5, random_state=0)


@pytest.mark.parametrize("value", [True, np.float32(0.5), decimal.Decimal("0.5"), np.int8(3)])
def test_numeric_columns_take_real_numbers_of_any_type(synth, value):
    out = synth.intervene({"f": value}, 5, random_state=0)
    assert (out["f"] == float(value)).all()


# -- 4. a counterfactual category the input's dtype lacks --------------------------------


def test_astype_like_extends_categories_and_never_loses_values():
    frame = pd.DataFrame({
        "c": pd.Categorical(["c", "a", "b"], categories=["a", "b", "c"]),
        "b": pd.Series([True, np.nan, False], dtype=object),
        "i": [1.5, 2.0, 3.0],
        "k": [1.0, 2.0, 3.0],
    })
    dtypes = pd.Series({"c": pd.CategoricalDtype(["b", "a"], ordered=True),
                        "b": np.dtype(bool), "i": np.dtype("int64"), "k": np.dtype("int64")})
    out = astype_like(frame, dtypes)
    assert out["c"].tolist() == ["c", "a", "b"]
    assert list(out["c"].cat.categories) == ["b", "a", "c"] and out["c"].cat.ordered
    assert out["b"].dtype == object and out["b"].isna().tolist() == [False, True, False]
    assert out["i"].tolist() == [1.5, 2.0, 3.0]  # int64 would truncate: kept as float
    assert out["k"].dtype == np.int64 and out["k"].tolist() == [1, 2, 3]


def test_counterfactual_to_a_category_the_input_dtype_lacks():
    rng = np.random.default_rng(0)
    n = 300
    c = rng.choice(["a", "b", "c"], n)
    df = pd.DataFrame({"c": pd.Categorical(c), "y": (c == "a") + rng.normal(size=n)})
    synth = CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=[("c", "y")])
    rows = df[df["c"] != "c"].head(4).copy()
    rows["c"] = rows["c"].astype(str).astype("category")  # categories a and b only
    out = synth.counterfactual(rows, {"c": "c"}, random_state=0)
    assert out["c"].tolist() == ["c"] * 4


# -- 5. categories equal under Python equality but of different types --------------------


@pytest.mark.parametrize(
    "cells",
    [[True, 1, "1", 1.0], [1, 1.0, 2], [True, 1.0], [False, 0, "a"], [np.True_, np.int64(1)],
     [0.0, False, np.nan]],
    ids=repr,
)
def test_equal_values_of_different_types_are_refused(cells):
    X = pd.DataFrame({"mixed col": pd.Series(cells * 3, dtype=object)})
    with pytest.raises(DataValidationError, match="column 'mixed col' holds values that are "
                                                  "equal but of different types"):
        validate_frame(X)
    with pytest.raises(DataValidationError, match="astype\\(str\\)"):
        CCGMSynthesizer(**SMALL).fit(X)


def _kind(v):
    if isinstance(v, np.generic):
        v = v.item()
    return type(v), v


POOL = [True, False, 0, 2, 1.0, 2.5, np.int64(2), np.float64(2.5), "1", "True", "a", None,
        np.nan]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(POOL), min_size=1, max_size=12))
def test_mixed_object_round_trip_is_exact_or_refused(cells):
    X = pd.DataFrame({"m": pd.Series(cells, dtype=object)})
    if X["m"].isna().all():
        X = pd.concat([X, pd.DataFrame({"m": ["a"]}, dtype=object)], ignore_index=True)
    try:
        enc = TabularEncoder().fit(X)
    except DataValidationError as err:
        assert "column 'm'" in str(err)
        return
    back = enc.decode(*enc.encode(X))["m"]
    assert back.dtype == X["m"].dtype
    missing = X["m"].isna().to_numpy()
    assert back.isna().to_numpy().tolist() == missing.tolist()
    assert [_kind(v) for v in back[~missing]] == [_kind(v) for v in X["m"][~missing]]


def test_mixed_numbers_and_strings_survive_fit_save_load(tmp_path):
    rng = np.random.default_rng(1)
    n = 120
    m = pd.Series(rng.choice(np.array([1, "1", 2.5, "b", False], dtype=object), n), dtype=object)
    m[::7] = None
    df = pd.DataFrame({"m": m, "y": rng.normal(size=n)})
    synth = CCGMSynthesizer(**SMALL, random_state=0).fit(df, graph=[("m", "y")])
    synth.save(tmp_path / "m.dbg")
    again = CCGMSynthesizer.load(tmp_path / "m.dbg")
    for model in (synth, again):
        out = model.sample(300, random_state=0)
        kinds = {_kind(v) for v in out["m"].dropna()}
        assert kinds <= {(int, 1), (str, "1"), (float, 2.5), (str, "b"), (bool, False)}
        assert out["m"].isna().any() and out["m"].dtype == object
    rows = df.head(10)
    same = again.counterfactual(rows, {"m": lambda v: v}, random_state=0)
    pd.testing.assert_frame_equal(same, rows)


# -- 6. container cells -------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, type_name",
    [([1, 2], "list"), ({"a": 1}, "dict"), ({1, 2}, "set"), ((1, 2), "tuple"),
     (frozenset({1}), "frozenset"), (np.arange(2), "ndarray")],
)
def test_container_cells_are_refused(cell, type_name):
    cells = pd.Series(["x", None, "y"], dtype=object)
    cells[1] = cell
    X = pd.DataFrame({"bag": cells, "v": [1.0, 2.0, 3.0]})
    match = f"column 'bag' holds {type_name} cells.*convert them to strings first"
    with pytest.raises(DataValidationError, match=match):
        validate_frame(X)
    with pytest.raises(DataValidationError, match=match):
        CCGMSynthesizer(**SMALL).fit(X)


def _cells(value, n):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = value
    return out


def test_a_container_value_for_a_categorical_column_is_a_clear_error(synth):
    rows = synth.sample(3, random_state=0)
    for bad in ([1], {"a": 1}):
        with pytest.raises(DataValidationError, match="'c'"):
            synth.intervene({"c": bad}, 3)
        with pytest.raises(DataValidationError, match="column 'c' has values"):
            synth.intervene({"c": lambda v, bad=bad: _cells(bad, len(v))}, 3)
        with pytest.raises(DataValidationError, match="column 'c' has values"):
            synth.encoder_.encode_column(synth.encoder_.layout_[7],
                                         pd.Series([bad] * 3, dtype=object))
    with pytest.raises(DataValidationError, match="column 'c' holds list cells"):
        synth.counterfactual(rows.assign(c=[[1]] * 3), {"x": 1}, random_state=0)


# -- 7. unsupported dtypes and odd cells ---------------------------------------------------


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.date_range("2020", periods=3), "unsupported dtype datetime64.*\\.dt\\.days"),
        (pd.date_range("2020", periods=3, tz="UTC"), "unsupported dtype datetime64.*UTC"),
        (pd.to_timedelta([1, 2, 3], unit="D"), "unsupported dtype timedelta64.*total_seconds"),
        (pd.period_range("2020", periods=3, freq="M"), "unsupported dtype period.*astype"),
        (pd.arrays.IntervalArray.from_breaks([0, 1, 2, 3]), "unsupported dtype interval.*mid"),
        (np.array([1 + 2j, 2, 3]), "unsupported dtype complex.*\\.real"),
    ],
)
def test_unsupported_dtypes_say_how_to_convert(column, match):
    X = pd.DataFrame({"odd": column, "v": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidTypeError, match=f"column 'odd' has {match}"):
        validate_frame(X)
    with pytest.raises(InvalidTypeError, match="column 'odd'"):
        CCGMSynthesizer(**SMALL).fit(X)


@pytest.mark.parametrize(
    "cells, match",
    [
        ([b"a", b"b", b"a"], "holds bytes cells.*decode"),
        ([datetime.date(2020, 1, 1)] * 3, "holds date cells"),
        ([pd.Timestamp("2020")] * 3, "holds Timestamp cells"),
        ([decimal.Decimal(1)] * 3, "holds Decimal cells"),
        ([1 + 1j, "a", "b"], "holds complex cells"),
        (pd.cut([1, 2, 3], 2), "holds Interval categories"),
    ],
)
def test_cells_a_model_file_cannot_store_are_refused(cells, match):
    X = pd.DataFrame({"odd": pd.Series(cells, dtype=None if isinstance(cells, pd.Categorical)
                                       else object)})
    with pytest.raises(DataValidationError, match=f"column 'odd' {match}"):
        validate_frame(X)


def test_missing_markers_stay_missing_and_strings_keep_their_dtype():
    X = pd.DataFrame({
        "o": pd.Series(["a", None, pd.NA, np.nan, "b", "a"], dtype=object),
        "s": pd.Series(["a", None, pd.NA, np.nan, "b", "a"], dtype="string"),
        "bo": pd.Series([True, None, False, True, pd.NA, False], dtype=object),
    })
    enc = TabularEncoder().fit(X)
    back = enc.decode(*enc.encode(X))
    for name in X.columns:
        assert back[name].dtype == X[name].dtype
        assert back[name].isna().tolist() == X[name].isna().tolist()
        assert back[name].dropna().tolist() == X[name].dropna().tolist()
    assert [type(v) for v in back["bo"].dropna()] == [bool] * 4


def test_scalar_to_json_raises_our_type_error():
    with pytest.raises(InvalidTypeError, match="cannot be saved"):
        scalar_to_json(b"x")


# -- 8. string dtypes survive save/load -----------------------------------------------------


def test_string_dtypes_survive_save_and_load(tmp_path):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(2)
    n = 150
    words = rng.choice(["p", "q", "r"], n)
    df = pd.DataFrame({
        "arrow": pd.Series(words, dtype="string[pyarrow]"),
        "python": pd.Series(words, dtype="string[python]"),
        "default": pd.Series(list(words)),  # pandas >= 3: the str dtype (NaN as missing)
        "y": rng.normal(size=n),
    })
    synth = CCGMSynthesizer(**SMALL, random_state=0).fit(
        df, graph=[("arrow", "y"), ("python", "y"), ("default", "y")])
    synth.save(tmp_path / "s.dbg")
    again = CCGMSynthesizer.load(tmp_path / "s.dbg")
    for model in (synth, again):
        out = model.sample(50, random_state=0)
        assert out.dtypes.to_dict() == df.dtypes.to_dict()
        assert str(out["arrow"].dtype.storage) == "pyarrow"
        assert out["python"].dtype.storage == "python"
    pd.testing.assert_frame_equal(again.sample(50, random_state=3),
                                  synth.sample(50, random_state=3))

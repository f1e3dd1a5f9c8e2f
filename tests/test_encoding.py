"""Tests for ``debiasgen.core.encoding``: TabularEncoder and validate_frame.

The round trip ``decode(*encode(X))`` is checked property-based over dtypes,
missing values and odd column names; the binning facts are checked on small
columns whose bins can be worked out by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debiasgen.core.encoding import TabularEncoder, validate_frame
from debiasgen.exceptions import DataValidationError

# -- strategies -------------------------------------------------------------------

ODD_NAMES = ["", " ", "0", "1", "-1", "1.5", "1e3", "nan", "None", "a b", "x.y", "[0]",
             "col,1", "\t", "ä€😀", "名前", "__index__", "'q'", '"dq"']
NAMES = st.one_of(st.sampled_from(ODD_NAMES), st.text(max_size=5))
KINDS = ["float", "int", "bool", "boolean", "category", "object", "string", "str"]
LABELS = st.sampled_from(["a", "b", "", " x", "ä", "1", "None"])
MAYBE = st.none()  # a missing value, written the way each dtype accepts it


def _column(draw, kind: str, n: int) -> pd.Series:
    if kind == "float":
        floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
        vals = draw(st.lists(st.one_of(floats, st.just(np.nan)), min_size=n, max_size=n))
        return pd.Series(vals, dtype="float64")
    if kind == "int":
        ints = st.integers(-(2**53), 2**53)
        return pd.Series(draw(st.lists(ints, min_size=n, max_size=n)), dtype="int64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype="bool")
    if kind == "boolean":
        vals = draw(st.lists(st.one_of(st.booleans(), MAYBE), min_size=n, max_size=n))
        return pd.Series(vals, dtype="boolean")
    if kind == "category":
        vals = draw(st.lists(st.one_of(LABELS, MAYBE), min_size=n, max_size=n))
        # categories include one never observed, in a drawn order
        cats = draw(st.permutations(sorted({v for v in vals if v is not None} | {"unused"})))
        return pd.Series(pd.Categorical(vals, categories=cats, ordered=draw(st.booleans())))
    texts = st.one_of(LABELS, st.text(max_size=4))
    vals = draw(st.lists(st.one_of(texts, MAYBE), min_size=n, max_size=n))
    dtype = {"object": object, "string": "string", "str": "str"}[kind]
    return pd.Series(vals, dtype=dtype)


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 10))
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    return pd.DataFrame({name: _column(draw, draw(st.sampled_from(KINDS)), n) for name in names})


def _check_bins(spec) -> None:
    """The bins of a numeric column partition its sorted values into non-empty slices."""
    n_bins = len(spec.bin_start)
    assert n_bins == spec.n_classes - spec.has_missing == len(spec.cuts) + (len(spec.values) > 0)
    assert np.all(np.diff(spec.values) >= 0)
    if n_bins:
        assert spec.bin_start[0] == 0 and spec.bin_end[-1] == len(spec.values)
        np.testing.assert_array_equal(spec.bin_start[1:], spec.bin_end[:-1])
        assert np.all(spec.bin_end > spec.bin_start)  # a bin is decoded by drawing from it


def _check_codes_in_bins(spec, codes: np.ndarray, values: np.ndarray) -> None:
    """Every non-missing value lies in the slice of training values of its bin."""
    for code, v in zip(codes, values):
        if np.isnan(v):
            continue
        assert v in spec.values[spec.bin_start[code]:spec.bin_end[code]]


# -- round trip -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(X=frames(), max_bins=st.integers(2, 6))
def test_round_trip_reproduces_values_order_and_dtypes(X, max_bins):
    enc = TabularEncoder(max_bins=max_bins).fit(X)
    codes, values = enc.encode(X)
    out = enc.decode(codes, values)

    assert list(out.columns) == list(X.columns)
    expected = X.copy()
    for name in X.columns:
        if X[name].dtype == object:
            # decode writes a missing entry as the dtype's NA value, which for an object
            # column is NaN; None and NaN both mean "missing" to pandas (isna), so the
            # encoder neither can nor needs to tell them apart.
            expected[name] = X[name].where(X[name].notna(), np.nan)
    pd.testing.assert_frame_equal(out, expected, check_dtype=True, check_exact=True)

    for j, spec in enumerate(enc.layout_):
        missing = X[spec.name].isna().to_numpy()
        assert spec.name == X.columns[j]
        assert spec.has_missing == missing.any()
        assert np.all((codes[:, j] >= 0) & (codes[:, j] < spec.n_classes))
        np.testing.assert_array_equal(codes[:, j] == spec.missing_code, missing)
        if spec.kind == "numeric":
            _check_bins(spec)
            _check_codes_in_bins(spec, codes[:, j], values[:, j])
        else:
            assert np.isnan(values[:, j]).all()


@settings(max_examples=60, deadline=None)
@given(
    vals=st.lists(st.one_of(st.sampled_from([0.0, 1.0, -3.5]), st.floats(-1e6, 1e6)),
                  min_size=1, max_size=40),
    max_bins=st.integers(2, 8),
)
def test_numeric_bins_partition_values_and_isolate_spikes(vals, max_bins):
    X = pd.DataFrame({"x": vals})
    enc = TabularEncoder(max_bins=max_bins).fit(X)
    spec = enc.layout_[0]
    _check_bins(spec)
    codes, values = enc.encode(X)
    _check_codes_in_bins(spec, codes[:, 0], values[:, 0])
    uniq, counts = np.unique(vals, return_counts=True)
    bins = [spec.values[a:b] for a, b in zip(spec.bin_start, spec.bin_end)]
    if len(uniq) <= max_bins:
        assert [np.unique(b).tolist() for b in bins] == [[u] for u in uniq]
    for u in uniq[counts > len(vals) / max_bins]:  # a heavy value has a bin of its own
        assert any(np.all(b == u) and len(b) == np.sum(np.asarray(vals) == u) for b in bins)


# -- binning facts ----------------------------------------------------------------


def _bins(spec) -> list[np.ndarray]:
    return [spec.values[a:b] for a, b in zip(spec.bin_start, spec.bin_end)]


@pytest.mark.parametrize("n_distinct", [1, 5, 8])
def test_few_distinct_values_get_one_bin_each(n_distinct):
    rng = np.random.default_rng(n_distinct)
    levels = rng.normal(size=n_distinct) * 100
    X = pd.DataFrame({"x": rng.choice(levels, 200), "n": rng.choice(np.arange(n_distinct), 200)})
    enc = TabularEncoder(max_bins=8).fit(X)
    for spec, col in zip(enc.layout_, ["x", "n"]):
        uniq = np.unique(X[col])
        assert spec.n_classes == len(uniq)
        assert [np.unique(b).tolist() for b in _bins(spec)] == [[u] for u in uniq]


def test_more_distinct_values_than_bins_are_grouped():
    X = pd.DataFrame({"x": np.arange(9.0)})
    spec = TabularEncoder(max_bins=8).fit(X).layout_[0]
    assert spec.n_classes < 9


@pytest.mark.parametrize("rest", ["two-sided", "positive"])
def test_spike_gets_a_bin_holding_only_the_spike(rest):
    rng = np.random.default_rng(1)
    n = 1000
    x = np.zeros(n)
    tail = rng.normal(size=n // 10) if rest == "two-sided" else rng.exponential(size=n // 10)
    x[: n // 10] = tail
    enc = TabularEncoder(max_bins=10).fit(pd.DataFrame({"gain": x}))
    spec = enc.layout_[0]
    zero_bins = [b for b in _bins(spec) if np.any(b == 0.0)]
    assert len(zero_bins) == 1
    assert np.all(zero_bins[0] == 0.0) and len(zero_bins[0]) == np.sum(x == 0.0)
    codes, values = enc.encode(pd.DataFrame({"gain": x}))
    _check_codes_in_bins(spec, codes[:, 0], values[:, 0])
    assert len(np.unique(codes[x == 0.0, 0])) == 1


@pytest.mark.parametrize("max_bins", [4, 32])
def test_continuous_column_gets_about_max_bins_equal_count_bins(max_bins):
    rng = np.random.default_rng(2)
    x = rng.lognormal(size=1000)
    X = pd.DataFrame({"x": x, "x_missing": np.where(rng.random(1000) < 0.2, np.nan, x)})
    enc = TabularEncoder(max_bins=max_bins).fit(X)
    codes, values = enc.encode(X)
    for j, spec in enumerate(enc.layout_):
        _check_bins(spec)
        n_bins = len(spec.bin_start)
        assert max_bins - 1 <= n_bins <= max_bins
        assert spec.n_classes == n_bins + spec.has_missing
        sizes = spec.bin_end - spec.bin_start
        expected = len(spec.values) / max_bins
        assert sizes.min() >= 0.5 * expected and sizes.max() <= 1.5 * expected
        _check_codes_in_bins(spec, codes[:, j], values[:, j])


def test_encode_numeric_values_are_a_writable_copy():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    spec = TabularEncoder().fit(X).layout_[0]
    _, values = TabularEncoder.encode_column(spec, X["x"])
    assert values.flags.writeable
    values[0] = 99.0
    assert X["x"].iloc[0] == 1.0


# -- validation errors ------------------------------------------------------------


@pytest.mark.parametrize(
    "X, exc, match",
    [
        (np.zeros((3, 2)), TypeError, "X must be a pandas DataFrame, got ndarray"),
        ({"a": [1]}, TypeError, "X must be a pandas DataFrame, got dict"),
        (pd.DataFrame({"a": []}), DataValidationError, "X has no rows"),
        (pd.DataFrame(index=range(3)), DataValidationError, "X has no columns"),
        (pd.DataFrame({0: [1], "b": [2]}), TypeError, r"column names must be strings, got \[0\]"),
        (pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"]), DataValidationError,
         r"duplicate column names \['a'\]"),
        (pd.DataFrame({"ok": [1], "when": pd.to_datetime(["2020-01-01"])}), TypeError,
         "column 'when' has unsupported dtype datetime64"),
        (pd.DataFrame({"dt": pd.to_timedelta([1], unit="D")}), TypeError,
         "column 'dt' has unsupported dtype timedelta64"),
        (pd.DataFrame({"z": [1 + 2j]}), TypeError, "column 'z' has unsupported dtype complex"),
        (pd.DataFrame({"a": [1.0], "x y": [-np.inf]}), DataValidationError,
         "column 'x y' contains infinite values"),
        (pd.DataFrame({"big": pd.Series([2**53 + 1, 0], dtype="int64")}), DataValidationError,
         r"column 'big' holds integers beyond 2\*\*53"),
    ],
)
def test_validate_frame_errors(X, exc, match):
    with pytest.raises(exc, match=match):
        validate_frame(X)
    with pytest.raises(exc, match=match):
        TabularEncoder().fit(X)


def test_validate_frame_returns_valid_frame_unchanged():
    X = pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": [2.0**53, np.nan]})
    assert validate_frame(X) is X


@pytest.fixture()
def fitted():
    X = pd.DataFrame({
        "c": pd.Categorical(["a", "b", "a"]),
        "s": ["u", "v", "u"],
        "x": [1.0, 2.0, 3.0],
        "i": pd.Series([1, 2, 3], dtype="int64"),
        "gone": [np.nan, np.nan, np.nan],
    })
    return TabularEncoder().fit(X), X


@pytest.mark.parametrize(
    "column, new, match",
    [
        ("c", ["a", "zz"], r"column 'c' has values \['zz'\] not seen in training"),
        ("s", ["u", "w"], r"column 's' has values \['w'\] not seen in training"),
        ("x", [1.0, np.nan], "column 'x' has missing values, but had none in training"),
        ("s", ["u", None], "column 's' has missing values, but had none in training"),
        ("i", [1, 2.5], "column 'i' holds integers; got a non-integer value .*2.5"),
        ("x", ["one", "two"], "column 'x' is numeric; got values that are not numbers"),
        ("x", [1.0, np.inf], "column 'x': infinite values are not allowed"),
        ("gone", [1.0, np.nan], "column 'gone' had only missing values in training"),
    ],
)
def test_encode_errors_name_column_and_value(fitted, column, new, match):
    enc, X = fitted
    Y = X.iloc[:2].copy()
    Y[column] = pd.Series(new, dtype=object if isinstance(new[0], str) else None)
    with pytest.raises(DataValidationError, match=match):
        enc.encode(Y)


def test_categorical_columns_encode_as_their_cells_do():
    # a categorical dtype's cells are looked up through its categories (each once):
    # the same codes as the cells themselves, unused unknown categories ignored, and a
    # cell of an unknown category (or of another kind: 1 is not True) an error
    X = pd.DataFrame({"c": ["a", "b", "a", None, "c"] * 4, "k": [True, False] * 10})
    enc = TabularEncoder().fit(X)
    cells = ["c", None, "a", "b", "a", "c", None, "b"]
    as_object = enc.encode(pd.DataFrame({"c": pd.Series(cells, dtype=object),
                                         "k": [True] * 8}))[0]
    for categories in (["c", "b", "a"], ["zz", "c", "b", "a"]):  # zz: unused
        categorical = pd.Categorical(cells, categories=categories)
        codes = enc.encode(pd.DataFrame({"c": categorical, "k": [True] * 8}))[0]
        np.testing.assert_array_equal(codes, as_object)
    with pytest.raises(DataValidationError, match=r"column 'c' has values \['zz'\]"):
        enc.encode(pd.DataFrame({"c": pd.Categorical(cells[:-1] + ["zz"]), "k": [True] * 8}))
    with pytest.raises(DataValidationError, match=r"column 'k' has values \[1\].*True is not 1"):
        enc.encode(pd.DataFrame({"c": cells, "k": pd.Categorical([1] * 8)}))


def test_encode_missing_column(fitted):
    enc, X = fitted
    with pytest.raises(DataValidationError, match=r"columns \['x'\] are missing"):
        enc.encode(X.drop(columns="x"))


# -- persistence ------------------------------------------------------------------


def test_state_round_trip_gives_identical_encode_and_decode():
    rng = np.random.default_rng(3)
    n = 50
    X = pd.DataFrame({
        "f": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "i": rng.integers(-5, 500, n),
        "b": rng.random(n) < 0.5,
        "nb": pd.Series(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5), dtype="boolean"),
        "cat": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"],
                              ordered=True),
        "icat": pd.Categorical(rng.choice([3, 1, 2], n)),
        "o": pd.Series(np.where(rng.random(n) < 0.2, None, rng.choice(["u", "v"], n)),
                       dtype=object),
        "string": pd.Series(rng.choice(["p", "q"], n), dtype="string"),
        "str ä": pd.Series(rng.choice(["p", "q", None], n), dtype="str"),
    })
    enc = TabularEncoder(max_bins=7).fit(X)
    meta, arrays = enc.to_state()
    meta = json.loads(json.dumps(meta))  # what save() stores must be plain JSON
    arrays = {k: np.array(v) for k, v in arrays.items()}
    loaded = TabularEncoder.from_state(meta, arrays)

    assert loaded.max_bins == 7 and loaded.columns == enc.columns
    codes, values = enc.encode(X)
    codes2, values2 = loaded.encode(X)
    np.testing.assert_array_equal(codes2, codes)
    np.testing.assert_array_equal(values2, values)
    out = enc.decode(codes, values)
    pd.testing.assert_frame_equal(loaded.decode(codes, values), out, check_exact=True)
    pd.testing.assert_series_equal(out.dtypes, X.dtypes)
    for a, b in zip(enc.layout_, loaded.layout_):
        assert (a.kind, a.n_classes, a.has_missing, a.dtype) == (
            b.kind, b.n_classes, b.has_missing, b.dtype)
        assert list(a.categories) == list(b.categories)


def test_strings_that_differ_only_by_a_nul_character_are_two_categories():
    # pandas < 2.1's hashtable compared object strings as C strings: '' == '\x00'
    X = pd.DataFrame({"c": ["", "\x00", "", "a\x00b", "a"]})
    enc = TabularEncoder().fit(X)
    assert enc.layout_[0].categories == ("", "\x00", "a", "a\x00b")
    out = enc.decode(*enc.encode(X))
    assert out["c"].tolist() == X["c"].tolist()

"""Hypothesis strategies for tests/test_fuzz.py: malformed frames, graphs, parameters,
interventions, edges, model-file edits and command lines.

Everything here only builds inputs; the properties live in test_fuzz.py.  Bulk cell
contents come from a numpy generator seeded by a drawn integer (so examples stay cheap
to generate and to shrink); the structural choices (which dtype, which name, which
edit) are drawn by hypothesis itself.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import strategies as st

from debiasgen import CausalGraph

# -- the fitted table (the module-scope model of test_fuzz.py) --------------------------
COLUMNS = ["b_bool", "c_cat", "a_int", "f_float", "s_str"]
EDGES = [("b_bool", "a_int"), ("b_bool", "s_str"), ("a_int", "f_float"),
         ("c_cat", "f_float"), ("f_float", "s_str")]
CATEGORIES = {"c_cat": ["x", "y", "z"], "s_str": ["hi", "lo"], "b_bool": [False, True]}
INT_RANGE = (0, 10)


def real_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Mixed columns: bool root, category root, int, float with NaN, string target."""
    rng = np.random.default_rng(seed)
    b = rng.integers(0, 2, n).astype(bool)
    c = pd.Categorical(rng.choice(CATEGORIES["c_cat"], n), categories=CATEGORIES["c_cat"])
    a = rng.integers(*INT_RANGE, n) + b
    f = a * 0.5 + (c == "z") + rng.normal(size=n)
    f[rng.random(n) < 0.1] = np.nan
    s = np.where(np.nan_to_num(f) + b > 3, "hi", "lo").astype(object)
    return pd.DataFrame({"b_bool": b, "c_cat": c, "a_int": a, "f_float": f, "s_str": s})


# -- odd values used everywhere ---------------------------------------------------------
class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


JUNK = [
    None, float("nan"), float("inf"), -float("inf"), 0, -1, 1, 1.5, -0.0, 10**30, -10**30,
    2**63, 2**64, 1e308, True, False, "", "1", "x", "hi", b"x", [1], [1, 2], (), {},
    {"k": 1}, {1, 2}, np.int64(5), np.float32(2.5), np.bool_(True), np.nan, pd.NA, pd.NaT,
    complex(1, 2), Decimal("1.5"), Fraction(1, 3), datetime.datetime(2020, 1, 1),
    pd.Timestamp("2021-01-01"), np.array([1.0]), np.array(3), _Opaque(),
]
junk = st.sampled_from(JUNK)


# -- frames for fit ---------------------------------------------------------------------
def _obj(cells) -> pd.Series:
    out = np.empty(len(cells), dtype=object)
    out[:] = list(cells) if not isinstance(cells, list) else cells
    return pd.Series(out, dtype=object)


def _cycle(values, n):
    return [values[i % len(values)] for i in range(n)]


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:  # noqa: C901
    """``n`` cells of one column kind (normal, odd or unsupported)."""
    nan_mask = rng.random(n) < 0.2
    if kind == "int":
        return pd.Series(rng.integers(-5, 5, n))
    if kind == "float_nan":
        v = rng.normal(size=n)
        v[nan_mask] = np.nan
        return pd.Series(v)
    if kind == "float_allnan":
        return pd.Series(np.full(n, np.nan))
    if kind == "float_inf":
        v = rng.normal(size=n)
        if n:
            v[0] = np.inf
        return pd.Series(v)
    if kind == "float_huge":
        return pd.Series(rng.choice([1e308, -1e308, 1.7976931348623157e308, 0.0, 5e-324], n))
    if kind == "float16":
        return pd.Series(rng.normal(size=n).astype(np.float16))
    if kind == "float32_nan":
        v = rng.normal(size=n).astype(np.float32)
        v[nan_mask] = np.nan
        return pd.Series(v)
    if kind == "uint8":
        return pd.Series(rng.integers(0, 255, n).astype(np.uint8))
    if kind == "uint64_huge":
        return pd.Series(np.array(_cycle([0, 2**64 - 1, 2**63], n), dtype=np.uint64))
    if kind == "int_huge":
        return pd.Series(np.array(_cycle([0, 2**62, -(2**62)], n), dtype=np.int64))
    if kind == "int_2p53":
        return pd.Series(np.array(_cycle([2**53, -(2**53), 0], n), dtype=np.int64))
    if kind == "Int64_na":
        return pd.Series(pd.array(np.where(nan_mask, None, rng.integers(0, 4, n)).tolist(),
                                  dtype="Int64"))
    if kind == "Float64_na":
        return pd.Series(pd.array(np.where(nan_mask, None, rng.normal(size=n)).tolist(),
                                  dtype="Float64"))
    if kind == "boolean_na":
        return pd.Series(pd.array(np.where(nan_mask, None, rng.random(n) < 0.5).tolist(),
                                  dtype="boolean"))
    if kind == "bool":
        return pd.Series(rng.random(n) < 0.5)
    if kind == "constant":
        return pd.Series(np.full(n, 7))
    if kind == "category":
        return pd.Series(pd.Categorical(rng.choice(["p", "q", "r"], n)))
    if kind == "category_unused":
        return pd.Series(pd.Categorical(rng.choice(["p", "q"], n), categories=["p", "q", "w"]))
    if kind == "category_int":
        return pd.Series(pd.Categorical(rng.integers(0, 3, n)))
    if kind == "category_ordered_nan":
        cat = pd.Categorical(rng.choice(["lo", "mid", "hi"], n),
                             categories=["lo", "mid", "hi"], ordered=True)
        return pd.Series(cat).where(~nan_mask)
    if kind == "object_str":
        return _obj(rng.choice(["u", "v", "w"], n).tolist())
    if kind == "string_python":
        return pd.Series(rng.choice(["u", "v"], n), dtype="string[python]")
    if kind == "string_pyarrow_na":
        s = pd.Series(rng.choice(["u", "v"], n), dtype="string[pyarrow]")
        return s.where(~nan_mask)
    if kind == "object_none_mix":
        return _obj(_cycle(["a", None, "b", np.nan], n))
    if kind == "object_all_none":
        return _obj([None] * n)
    if kind == "object_mixed":
        return _obj(_cycle([1, "1", 2.5, None, True, "x"], n))
    if kind == "object_numbers":
        return _obj(_cycle([1, 2, 3], n))
    if kind == "object_bool_mix":
        return _obj(_cycle([True, "True", 1, 0], n))
    if kind == "object_lists":
        return _obj(_cycle([[1], [1, 2], []], n))
    if kind == "object_dicts":
        return _obj(_cycle([{"a": 1}, {}], n))
    if kind == "object_sets":
        return _obj(_cycle([{1}, set(), frozenset({2})], n))
    if kind == "object_tuples":
        return _obj(_cycle([(1, 2), ("a",), ()], n))
    if kind == "object_bytes":
        return _obj(_cycle([b"a", b"\xff\x00", b""], n))
    if kind == "object_nested_mix":
        return _obj(_cycle([[1], {"a": 1}, None, b"z", (1,), "s", 1.5], n))
    if kind == "object_decimal":
        return _obj(_cycle([Decimal("1.5"), Decimal("NaN"), Decimal("2")], n))
    if kind == "object_arrays":
        return _obj(_cycle([np.zeros(2), np.ones(1)], n))
    if kind == "object_opaque":
        return _obj(_cycle([_Opaque(), _Opaque()], n))
    if kind == "datetime":
        return pd.Series(pd.date_range("2020-01-01", periods=n, freq="D"))
    if kind == "datetime_tz":
        return pd.Series(pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC"))
    if kind == "timedelta":
        return pd.Series(pd.to_timedelta(rng.integers(0, 100, n), unit="s"))
    if kind == "complex":
        return pd.Series(rng.normal(size=n) + 1j)
    if kind == "interval":
        return pd.Series(pd.arrays.IntervalArray.from_breaks(np.arange(n + 1)))
    if kind == "period":
        return pd.Series(pd.period_range("2020-01", periods=n, freq="M"))
    if kind == "sparse":
        return pd.Series(pd.arrays.SparseArray(rng.integers(0, 2, n).astype(float)))
    if kind == "object_datetime":
        return _obj(_cycle([datetime.date(2020, 1, 1), "2020-01-02", None], n))
    raise AssertionError(kind)


GOOD_KINDS = ["int", "float_nan", "bool", "category", "object_str", "category_unused",
              "category_int", "Int64_na", "string_python", "constant", "uint8", "float16",
              "boolean_na", "Float64_na", "category_ordered_nan", "float32_nan",
              "object_none_mix", "string_pyarrow_na", "object_numbers"]
ODD_KINDS = ["float_allnan", "float_inf", "float_huge", "uint64_huge", "int_huge", "int_2p53",
             "object_all_none", "object_mixed", "object_bool_mix", "object_lists",
             "object_dicts", "object_sets", "object_tuples", "object_bytes",
             "object_nested_mix", "object_decimal", "object_arrays", "object_opaque",
             "datetime", "datetime_tz", "timedelta", "complex", "interval", "period",
             "sparse", "object_datetime"]
GOOD_NAMES = ["a", "b", "col 1", "ü-name", "x:y", "k=v", "", " ", "0", "X", "a" * 60]
BAD_NAMES = [0, 1.5, None, ("t", 1), b"bytes", True, np.int64(3)]


@st.composite
def fit_frames(draw):
    """A frame (or a non-frame) to fit, with the columns' kinds for the report."""
    shape = draw(st.sampled_from(["frame"] * 9 + ["empty", "not_frame"]))
    if shape == "not_frame":
        return draw(st.sampled_from([
            None, "a,b\n1,2", [[1, 2], [3, 4]], {"a": [1, 2]}, np.arange(6.0).reshape(3, 2),
            np.arange(4.0), pd.Series([1.0, 2.0], name="s"), np.empty((0, 2)),
            np.array([["a", "b"], ["c", "d"]], dtype=object), 5,
        ]))
    if shape == "empty":
        return draw(st.sampled_from([
            pd.DataFrame(), pd.DataFrame({"a": []}), pd.DataFrame(index=range(3)),
            pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype=object)}),
        ]))
    n = draw(st.sampled_from([1, 2, 3, 20, 20, 40]))
    k = draw(st.integers(1, 4))
    kinds = draw(st.lists(st.sampled_from(GOOD_KINDS * 2 + ODD_KINDS), min_size=k, max_size=k))
    names = draw(st.lists(st.sampled_from(GOOD_NAMES), min_size=k, max_size=k, unique=True))
    if draw(st.integers(0, 7)) == 0:  # a non-string or a duplicate name
        j = draw(st.integers(0, k - 1))
        names[j] = draw(st.sampled_from(BAD_NAMES + ([names[0]] if k > 1 else [])))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    cols = [_column(kind, n, rng) for kind in kinds]
    frame = pd.concat(cols, axis=1, ignore_index=True)
    frame.columns = pd.Index(names, dtype=object)
    return frame


def chain_graph(frame) -> list:
    """Edges along the frame's string column names (a chain), or []."""
    names = [c for c in getattr(frame, "columns", []) if isinstance(c, str)]
    names = list(dict.fromkeys(names))
    return list(zip(names[:-1], names[1:]))


# -- graphs for fit on the fixed small table --------------------------------------------
GRAPH_COLUMNS = ["a", "b", "c", "d"]


def graph_table(n: int = 30, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    b = a + rng.normal(size=n)
    b[::7] = np.nan
    c = pd.Categorical(np.where(b > 1.5, "hi", "lo"))
    d = _obj(rng.choice(["u", "v"], n).tolist())
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d})


_NAME = st.sampled_from(GRAPH_COLUMNS * 3 + ["zz", "", "A", 0, None, ("a",), 1.5, b"a"])


def _adjacency(labels, edges, values=None):
    frame = pd.DataFrame(0, index=pd.Index(labels, dtype=object),
                         columns=pd.Index(labels, dtype=object))
    for p, c in edges:
        frame.loc[p, c] = 1
    if values is not None:
        frame = frame.astype(object)
        frame.iloc[0, -1] = values
    return frame


@st.composite
def graphs(draw):
    """A graph description for ``fit(graph=...)``: valid, malformed or of the wrong type."""
    kind = draw(st.sampled_from([
        "dag", "dag", "dag", "pairs", "cycle", "self_loop", "duplicate", "non_pairs",
        "junk", "generator", "set", "ndarray", "nx", "nx_cycle", "nx_undirected", "nx_multi",
        "nx_int", "adjacency", "adjacency_bad", "causal_graph", "causal_graph_extra",
        "empty", "discover",
    ]))
    order = draw(st.permutations(GRAPH_COLUMNS))
    pairs = [(order[i], order[j]) for i in range(4) for j in range(i + 1, 4)]
    dag = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=4))
    if kind == "dag":
        return dag
    if kind == "pairs":  # names from a pool with unknown and non-string names
        return draw(st.lists(st.tuples(_NAME, _NAME), max_size=3))
    if kind == "cycle":
        k = draw(st.integers(2, 4))
        return dag + [(order[i], order[(i + 1) % k]) for i in range(k)]
    if kind == "self_loop":
        name = draw(st.sampled_from(GRAPH_COLUMNS + ["zz"]))
        return [*dag, (name, name)]
    if kind == "duplicate":
        return [*pairs[:1], *pairs[:1]]
    if kind == "non_pairs":
        return [*dag, draw(st.sampled_from([
            ("a",), ("a", "b", "c"), "ab", "a", 5, None, ["a", "b", "c"], {"a": "b"},
            frozenset({"a", "b"}), np.array(["a", "b"]), b"ab", [["a", "b"]],
        ]))]
    if kind == "junk":
        return draw(st.sampled_from([
            "a->b", b"ab", {"a": "b"}, {"a": ["b"]}, 5, 3.2, True, _Opaque(), [[]],
            float("nan"), pd.Series(["a", "b"]), np.zeros((2, 2)), ("a", "b"),
        ]))
    if kind == "generator":
        return (e for e in dag)
    if kind == "set":
        return set(dag)
    if kind == "ndarray":
        return np.array(dag or [("a", "b")], dtype=object)
    if kind == "nx":
        g = nx.DiGraph()
        g.add_nodes_from(order)
        g.add_edges_from(dag)
        return g
    if kind == "nx_cycle":
        return nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    if kind == "nx_undirected":
        return nx.Graph(dag or [("a", "b")])
    if kind == "nx_multi":
        return nx.MultiDiGraph(dag or [("a", "b")])
    if kind == "nx_int":
        return nx.DiGraph([(0, 1), ("a", 2)])
    if kind == "adjacency":
        return _adjacency(list(order), dag)
    if kind == "adjacency_bad":
        bad = draw(st.sampled_from(["nan", "string", "labels", "dup", "int_labels",
                                    "non_square", "cycle", "self"]))
        if bad == "nan":
            return _adjacency(list(order), dag, np.nan)
        if bad == "string":
            return _adjacency(list(order), dag, "yes")
        if bad == "labels":
            return _adjacency(["a", "b", "zz"], []).rename(columns={"zz": "c"})
        if bad == "dup":
            return pd.DataFrame(0, index=["a", "a"], columns=["a", "a"])
        if bad == "int_labels":
            return pd.DataFrame(0, index=[0, 1], columns=[0, 1])
        if bad == "non_square":
            return pd.DataFrame(0, index=["a", "b"], columns=["a", "b", "c"])
        if bad == "cycle":
            return _adjacency(["a", "b"], [("a", "b"), ("b", "a")])
        return _adjacency(["a", "b"], [("a", "a")])
    if kind == "causal_graph":
        return CausalGraph(dag, nodes=order)
    if kind == "causal_graph_extra":
        return CausalGraph([("a", "zz")])
    if kind == "empty":
        return draw(st.sampled_from([[], (), set(), nx.DiGraph(), CausalGraph()]))
    return None  # discover


knowledge_values = st.fixed_dictionaries({}, optional={
    "sensitive": st.sampled_from([None, "a", "zz", 1, ["a", "c"], ("a",), "", [None], {"a": 1},
                                  b"a", [["a"]]]),
    "target": st.sampled_from([None, "d", "zz", 3, ["d"], "", "a"]),
    "forbidden": st.sampled_from([None, [], [("a", "b")], [("a",)], "ab", [("zz", "a")], 5,
                                  [("a", "a")], [(1, 2)], {"a": "b"}]),
    "tiers": st.sampled_from([None, [["a"], ["b", "c"]], [["a"], ["a"]], "abc", [[1]],
                              [["zz"]], 5, [[]], ["ab"], [None]]),
    "learn_edges": st.sampled_from([False, True, "yes", 1, None, np.bool_(True)]),
})


# -- estimator parameters ---------------------------------------------------------------
_GENERIC_BAD = [
    -1, 0, -(10**9), 10**30, 2**64, 1.5, float("nan"), float("inf"), -float("inf"), "3",
    None, True, False, [1], {}, np.float64("nan"), np.int64(-1), complex(1, 1),
    Decimal("1"), _Opaque(), "",
]
# values that are valid and cheap on a 30-row table (large valid epochs or widths would
# only make the run slow, so they are not drawn)
_VALID = {
    "epochs": [1, np.int64(2)],
    "batch_size": [1, 8, 2**20, np.int32(16)],
    "learning_rate": [1e-3, 10.0, 1, Fraction(1, 2), np.float32(0.01)],
    "hidden_size": [1, 8],
    "latent_dim": [1, 3],
    "max_bins": [2, 3, 100_000],
    "validation_fraction": [0, 0.0, 0.1, 0.49],
    "patience": [1, 100_000],
    "unmentioned": ["children", "roots"],
    "edge_penalty": [0, 0.0, 1e6],
    "random_state": [0, None, -1, 2**100, np.int64(3)],
    "verbose": [0],
}
_BOUNDARY_BAD = {
    "epochs": [100_001], "batch_size": [2**20 + 1], "hidden_size": [4097],
    "latent_dim": [257], "max_bins": [1, 100_001], "patience": [100_001],
    "validation_fraction": [0.5, 1.0, -0.1], "learning_rate": [0.0, 10.5, -1e-3],
    "edge_penalty": [-1e-9, 1e6 + 1], "verbose": [101],
    "unmentioned": ["CHILDREN", "root", ["children"], b"roots"],
    "random_state": ["0", 1.5, [], _Opaque(), np.random.SeedSequence(0)],
}
PARAM_NAMES = list(_VALID)


@st.composite
def param_values(draw):
    """1-3 parameters of CCGMSynthesizer set to odd values (the others: cheap defaults)."""
    names = draw(st.lists(st.sampled_from(PARAM_NAMES), min_size=1, max_size=3, unique=True))
    out = {}
    for name in names:
        bad = draw(st.booleans())  # half the values valid, so that fits run too
        value = draw(st.sampled_from(_GENERIC_BAD + _BOUNDARY_BAD[name] if bad
                                     else _VALID[name]))
        if name == "epochs" and isinstance(value, (int, np.integer)) and 2 < value <= 100_000:
            value = 2  # a valid, large epoch count only makes the run slow
        out[name] = value
    if "random_state" in names and draw(st.booleans()):
        out["random_state"] = draw(st.sampled_from(
            [np.random.default_rng(0), np.random.RandomState(0)]))
    return out


# -- rows to generate -------------------------------------------------------------------
N_VALID = [1, 2, 7, np.int64(3), np.uint8(2)]
N_BAD = [0, -1, -(2**63), 1.5, 2.0, "5", None, True, False, float("nan"), float("inf"),
         [3], np.array(3), 10**12, 2**62, 2**64, 10**100, np.float64(3.0), Decimal(3),
         complex(3, 0), "", _Opaque()]
rows = st.sampled_from(N_VALID * 3 + N_BAD)
RANDOM_STATES = [None, 0, -5, 2**70, np.int32(4), "x", 1.5, [], True, _Opaque()]
random_states = st.one_of(
    st.sampled_from(RANDOM_STATES),
    st.builds(np.random.default_rng, st.integers(0, 9)),
    st.builds(np.random.RandomState, st.integers(0, 9)),
)


# -- interventions on the fitted table --------------------------------------------------
def _valid_values(column: str) -> list:
    if column in CATEGORIES:
        return list(CATEGORIES[column])
    if column == "a_int":
        return [0, 3, 10, np.int64(5), -1, 11, 3.0]
    return [0.0, 2.5, -3.0, np.float32(1.5), 7]


class _Raises:
    """A callable that raises a chosen exception (also a non-function callable)."""

    def __init__(self, exc):
        self.exc = exc

    def __call__(self, values):
        raise self.exc

    def __repr__(self) -> str:
        return f"_Raises({self.exc!r})"


def _callables(column: str) -> list:
    some = _valid_values(column)[0]
    return [
        lambda v: v,
        lambda v: v[::-1].copy(),
        lambda v: some,
        lambda v: v[:1],
        lambda v: v[:0],
        lambda v: np.zeros((len(v), 2)),
        lambda v: np.zeros((len(v), 1)),
        lambda v: None,
        lambda v: "str",
        lambda v: list(v),
        lambda v: pd.Series(v),
        lambda v: pd.Series(v, index=np.arange(len(v)) + 100),
        lambda v: pd.DataFrame({"v": v}),
        lambda v: np.full(len(v), np.nan),
        lambda v: np.full(len(v), np.inf),
        lambda v: np.full(len(v), 10**30, dtype=object),
        lambda v: np.asarray(v).astype(str),
        lambda v: (x for x in v),
        lambda v: {"a": 1},
        lambda v: v + 1,
        lambda v: np.full(len(v), some, dtype=object),
        lambda v: [some] * (len(v) + 1),
        lambda v: np.full(len(v), 2.5),
        lambda v: np.full(len(v), "never"),
        lambda v: 1 / 0,
        _Raises(KeyError("k")),
        _Raises(IndexError("i")),
        _Raises(RuntimeError("r")),
        _Raises(ValueError("v")),
        _Raises(TypeError("t")),
    ]


INTERVENTION_KEYS = COLUMNS * 3 + ["zz", "", 0, None, ("a_int",), "A_INT", b"a_int", 1.5]


@st.composite
def intervention_dicts(draw, keys=INTERVENTION_KEYS):
    """Interventions: mostly dicts with odd keys and values, sometimes not a dict."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([
            None, [], "a_int", [("a_int", 1)], 5, set(), {}, pd.Series({"a_int": 1}),
            (("a_int", 1),), {"a_int"}, _Opaque(),
        ]))
    out = {}
    for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique_by=repr)):
        column = key if key in COLUMNS else "a_int"
        pools = [_valid_values(column), JUNK, _callables(column)]
        weights = draw(st.sampled_from([0, 0, 1, 2]))
        out[key] = draw(st.sampled_from(pools[weights if weights < 3 else 0]))
    return out


# -- counterfactual frames --------------------------------------------------------------
CF_EDITS = [
    "drop", "extra", "extra_int_name", "reorder", "astype_str", "astype_object",
    "astype_float", "astype_category", "astype_int", "unseen_category", "nan_cell",
    "inf_cell", "huge_cell", "fraction_in_int", "zero_rows", "one_row", "dup_index",
    "str_index", "dup_column", "rename_int", "list_cell", "bytes_cell", "none_cell",
    "bool_as_int", "datetime_col",
]
cf_edits = st.lists(st.tuples(st.sampled_from(CF_EDITS), st.sampled_from(COLUMNS)),
                    max_size=3)


def apply_cf_edit(X: pd.DataFrame, edit: str, column: str) -> pd.DataFrame:  # noqa: C901
    """``X`` with one edit that a user might make by mistake (or legitimately)."""
    X = X.copy()
    if list(X.columns).count(column) != 1:  # dropped, renamed or duplicated earlier
        return X
    if edit == "drop":
        return X.drop(columns=column)
    if edit == "extra":
        return X.assign(zz=1.0)
    if edit == "extra_int_name":
        X[0] = 1.0
        return X
    if edit == "reorder":
        return X[list(X.columns)[::-1]]
    if edit == "astype_str":
        X[column] = X[column].astype(str)
        return X
    if edit == "astype_object":
        X[column] = X[column].astype(object)
        return X
    if edit in ("astype_float", "astype_int", "astype_category", "bool_as_int"):
        target = {"astype_float": "float64", "astype_int": "int64",
                  "astype_category": "category", "bool_as_int": "int64"}[edit]
        try:
            X[column] = X[column].astype(target)
        except (TypeError, ValueError, OverflowError):  # pandas refuses: not our call
            return X
        return X
    if len(X) == 0:
        return X
    if edit == "unseen_category":
        X[column] = X[column].astype(object)
        X.iloc[0, X.columns.get_loc(column)] = "never-seen"
        return X
    if edit in ("nan_cell", "inf_cell", "huge_cell", "fraction_in_int", "list_cell",
                "bytes_cell", "none_cell"):
        value = {"nan_cell": np.nan, "inf_cell": np.inf, "huge_cell": 10**30,
                 "fraction_in_int": 2.5, "list_cell": [1, 2], "bytes_cell": b"x",
                 "none_cell": None}[edit]
        X[column] = X[column].astype(object)
        cells = X[column].to_numpy(dtype=object, copy=True)
        cells[0] = value
        X[column] = pd.Series(cells, index=X.index, dtype=object)
        return X
    if edit == "zero_rows":
        return X.iloc[:0]
    if edit == "one_row":
        return X.iloc[:1]
    if edit == "dup_index":
        X.index = [0] * len(X)
        return X
    if edit == "str_index":
        X.index = [f"r{i}" for i in range(len(X))]
        return X
    if edit == "dup_column":
        return pd.concat([X, X[[column]]], axis=1)
    if edit == "rename_int":
        return X.rename(columns={column: 7})
    if edit == "datetime_col":
        X[column] = pd.Timestamp("2020-01-01")
        return X
    raise AssertionError(edit)


cf_not_frames = st.sampled_from([
    None, {"a_int": [1]}, np.zeros((2, 5)), [[1, 2, 3, 4, 5]], pd.Series([1, 2]), "X", 3,
])


# -- debias arguments -------------------------------------------------------------------
GOOD_REMOVE_EDGES = [[("b_bool", "s_str")], [("a_int", "f_float"), ("c_cat", "f_float")],
                     EDGES, [["f_float", "s_str"]], (("b_bool", "a_int"),)]
ODD_REMOVE_EDGES = [
    [("s_str", "b_bool")], [("zz", "a_int")], [("a_int", "zz")], [("b_bool", "f_float")],
    [("a_int",)], [("a_int", "f_float", "s_str")], "a_int:f_float", b"", {"a_int": "f_float"},
    5, [], None, [("a_int", "f_float"), ("a_int", "f_float")], [(1, 2)], [(None, "a_int")],
    [({"x"}, "a_int")], {("a_int", "f_float")}, np.array([["a_int", "f_float"]]),
    [("a_int", "a_int")], [None], ("a_int", "f_float"), [_Opaque()], iter([EDGES[0]]),
]
CRITERIA_ODD = [None, "cf", "DP", "", 1, ["dp"], b"dp", "fair"]
SENSITIVE_ODD = [None, "c_cat", "a_int", "zz", 1, ["b_bool"], "", "s_str"]
TARGET_ODD = [None, "f_float", "b_bool", "zz", 2, ["s_str"], ""]
REFERENCE = [None, {}, {"b_bool": True}, {"b_bool": "x"}, {"zz": 1}, {"a_int": 1.5},
             {"a_int": 3}, {"f_float": np.nan}, [("b_bool", True)], "b_bool",
             {"b_bool": [1, 2]}, {"c_cat": "y"}, {"c_cat": "never"}, {"f_float": float("inf")},
             {"a_int": 10**30}, {1: 2}, {"b_bool": None}, {"f_float": 2.5}]
NOISE_REUSE = [None, 0, 0.0, 0.5, 1, 1.0, -0.1, 1.1, float("nan"), float("inf"), "0.5", True,
               np.float32(0.3), Fraction(1, 3), [0.5], Decimal("0.5")]


@st.composite
def debias_args(draw):
    """Keyword arguments of ``debias``: explicit edges, a preset, or a mix of odd values."""

    def yes(tenths: int) -> bool:
        return draw(st.integers(0, 9)) < tenths

    def choose(good, odd, tenths=7):
        return draw(st.sampled_from(good if yes(tenths) else odd))

    mode = draw(st.sampled_from(["edges", "preset", "odd"]))
    out = {}
    if mode == "edges":
        out["remove_edges"] = choose(GOOD_REMOVE_EDGES, ODD_REMOVE_EDGES)
        if yes(1):
            out["criterion"] = draw(st.sampled_from(["ftu", *CRITERIA_ODD]))
    elif mode == "preset":
        out["criterion"] = choose(["ftu", "dp", "cf"], CRITERIA_ODD)
        out["sensitive"] = choose(["b_bool"], SENSITIVE_ODD, 8)
        out["target"] = choose(["s_str"], TARGET_ODD, 8)
        if yes(1):
            out["remove_edges"] = draw(st.sampled_from(GOOD_REMOVE_EDGES))
    else:
        for key, pool in [("remove_edges", GOOD_REMOVE_EDGES + ODD_REMOVE_EDGES),
                          ("criterion", ["ftu", "dp", *CRITERIA_ODD]),
                          ("sensitive", ["b_bool", *SENSITIVE_ODD]),
                          ("target", ["s_str", *TARGET_ODD])]:
            if yes(5):
                out[key] = draw(st.sampled_from(pool))
    if yes(3):
        out["reference"] = draw(st.sampled_from(REFERENCE))
    if yes(3):
        out["noise_reuse"] = draw(st.sampled_from(NOISE_REUSE))
    return out


# -- JSON edits of a model file's metadata ---------------------------------------------
JSON_JUNK = [None, -1, 0, 1, 2.5, 1e308, "x", "", [], {}, True, False, 10**40,
             ["x"], {"name": "x"}, [[1, 2]], "category", {"name": "int64"}, float("nan"),
             -(10**9), [None, None]]


def json_paths(obj, prefix=()):
    """Every path (a tuple of keys and indices) into a JSON value, root first."""
    out = [prefix]
    if isinstance(obj, dict):
        for key in obj:
            out += json_paths(obj[key], (*prefix, key))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            out += json_paths(item, (*prefix, i))
    return out


def resolve_path(obj, path) -> bool:
    """Whether ``path`` leads to a value inside ``obj``."""
    for key in path:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and 0 <= key < len(obj):
            obj = obj[key]
        else:
            return False
    return True


def edit_json(obj, path, op: str, value):
    """A copy of ``obj`` with the value at ``path`` (which must exist) replaced, deleted
    or duplicated (``append`` on a list item)."""
    import copy

    obj = copy.deepcopy(obj)
    if not path:
        return value
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if op == "delete":
        del parent[key]
    elif op == "append" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    else:
        parent[key] = value
    return obj


# Paths into a model file's metadata, "C" standing for a column index: every part the
# loader must check against the others.
META_PATHS = [
    (), ("params",), ("params", "epochs"), ("params", "hidden_size"), ("params", "latent_dim"),
    ("params", "max_bins"), ("params", "unmentioned"), ("params", "random_state"),
    ("graph",), ("graph", "nodes"), ("graph", "nodes", "C"), ("graph", "edges"),
    ("graph", "edges", 0), ("graph", "edges", 0, 1), ("graph", "origins"),
    ("encoder",), ("encoder", "max_bins"), ("encoder", "columns"), ("encoder", "columns", "C"),
    ("encoder", "columns", "C", "name"), ("encoder", "columns", "C", "kind"),
    ("encoder", "columns", "C", "n_classes"), ("encoder", "columns", "C", "has_missing"),
    ("encoder", "columns", "C", "dtype"), ("encoder", "columns", "C", "dtype", "name"),
    ("encoder", "columns", "C", "dtype", "categories"),
    ("encoder", "columns", "C", "dtype", "categories", 0),
    ("encoder", "columns", "C", "categories"), ("encoder", "columns", "C", "categories", 0),
    ("encoder", "columns", "C", "categories", -1), ("history",), ("history", 0),
    ("learned_edges",), ("removal",), ("removal", "edges"), ("removal", "edges", 0),
    ("removal", "edges", 0, 0), ("removal", "reference"), ("removal", "sensitive"),
    ("removal", "noise_reuse"),
]


# -- the command line -------------------------------------------------------------------
CLI_INT_TEXT = ["5", "1", "0", "-3", "abc", "1e3", "", "10000000000000000", " 7 ", "\u0663",
                "2.5", "99999999999999999999999"]
CLI_SEED_TEXT = ["0", "7", "-1", "x", "1.5", "", "99999999999999999999999"]
CLI_DO = ["a_int=3", "a_int=x", "a_int=2.5", "f_float=nan", "f_float=inf", "f_float=1e309",
          "c_cat=x", "c_cat=nope", "zz=1", "=3", "a_int", "b_bool=True", "b_bool=1",
          "s_str=hi", "a_int=99999999999999999999999", "a_int= 3", "f_float=-0", "", "==",
          "s_str=", "c_cat=y=z"]
CLI_REMOVE = ["b_bool:s_str", "a_int:f_float", "s_str:b_bool", "zz:a_int", "a_int", ":",
              "a:b:c", "", "b_bool:s_str:x", "f_float:s_str"]
CLI_COLUMNS = ["b_bool", "s_str", "c_cat", "a_int", "zz", "", "f_float"]
CLI_FLOAT_TEXT = ["0", "0.5", "1", "-1", "2", "nan", "inf", "x", ""]

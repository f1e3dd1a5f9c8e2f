"""Tests for the packaged data sets (``debiasgen.datasets``).

Expected numbers come from the UCI ``adult.names`` description (row counts, class
probabilities) and from the graph as published; the tests read only the copy
shipped inside the package.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from debiasgen.core.graph import CausalGraph
from debiasgen.datasets import (
    ADULT_EDGES,
    ADULT_SENSITIVE,
    ADULT_TARGET,
    ADULT_TRAIN_ROWS,
    adult_graph,
    load_adult,
)

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
INTEGER_COLUMNS = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
CATEGORY_COLUMNS = [c for c in COLUMNS if c not in INTEGER_COLUMNS]
MISSING_COLUMNS = {"workclass", "occupation", "native-country"}
GRAPH_NODES = {
    "race",
    "age",
    "sex",
    "native-country",
    "marital-status",
    "education",
    "occupation",
    "hours-per-week",
    "workclass",
    "relationship",
    "income",
}


@pytest.fixture(scope="module")
def complete() -> pd.DataFrame:
    return load_adult()


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    return load_adult(dropna=False)


# --- load_adult -------------------------------------------------------------------------


def test_row_counts(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    assert complete.shape == (45_222, 15)
    assert full.shape == (48_842, 15)


def test_column_order(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    assert list(complete.columns) == COLUMNS
    assert list(full.columns) == COLUMNS


def test_index_is_range(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    pd.testing.assert_index_equal(complete.index, pd.RangeIndex(45_222))
    pd.testing.assert_index_equal(full.index, pd.RangeIndex(48_842))


@pytest.mark.parametrize("dropna", [True, False])
def test_dtypes(dropna: bool, complete: pd.DataFrame, full: pd.DataFrame) -> None:
    frame = complete if dropna else full
    for col in INTEGER_COLUMNS:
        assert frame[col].dtype == "int64", col
    for col in CATEGORY_COLUMNS:
        dtype = frame[col].dtype
        assert isinstance(dtype, pd.CategoricalDtype), col
        assert not dtype.ordered, col
        categories = list(dtype.categories)
        assert categories == sorted(categories), col
        assert "?" not in categories and "" not in categories, col
        assert all(c == c.strip() for c in categories), col


def test_income_categories(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    assert list(complete["income"].cat.categories) == ["<=50K", ">50K"]
    assert list(full["income"].cat.categories) == ["<=50K", ">50K"]


def test_no_missing_when_dropna(complete: pd.DataFrame) -> None:
    assert not complete.isna().any().any()


def test_missing_columns_when_not_dropna(full: pd.DataFrame) -> None:
    missing = full.isna().sum()
    assert set(missing[missing > 0].index) == MISSING_COLUMNS
    # Complete rows are exactly those load_adult() returns.
    assert int(full.notna().all(axis=1).sum()) == 45_222


def test_categories_are_those_observed(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    for frame in (complete, full):
        for col in CATEGORY_COLUMNS:
            assert set(frame[col].cat.categories) == set(frame[col].dropna().unique()), col
    # The 10 "Never-worked" rows all lack an occupation, so the level exists only in full.
    assert "Never-worked" in full["workclass"].cat.categories
    assert "Never-worked" not in complete["workclass"].cat.categories


def test_complete_rows_match_full(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    expected = full.dropna().reset_index(drop=True).astype(str)
    pd.testing.assert_frame_equal(complete.astype(str), expected)


def test_train_test_split_recoverable(full: pd.DataFrame) -> None:
    # adult.names: train=32561, test=16281; without unknowns train=30162, test=15060.
    assert ADULT_TRAIN_ROWS == 32_561
    train, test = full.iloc[:ADULT_TRAIN_ROWS], full.iloc[ADULT_TRAIN_ROWS:]
    assert len(test) == 16_281
    assert int(train.notna().all(axis=1).sum()) == 30_162
    assert int(test.notna().all(axis=1).sum()) == 15_060
    # First records of each UCI file.
    assert train.iloc[0][["age", "workclass", "fnlwgt"]].tolist() == [39, "State-gov", 77516]
    assert test.iloc[0][["age", "workclass", "fnlwgt"]].tolist() == [25, "Private", 226802]


def test_class_probabilities(complete: pd.DataFrame, full: pd.DataFrame) -> None:
    # adult.names: P(>50K) = 23.93% overall, 24.78% without unknowns.
    assert (full["income"] == ">50K").mean() == pytest.approx(0.2393, abs=5e-5)
    assert (complete["income"] == ">50K").mean() == pytest.approx(0.2478, abs=5e-5)


def test_sex_gap_facts(complete: pd.DataFrame) -> None:
    high = complete["income"] == ">50K"
    rate = high.groupby(complete["sex"], observed=True).mean()
    assert 0.19 < rate["Male"] - rate["Female"] < 0.21
    mean_age = complete.groupby("sex", observed=True)["age"].mean()
    assert mean_age["Female"] < mean_age["Male"]


def test_fresh_frame_each_call(complete: pd.DataFrame) -> None:
    first = load_adult()
    first.loc[0, "age"] = -1
    assert load_adult().loc[0, "age"] == complete.loc[0, "age"] != -1


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_dropna_must_be_bool(bad: object) -> None:
    with pytest.raises(TypeError, match="dropna must be True or False"):
        load_adult(dropna=bad)  # type: ignore[arg-type]


def test_dropna_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        load_adult(False)  # type: ignore[misc]


def test_target_and_sensitive_columns(complete: pd.DataFrame) -> None:
    assert ADULT_TARGET == "income"
    assert ADULT_SENSITIVE == "sex"
    assert list(complete[ADULT_SENSITIVE].cat.categories) == ["Female", "Male"]


# --- adult_graph ------------------------------------------------------------------------


def test_edge_tuple() -> None:
    assert isinstance(ADULT_EDGES, tuple)
    assert len(ADULT_EDGES) == 39
    assert len(set(ADULT_EDGES)) == 39
    assert ADULT_EDGES[0] == ("race", "occupation")
    assert ADULT_EDGES[-1] == ("relationship", "income")
    assert {node for edge in ADULT_EDGES for node in edge} == GRAPH_NODES
    assert GRAPH_NODES < set(COLUMNS)


# --- import cost ------------------------------------------------------------------------


def test_import_does_not_load_torch() -> None:
    code = "import sys, debiasgen.datasets; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- adult_graph ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> CausalGraph:
    return adult_graph()


def test_graph_type_and_size(graph: CausalGraph) -> None:
    assert isinstance(graph, CausalGraph)
    assert len(graph.edges) == 39
    assert set(graph.edges) == set(ADULT_EDGES)


def test_graph_nodes_follow_column_order(graph: CausalGraph) -> None:
    assert set(graph.nodes) == GRAPH_NODES
    assert list(graph.nodes) == [c for c in COLUMNS if c in GRAPH_NODES]


def test_graph_roots_and_sink(graph: CausalGraph) -> None:
    assert set(graph.roots) == {"sex", "race", "age", "native-country"}
    sinks = {node for node in graph.nodes if not graph.children(node)}
    assert sinks == {ADULT_TARGET}
    assert set(graph.parents(ADULT_TARGET)) == GRAPH_NODES - {ADULT_TARGET}
    assert ADULT_TARGET in graph.descendants(ADULT_SENSITIVE)


def test_graph_matches_data_columns(graph: CausalGraph, complete: pd.DataFrame) -> None:
    graph.check_columns(complete.columns)  # raises GraphError if a node is not a column
    for absent in ("fnlwgt", "education-num", "capital-gain", "capital-loss"):
        assert absent not in graph


def test_graph_is_fresh_and_equal_each_call(graph: CausalGraph) -> None:
    assert adult_graph() == graph

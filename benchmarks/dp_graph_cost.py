"""What the ``dp`` adaptation graph costs where the causal graph is already right.

Run:  python benchmarks/dp_graph_cost.py [--seeds 0 1 2]

A ``dp`` :class:`FairAdapter` models each column given every column before it in the
graph's order (:func:`adaptation_graph`), so that the dependences a graph omits are
mapped too.  Where the graph is right, the extra parents only add variance and work.
Two measures, each against the model on the graph's own dependences (the sensitive
attribute a parent of every column, the roots chained: the adaptation graph before
this design, fitted as a synthesizer and used by a ``cf`` adapter, which then adapts
every column as ``dp`` does):

* **Variance**: the 3,000-row table of ``tests/test_adapter.py`` (its graph is the
  truth up to the sensitive attribute's direct effects), 1,000 test rows; HGB trained
  on adapted rows with the observed labels, the DP difference of its predictions on
  adapted test rows, per seed.
* **Width**: a 41-column table (a chain of numbers with a categorical every fourth
  column), 10,000 rows: seconds of a 5-epoch fit of the adapter.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from debiasgen import CausalGraph, CCGMSynthesizer, FairAdapter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_adapter import GRAPH, _table  # noqa: E402


def graph_own(graph: CausalGraph, sensitive: str) -> CausalGraph:
    """The graph's own dependences: no edge into ``sensitive``, ``sensitive`` a parent
    of every other column, the other roots chained in root order."""
    edges = [e for e in graph.edges if e[1] != sensitive]
    others = [c for c in graph.nodes if c != sensitive]
    roots = [r for r in graph.roots if r != sensitive]
    added = [(sensitive, c) for c in others]
    added += [(a, b) for k, b in enumerate(roots) for a in roots[:k]]
    return CausalGraph(sorted(set(edges) | set(added)), nodes=graph.nodes)


def adapter(kind: str, data: pd.DataFrame, graph, seed: int, **params) -> FairAdapter:
    synth = CCGMSynthesizer(random_state=seed, **params)
    common = {"sensitive": "sex", "reference": "M", "random_state": seed}
    if kind == "complete":
        return FairAdapter(synth, criterion="dp", graph=graph, **common)
    own = graph_own(CausalGraph(graph, nodes=list(data.columns)), "sex")
    return FairAdapter(synth.fit(data, graph=own), criterion="cf", **common)


def categories(X: pd.DataFrame) -> pd.DataFrame:
    """String columns as categories (gradient boosting's native categorical support)."""
    return X.astype({c: "category" for c in X.columns if not is_numeric_dtype(X[c])})


def dp_difference(pred, groups) -> float:
    rates = pd.Series(pred).groupby(np.asarray(groups)).mean()
    return float(rates.max() - rates.min())


def variance(seeds) -> pd.DataFrame:
    data = _table(4000, seed=1)
    train, test = data.iloc[:3000], data.iloc[3000:]
    X, y = train.drop(columns="y"), train["y"].rename("y")
    out = []
    for seed in seeds:
        for kind in ("own", "complete"):
            # the label, modelled as y, is a sink of both graphs
            a = adapter(kind, train, GRAPH + [("sex", "y")], seed, epochs=40,
                        hidden_size=32)
            clf = make_pipeline(a, FunctionTransformer(categories),
                                HistGradientBoostingClassifier(
                                    categorical_features="from_dtype", random_state=0))
            clf.fit(X, y)
            pred = clf.predict(test.drop(columns="y"))
            out.append({"seed": seed, "graph": kind, "dp": dp_difference(pred, test["sex"])})
    return pd.DataFrame(out).pivot(index="seed", columns="graph", values="dp")


def wide_table(n: int = 10_000, d: int = 40) -> tuple[pd.DataFrame, list]:
    rng = np.random.default_rng(0)
    sex = rng.choice(["F", "M"], n)
    cols = {"sex": sex}
    prev = (sex == "M").astype(float)
    for j in range(d):
        if j % 4 == 3:
            cols[f"c{j}"] = np.where(rng.random(n) < 0.3 + 0.3 * (prev > 0.5), "a",
                                     rng.choice(["b", "c", "d"], n))
        else:
            cols[f"x{j}"] = prev = 0.5 * prev + rng.normal(size=n)
    X = pd.DataFrame(cols)
    names = list(X.columns)
    graph = [("sex", c) for c in names[1:6]] + list(zip(names[1:-1], names[2:]))
    return X, graph


def width() -> pd.DataFrame:
    X, graph = wide_table()
    out = []
    for kind in ("own", "complete"):
        start = time.perf_counter()
        a = adapter(kind, X, graph, 0, epochs=5).fit(X)  # "own" fits its model first
        out.append({"graph": kind, "edges": len(a.graph_.edges),
                    "fit_s": time.perf_counter() - start, "epochs": len(a.model_.history_)})
    return pd.DataFrame(out).set_index("graph")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    print(f"# {time.strftime('%Y-%m-%d')}: python benchmarks/dp_graph_cost.py "
          f"--seeds {' '.join(map(str, args.seeds))}")
    print("\n## variance: DP difference of HGB on adapted rows, 1,000 test rows")
    print(variance(args.seeds).round(3).to_string())
    print("\n## width: 41 columns, 10,000 rows, a 5-epoch adapter fit")
    print(width().round(1).to_string())


if __name__ == "__main__":
    main()

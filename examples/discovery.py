"""Discover a causal graph from data, check it against the truth, and use it.

Run:  python examples/discovery.py [--nodes K] [--rows N] [--epochs E]

Draws rows from a random linear structural causal model whose graph and
interventional means are known exactly (debiasgen.datasets.make_scm), discovers
a graph from the rows with the PC algorithm (debiasgen.discover_graph, through
causal-learn), and compares it with the true graph edge by edge.  Each
discovered edge says where its direction came from: "data" (a v-structure the
data showed), "background" (knowledge) or "rule" (the DAG-extension rule: the
data only said the two columns are adjacent).  Then it fits the causal model
twice, under the discovered graph and under the true one, and compares the mean
of every column under do(X = 1) on the column with the most descendants against
the exact answer.

PC identifies a graph only up to its Markov equivalence class: an edge oriented by
"rule" can point the wrong way, and then interventions upstream of it come out
wrong (the fitted model can only reproduce the graph it is given).  Background
knowledge (``required=``, ``forbidden=``, ``tiers=``, ``sensitive=``, ``target=``)
fixes such directions.

``main`` prints the comparison for people and returns it as a ``DiscoveryResult``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pandas as pd

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import make_scm
from debiasgen.structure.discovery import discover_graph


def compare_edges(true_graph, found) -> pd.DataFrame:
    """One row per edge of either graph: its status in the discovered graph."""
    truth = set(true_graph.edges)
    origins = found.origins
    rows = []
    for parent, child in found.edges:
        if (parent, child) in truth:
            status = "correct"
        elif (child, parent) in truth:
            status = "reversed"
        else:
            status = "extra"
        rows.append((f"{parent} -> {child}", status, origins.get((parent, child), "")))
    for parent, child in sorted(truth):
        if (parent, child) not in found.edges and (child, parent) not in found.edges:
            rows.append((f"{parent} -> {child}", "missing", ""))
    return pd.DataFrame(rows, columns=["edge", "status", "origin"]).set_index("edge")


@dataclass(frozen=True)
class DiscoveryResult:
    """What ``main`` printed, as data.

    Attributes
    ----------
    n_true, n_found : int
        Number of edges in the true graph and in the discovered graph.
    edges : DataFrame
        ``compare_edges``: one row per edge of either graph (index ``edge``, "a -> b"),
        columns status (correct, reversed, extra, missing) and origin.
    counts : dict of str to int
        How many edges have each status (only the statuses that occur).
    intervened : str
        The column set to 1 (the one with the most descendants).
    means : DataFrame
        Mean of each column (index) under do(intervened = 1): columns "exact",
        "discovered graph", "true graph".
    error : Series
        Mean absolute error of each fitted model's means against "exact", indexed
        "discovered graph" and "true graph".
    """

    n_true: int
    n_found: int
    edges: pd.DataFrame
    counts: dict[str, int]
    intervened: str
    means: pd.DataFrame
    error: pd.Series


def main(argv: list[str] | None = None) -> DiscoveryResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=6)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--alpha", type=float, default=0.01,
                        help="significance level of PC's independence tests")
    args = parser.parse_args(argv)

    scm = make_scm("linear", args.nodes, random_state=3)
    data = scm.sample(args.rows, random_state=1)
    found = discover_graph(data, method="pc", alpha=args.alpha, random_state=0)
    table = compare_edges(scm.graph, found)
    counts = table["status"].value_counts()
    print(f"{args.nodes} columns, {args.rows:,} rows; true graph: {len(scm.graph.edges)} "
          f"edges; discovered: {len(found.edges)} edges")
    print(table.to_string())
    print("summary:", ", ".join(f"{k} {v}" for k, v in counts.items()))

    # do(X = 1) on the column with the most descendants, exact vs fitted models
    column = max(scm.columns, key=lambda c: (len(scm.graph.descendants(c)), c))
    exact = scm.interventional_mean({column: 1.0})
    means = {"exact": exact}
    for name, graph in [("discovered graph", found), ("true graph", scm.graph)]:
        synth = CCGMSynthesizer(epochs=args.epochs, random_state=0).fit(data, graph=graph)
        means[name] = synth.intervene({column: 1.0}, n=20_000, random_state=0).mean()
    frame = pd.DataFrame(means)
    print(f"\nMean of each column under do({column} = 1)")
    print(frame.round(3).to_string())
    error = frame.drop(columns="exact").sub(frame["exact"], axis=0).abs().mean()
    print("\nmean absolute error:", ", ".join(f"{k} {v:.3f}" for k, v in error.items()))
    return DiscoveryResult(
        n_true=len(scm.graph.edges), n_found=len(found.edges), edges=table,
        counts={str(k): int(v) for k, v in counts.items()}, intervened=column,
        means=frame, error=error,
    )


if __name__ == "__main__":
    main()

"""Structure-discovery benchmark: SHD and time of discover_graph against known truth.

Run:  python benchmarks/discovery.py [--quick] | tee benchmarks/results/discovery.txt

Three parts:

1. Synthetic SCMs (``make_scm``): linear-Gaussian with 10, 20 and 50 nodes and
   10k, 50k and 100k rows, and a mixed-type SCM (numeric, binary, nominal
   columns). Each row of the table is one method on one graph: ours
   (``discover_graph``) without and with background knowledge, and plain
   causal-learn PC (Fisher-z, or G-square on all-categorical data; its CPDAG
   extended to a DAG by causal-learn's ``pdag2dag``), which this benchmark imports
   directly as the baseline. The knowledge is true knowledge taken from the
   generating graph: the truth's topological order cut into three tiers, its
   first root as sensitive attribute and its last sink as target.
2. pgmpy's discrete networks (asia, sachs, child), 5,000 forward samples.
3. UCI Adult (15 columns, 45,222 rows; sensitive sex, race and age, target
   income), discovered graph beside the literature graph (DECAF's 39 edges over
   11 columns) with discovery times.

SHD counts missing, extra and reversed edges against the true DAG, so it also
counts orientations that observational data cannot identify; "skel" counts
adjacency errors only. Times are wall-clock seconds on a shared 2-core machine:
noisy, compare within a run.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from debiasgen.core.graph import CausalGraph, structural_hamming_distance
from debiasgen.datasets import adult_graph, load_adult, make_scm
from debiasgen.structure.discovery import discover_graph

ALPHA = 0.01


def skeleton_errors(a: CausalGraph, b: CausalGraph) -> int:
    return len({frozenset(e) for e in a.edges} ^ {frozenset(e) for e in b.edges})


def plain_pc(data: pd.DataFrame, test: str) -> CausalGraph:
    """causal-learn's PC as a user would call it (codes as numbers), to a DAG."""
    from causallearn.search.ConstraintBased.PC import pc
    from causallearn.utils.PDAG2DAG import pdag2dag

    matrix = np.column_stack(
        [
            data[c].cat.codes.to_numpy(float)
            if isinstance(data[c].dtype, pd.CategoricalDtype)
            else data[c].to_numpy(float)
            for c in data.columns
        ]
    )
    cg = pc(matrix, ALPHA, test, show_progress=False)
    marks = np.asarray(pdag2dag(cg.G).graph)
    names = list(data.columns)
    edges = [
        (names[i], names[j])
        for i in range(len(names))
        for j in range(len(names))
        if marks[j, i] == 1 and marks[i, j] == -1
    ]
    return CausalGraph(edges, nodes=names)


def true_knowledge(truth: CausalGraph) -> dict:
    """Tiers, sensitive and target that the true graph satisfies."""
    order = list(truth.topological_order())
    k = len(order)
    tiers = [order[: k // 3], order[k // 3 : 2 * k // 3], order[2 * k // 3 :]]
    sinks = [n for n in order if not truth.children(n)]
    return {"sensitive": truth.roots[0], "target": sinks[-1], "tiers": tiers}


def run(label, frame, truth, method, rows, **kwargs):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "causal-learn pc":
            found = plain_pc(frame, kwargs["test"])
        else:
            found = discover_graph(frame, method, ALPHA, max_rows=None, random_state=0, **kwargs)
    seconds = time.perf_counter() - start
    return {
        "graph": label,
        "nodes": len(truth),
        "edges": len(truth.edges),
        "rows": rows,
        "method": method,
        "knowledge": "tiers+s+y" if "tiers" in kwargs else "-",
        "ci_test": kwargs.get("ci_test", kwargs.get("test", "auto")),
        "SHD": structural_hamming_distance(found, truth),
        "skel": skeleton_errors(found, truth),
        "seconds": round(seconds, 1),
    }


def synthetic(quick: bool) -> list[dict]:
    rows = []
    configs = [(10, 10_000), (20, 50_000), (50, 100_000)]
    if quick:
        configs = [(10, 10_000)]
    for n_nodes, n_rows in configs:
        scm = make_scm("linear", n_nodes, random_state=n_nodes)
        data = scm.sample(n_rows, random_state=1)
        truth, label = scm.graph, f"linear-{n_nodes}"
        knowledge = true_knowledge(truth)
        first = len(rows)
        rows.append(run(label, data, truth, "causal-learn pc", n_rows, test="fisherz"))
        for method in ("pc", "fci", "ges"):
            if method == "ges" and n_nodes > 20:
                continue  # causal-learn's GES takes minutes beyond 20 nodes
            rows.append(run(label, data, truth, method, n_rows))
            rows.append(run(label, data, truth, method, n_rows, **knowledge))
        print(pd.DataFrame(rows[first:]).to_string(index=False), flush=True)
    scm = make_scm("mixed", 20, random_state=3)
    data = scm.sample(20_000, random_state=1)
    for col in data.columns:  # nominal columns as categories, as a user would load them
        if data[col].dtype == object:
            data[col] = data[col].astype("category")
    truth, label = scm.graph, "mixed-20"
    rows.append(run(label, data, truth, "causal-learn pc", 20_000, test="fisherz"))
    for ci_test in ("mixed", "fisherz", "gsq"):
        rows.append(run(label, data, truth, "pc", 20_000, ci_test=ci_test))
    rows.append(run(label, data, truth, "pc", 20_000, ci_test="mixed", **true_knowledge(truth)))
    return rows


def networks() -> list[dict]:
    with warnings.catch_warnings():  # pgmpy announces its 1.3 renames on import
        warnings.simplefilter("ignore")
        from pgmpy.sampling import BayesianModelSampling
        from pgmpy.utils import get_example_model

    rows = []
    for name in ("asia", "sachs", "child"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = get_example_model(name)
            data = BayesianModelSampling(model).forward_sample(
                size=5000, seed=0, show_progress=False
            )
        data = data.astype(str).astype("category")
        truth = CausalGraph([(str(p), str(c)) for p, c in model.edges()], nodes=list(data.columns))
        knowledge = true_knowledge(truth)
        rows.append(run(name, data, truth, "causal-learn pc", 5000, test="chisq"))
        for method in ("pc", "fci", "ges"):
            rows.append(run(name, data, truth, method, 5000))
            rows.append(run(name, data, truth, method, 5000, **knowledge))
        rows.append(run(name, data, truth, "pc", 5000, ci_test="mixed"))
    return rows


def adult() -> None:
    frame = load_adult()
    literature = adult_graph()
    kept = set(literature.nodes)
    print(f"\nAdult: {frame.shape[0]} rows x {frame.shape[1]} columns; sensitive sex, race, age; "
          "target income; max_rows=20,000 (default), random_state=0")  # fmt: skip
    for method in ("pc", "fci", "ges"):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = discover_graph(
                frame, method, ALPHA, sensitive=["sex", "race", "age"], target="income",
                random_state=0,
            )  # fmt: skip
        seconds = time.perf_counter() - start
        sub = CausalGraph(
            [e for e in found.edges if set(e) <= kept],
            nodes=literature.nodes,
            origins={e: o for e, o in found.origins.items() if set(e) <= kept},
        )
        both = [e for e in sub.edges if literature.has_edge(*e)]
        reversed_ = [e for e in sub.edges if literature.has_edge(e[1], e[0])]
        only_found = [e for e in sub.edges if e not in set(both) | set(reversed_)]
        only_lit = [
            e for e in literature.edges if not sub.has_edge(*e) and not sub.has_edge(e[1], e[0])
        ]
        origins = pd.Series(found.origins).value_counts().to_dict()
        print(f"\n[{method}] {seconds:.1f} s; {len(found.edges)} edges over all 15 columns "
              f"(origins {origins}); over the literature's 11 columns: {len(sub.edges)} edges, "
              f"SHD to literature {structural_hamming_distance(sub, literature)}")  # fmt: skip

        def fmt(edges, graph=sub):
            return ", ".join(f"{p}->{c}[{graph.origin(p, c) or '-'}]" for p, c in edges)

        print(f"  in both ({len(both)}): {fmt(both)}")
        print(f"  reversed vs literature ({len(reversed_)}): {fmt(reversed_)}")
        print(f"  only discovered ({len(only_found)}): {fmt(only_found)}")
        print(
            f"  only literature ({len(only_lit)}): " + ", ".join(f"{p}->{c}" for p, c in only_lit)
        )
        extra = [e for e in found.edges if not set(e) <= kept]
        print(f"  edges touching the 4 columns outside the literature graph ({len(extra)}): "
              + ", ".join(f"{p}->{c}" for p, c in extra))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 10-node SCM")
    args = parser.parse_args()
    start = time.perf_counter()
    pd.set_option("display.width", 200)
    print("== synthetic SCMs (true knowledge: 3 tiers from the truth's order, a root as "
          "sensitive, a sink as target) ==")  # fmt: skip
    table = pd.DataFrame(synthetic(args.quick))
    print("\n" + table.to_string(index=False))
    if not args.quick:
        print("\n== pgmpy networks (5,000 forward samples) ==")
        print(pd.DataFrame(networks()).to_string(index=False))
        adult()
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

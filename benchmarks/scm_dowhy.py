"""debiasgen vs DoWhy gcm on known-truth SCMs: interventions, counterfactuals, edge removal.

For each SCM kind and size (``debiasgen.datasets.make_scm``) both models are fitted on
the same rows with the true graph; their ``do()`` samples and unit counterfactuals are
scored with :mod:`debiasgen.evaluation.known_truth` against the SCM's exact answers.
DoWhy is an optional, benchmark-only dependency (``pip install dowhy``; it needs
``scipy<=1.15.3``, so a separate environment is simplest).

Columns (medians over seeds; numeric errors in observational sd):

* ``fit_s``: fit time in seconds (2 shared cores: compare the ratio, not the seconds);
* ``do_mean``: mean |error of the interventional mean| over the descendants (numeric
  and binary) of the treatment, at its 10/50/90% quantiles (or each category);
* ``do_dist``: mean energy distance (numeric) / total variation (categorical) between
  model and true interventional samples; ``floor``: two true samples;
* ``cf_rmse``: counterfactual RMSE over numeric descendants, same interventions;
  ``cf_floor``: the same for the truth with categorical noise drawn from its
  posterior (what a perfect model that only sees the rows gets; 0 without
  categorical ancestors);
* ``cf_acc``: counterfactual accuracy over binary/categorical descendants;
* ``rm_*``: removing one edge (``s -> y`` for ``fairness``; else the treatment's
  first out-edge): mean error and distance of the de-biased samples, and the
  counterfactual RMSE of the affected numeric columns (``rm_cf``) and accuracy of
  the affected binary/categorical ones (``rm_acc``), each with its floor (two draws
  of the truth: the removed parent is an independent draw).

Run ``python benchmarks/scm_dowhy.py --help``; DoWhy's side is skipped with
``--no-dowhy`` or when DoWhy is not installed.  The benchmark sets each library to
one thread, and seeds numpy's global generator before each DoWhy call (DoWhy draws
from it).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import make_scm
from debiasgen.evaluation.known_truth import (
    counterfactual_error,
    edge_removal_error,
    intervention_grid,
    interventional_error,
)


class DoWhyModel:
    """DoWhy gcm behind the duck-typed model API of :mod:`debiasgen.evaluation.known_truth`."""

    def __init__(self, graph, data: pd.DataFrame):
        from dowhy import gcm

        self._gcm = gcm
        gcm.config.disable_progress_bars()
        self.columns = list(data.columns)
        self.dtypes = data.dtypes
        self.model = gcm.InvertibleStructuralCausalModel(graph.to_networkx())
        train = self._to_dowhy(data)
        np.random.seed(0)
        gcm.auto.assign_causal_mechanisms(self.model, train)
        gcm.fit(self.model, train)

    def _to_dowhy(self, frame):
        # DoWhy recognises categorical nodes by object (string) dtype
        return frame.astype({c: object for c in frame.columns
                             if isinstance(frame[c].dtype, pd.CategoricalDtype)})

    def _from_dowhy(self, frame):
        frame = frame[self.columns].copy()
        for c in self.columns:
            if isinstance(self.dtypes[c], pd.CategoricalDtype):
                frame[c] = frame[c].astype(str)
        return frame

    @staticmethod
    def _seed(random_state):
        np.random.seed(int(random_state or 0) % 2**32)

    def _interventions(self, interventions):
        return {k: (v if callable(v) else (lambda x, v=v: v)) for k, v in interventions.items()}

    def sample(self, n, random_state=None):
        self._seed(random_state)
        return self._from_dowhy(self._gcm.draw_samples(self.model, n))

    def intervene(self, interventions, n, random_state=None):
        self._seed(random_state)
        out = self._gcm.interventional_samples(
            self.model, self._interventions(interventions), num_samples_to_draw=n)
        return self._from_dowhy(out)

    def counterfactual(self, X, interventions, random_state=None):
        self._seed(random_state)
        out = self._gcm.counterfactual_samples(
            self.model, self._interventions(interventions), observed_data=self._to_dowhy(X))
        return self._from_dowhy(out).set_axis(X.index)


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text if len(text) < 70 else text[:67] + "..."


def _summarise_do(err):
    num = err[err["kind"] != "categorical"]
    return {"do_mean": num["mean_error"].abs().mean(), "do_dist": err["distance"].mean(),
            "floor": err["floor"].mean()}


def _summarise_cf(err, treatment):
    aff = err[err["affected"] & (err.index.get_level_values("column") != treatment)]
    num = aff[aff["metric"] == "rmse_sd"]
    cat = aff[aff["metric"] == "accuracy"]
    return {"cf_rmse": num["value"].mean(), "cf_floor": num["floor"].mean(),
            "cf_acc": cat["value"].mean() if len(cat) else np.nan}


def _summarise_rm(err):
    sample = err.loc["sample"]
    out = {"rm_mean": sample.loc[sample["kind"] != "categorical", "value"].abs().mean(),
           "rm_dist": sample["distance"].mean()}
    if "counterfactual" in err.index.get_level_values(0):
        cf = err.loc["counterfactual"]
        cf = cf[cf.index.isin(sample.index)]
        num, cat = cf[cf["metric"] == "rmse_sd"], cf[cf["metric"] == "accuracy"]
        out.update(rm_cf=num["value"].mean(), rm_cf_floor=num["floor"].mean(),
                   rm_acc=cat["value"].mean(), rm_acc_floor=cat["floor"].mean())
    return out


def _run_one(kind, n_nodes, seed, args):
    scm = make_scm(kind, n_nodes, random_state=seed)
    data = scm.sample(args.rows, random_state=seed + 1000)
    treatment = max(scm.graph.roots, key=lambda r: len(scm.graph.descendants(r)))
    grid = intervention_grid(scm, treatment, quantiles=(0.1, 0.5, 0.9), random_state=seed)
    edge = ("s", "y") if kind == "fairness" else (treatment, scm.graph.children(treatment)[0])
    rows = []
    models = ["debiasgen"] + ([] if args.no_dowhy else ["dowhy"])
    for name in models:
        row = {"kind": kind, "nodes": n_nodes, "seed": seed, "model": name}
        t0 = time.perf_counter()
        try:
            if name == "debiasgen":
                model = CCGMSynthesizer(epochs=args.epochs, random_state=seed).fit(
                    data, graph=scm.graph)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = DoWhyModel(scm.graph, data)
        except Exception as exc:  # a failure is a result of the benchmark
            row["note"] = f"fit fails: {_short(exc)}"
            rows.append(row)
            continue
        row["fit_s"] = time.perf_counter() - t0
        rs = seed + 7
        for label, query in [
            ("do", lambda m=model, rs=rs: _summarise_do(interventional_error(
                m, scm, grid, n=args.n_eval, random_state=rs))),
            ("cf", lambda m=model, rs=rs: _summarise_cf(counterfactual_error(
                m, scm, grid, n=args.n_units, random_state=rs), treatment)),
        ]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    row.update(query())
            except Exception as exc:
                row["note"] = (row.get("note", "") + f" {label} fails: {_short(exc)}").strip()
        if name == "debiasgen":
            row.update(_summarise_rm(edge_removal_error(
                model.debias(remove_edges=[edge]), scm, [edge], n=args.n_eval,
                n_units=args.n_units, random_state=rs)))
        else:
            row["note"] = (row.get("note", "") + " edge removal n/a (refit needed)").strip()
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=["linear", "nonlinear", "mixed", "fairness"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[5, 15])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--rows", type=int, default=5000, help="training rows")
    parser.add_argument("--n-eval", type=int, default=5000, help="rows per interventional draw")
    parser.add_argument("--n-units", type=int, default=2000, help="units for counterfactuals")
    parser.add_argument("--epochs", type=int, default=60, help="debiasgen's maximum epochs")
    parser.add_argument("--no-dowhy", action="store_true", help="run debiasgen only")
    args = parser.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)  # small models: one thread is faster on a shared machine
    except ImportError:
        pass
    if not args.no_dowhy:
        try:
            import dowhy  # noqa: F401
        except ImportError:
            print("DoWhy is not installed (pip install dowhy); running debiasgen only.\n")
            args.no_dowhy = True
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=1)
    except ImportError:
        limits = None
    print(f"rows={args.rows} n_eval={args.n_eval} n_units={args.n_units} "
          f"epochs={args.epochs} seeds={args.seeds}", flush=True)
    rows = []
    for kind in args.kinds:
        for size in args.sizes:
            for seed in args.seeds:
                rows += _run_one(kind, size, seed, args)
                last = pd.DataFrame(rows[-2:]) if not args.no_dowhy else pd.DataFrame(rows[-1:])
                print(last.round(3).to_string(index=False), flush=True)
    del limits
    frame = pd.DataFrame(rows)
    numbers = [c for c in ["fit_s", "do_mean", "do_dist", "floor", "cf_rmse", "cf_floor",
                           "cf_acc", "rm_mean", "rm_dist", "rm_cf", "rm_cf_floor", "rm_acc",
                           "rm_acc_floor"]
               if c in frame]
    table = frame.groupby(["kind", "nodes", "model"], sort=False)[numbers].median()
    notes = frame.groupby(["kind", "nodes", "model"], sort=False)["note"].agg(
        lambda s: "; ".join(sorted({str(x) for x in s.dropna()}))) if "note" in frame else None
    if notes is not None:
        table["note"] = notes
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_colwidth", 80)
    print("\nMedians over seeds (errors in sd units; lower is better except cf_acc)")
    print(table.round(3).to_string())
    if "dowhy" in frame["model"].values:
        fit = frame.pivot_table(index=["kind", "nodes", "seed"], columns="model", values="fit_s")
        print("\nfit time ratio debiasgen / dowhy (median):",
              round(float((fit["debiasgen"] / fit["dowhy"]).median()), 2))


if __name__ == "__main__":
    main()

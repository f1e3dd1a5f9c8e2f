"""Scale: one table of fit and generation cost against rows, each measure in its own process.

Issue 11's measures, side by side, each configuration run in a fresh child process
whose peak RSS is read from the OS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

* ``fit N``: streaming fit of N Adult-like rows from Parquet (drawn from a model fitted
  on the bundled Adult, :mod:`streaming_fit`'s children), a fixed number of epochs:
  seconds per epoch, rows/s per epoch, peak RSS.  Targets: cost linear in rows,
  >= 80,000 rows/s per epoch on 2 cores, 10M rows within 2 GB.
* ``adult fit``: ``CCGMSynthesizer().fit(load_adult(), graph=adult_graph())`` with
  defaults, median seconds of ``--adult-runs`` fits after a first one (which also pays
  one-time imports, shown apart), with the fidelity of the last one
  (sdmetrics-style quality, detection AUC) and TSTR AUROC (HistGradientBoosting
  trained on synthetic rows, tested on real ones; :mod:`adult_core`).  Targets:
  <= 12 s, quality >= .98, AUROC >= .915.
* ``fit N, graph discovered``: the same source fitted without a graph (``--discover-rows``):
  the encoder pass keeps a hashed sample of rows and the graph is discovered on it
  (``sensitive="sex"``, ``target="income"``), then one epoch; total seconds and peak RSS
  (memory must stay bounded as with a given graph).
* ``adapt N``: a ``dp`` :class:`~debiasgen.FairAdapter` (reference ``"Male"``, the
  literature graph) fitted from the same source (``--adapt-rows``; one epoch, income
  as the label), then ``transform_to_parquet`` of the source: seconds of each and peak
  RSS (bounded, as the fit's).
* ``sample N``: in-memory ``sample`` (target: 1M rows <= 4 s).
* ``sample N, de-biased``: in-memory ``sample`` of the model de-biased with the ``dp``
  preset (sensitive ``sex``, target ``income``; ``--debiased-rows``): a shadow pass
  and the cut edges' mixed inputs on top of plain sampling.
* ``sample_to_parquet N``: streamed to a temporary file, deleted after (targets:
  >= 300,000 rows/s, peak RSS <= 1.5 GB for 100M rows).

Absolute seconds on a shared 2-core machine are noisy: compare ratios and medians.
The Dask measure is :mod:`dask_scale` (a separate script: it needs a cluster).

    .venv/bin/python benchmarks/scale.py --fit-rows 10000 100000 --sample-rows 1000000 \\
        --parquet-rows 10000000 --adult-runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _model(folder: str):
    from debiasgen import CCGMSynthesizer

    return CCGMSynthesizer.load(Path(folder) / "model.dbg")


# -- children: each prints one JSON line -----------------------------------------
def child_prepare(folder: str, sizes: list[int]) -> dict:
    """A model fitted on Adult (10 epochs), and the Parquet tables for ``fit N``."""
    from debiasgen import CCGMSynthesizer
    from debiasgen.datasets import adult_graph, load_adult

    path = Path(folder) / "model.dbg"
    if not path.exists():
        CCGMSynthesizer(epochs=10, random_state=0).fit(
            load_adult(), graph=adult_graph()).save(path)
    if sizes:
        from streaming_fit import child_generate

        child_generate(folder, sizes)
    return {}


def child_fit(folder: str, n: int, epochs: int) -> dict:
    import contextlib
    import io

    from streaming_fit import child_fit as fit

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        fit(str(Path(folder) / f"adult_{n}.parquet"), epochs)
    r = json.loads(buffer.getvalue().strip().splitlines()[-1])
    return {"seconds": r["epoch_s"], "rows_per_s": r["train_rows"] / r["epoch_s"],
            "note": f"{epochs} epoch(s); encoder pass and location heads {r['other_s']:.1f} s"}


def child_adult(folder: str, runs: int) -> dict:
    from adult_core import fidelity, utility
    from sklearn.model_selection import train_test_split

    from debiasgen import CCGMSynthesizer
    from debiasgen.datasets import adult_graph, load_adult

    data = load_adult()
    train, test = train_test_split(data, test_size=2000, stratify=data["income"],
                                   random_state=0)
    # the first fit of a process also pays one-time imports (torch's optimizers import
    # torch._dynamo, about 1.2 s): timed apart, with its seed fitted again below
    t = time.perf_counter()
    CCGMSynthesizer(random_state=0).fit(train, graph=adult_graph())
    first = time.perf_counter() - t
    seconds, epochs = [], []
    for seed in range(runs):
        t = time.perf_counter()
        model = CCGMSynthesizer(random_state=seed).fit(train, graph=adult_graph())
        seconds.append(time.perf_counter() - t)
        epochs.append(len(model.history_))
    synthetic = model.sample(len(train), random_state=0)
    fid = fidelity(train, synthetic)
    return {"seconds": statistics.median(seconds), "rows_per_s": None,
            "note": (f"median of {runs} (seeds 0-{runs - 1}: "
                     f"{', '.join(f'{x:.1f}' for x in seconds)} s, {epochs} epochs; the "
                     f"first fit of the process {first:.1f} s); quality "
                     f"{fid['quality']:.3f}, detection AUC {fid['detection_auc']:.3f}, "
                     f"TSTR AUROC {utility(synthetic, test):.3f}")}


def child_sample(folder: str, n: int) -> dict:
    model = _model(folder)
    t = time.perf_counter()
    model.sample(n, random_state=0)
    s = time.perf_counter() - t
    return {"seconds": s, "rows_per_s": n / s, "note": "in memory"}


def child_debiased(folder: str, n: int) -> dict:
    model = _model(folder).debias(sensitive="sex", target="income", criterion="dp")
    t = time.perf_counter()
    model.sample(n, random_state=0)
    s = time.perf_counter() - t
    return {"seconds": s, "rows_per_s": n / s, "note": "in memory, dp preset"}


def child_parquet(folder: str, n: int, chunk_rows: int) -> dict:
    model = _model(folder)
    path = Path(folder) / f"sample_{n}.parquet"
    t = time.perf_counter()
    model.sample_to_parquet(path, n, chunk_rows=chunk_rows, random_state=0)
    s = time.perf_counter() - t
    size = path.stat().st_size
    path.unlink()
    return {"seconds": s, "rows_per_s": n / s,
            "note": f"chunk_rows {chunk_rows:,}; {size / 2**20:,.0f} MiB"}


def child_discover(folder: str, n: int) -> dict:
    from debiasgen import CCGMSynthesizer

    start = time.perf_counter()
    synth = CCGMSynthesizer(epochs=1, random_state=0).fit(
        str(Path(folder) / f"adult_{n}.parquet"), sensitive="sex", target="income")
    return {"seconds": time.perf_counter() - start, "rows_per_s": None,
            "note": f"total: encoder pass, discovery ({len(synth.graph_.edges)} edges), "
                    "1 epoch"}


def child_adapt(folder: str, n: int) -> dict:
    from debiasgen import CCGMSynthesizer, FairAdapter
    from debiasgen.datasets import adult_graph

    source = str(Path(folder) / f"adult_{n}.parquet")
    start = time.perf_counter()
    adapter = FairAdapter(CCGMSynthesizer(epochs=1, random_state=0), sensitive="sex",
                          reference="Male", criterion="dp", graph=adult_graph(),
                          random_state=0).fit(source, "income")
    fit_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        adapter.transform_to_parquet(source, Path(tmp) / "adapted.parquet")
        adapt_s = time.perf_counter() - start
    return {"seconds": fit_s + adapt_s, "rows_per_s": n / adapt_s,
            "note": f"fit (1 epoch) {fit_s:.1f} s, transform_to_parquet {adapt_s:.1f} s "
                    "(rows/s: the transform)"}


CHILDREN = {"prepare": child_prepare, "fit": child_fit, "adult": child_adult,
            "sample": child_sample, "debiased": child_debiased, "parquet": child_parquet,
            "discover": child_discover,
            "adapt": child_adapt}


def run_child(name: str, *args) -> dict:
    """Run one measure in a fresh process; its result with the child's peak RSS."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, *map(str, args)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit-rows", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--epochs", type=int, default=1, help="epochs of each fit N")
    parser.add_argument("--adult-runs", type=int, default=3, help="0 skips the Adult fit")
    parser.add_argument("--discover-rows", type=int, nargs="*", default=[],
                        help="sizes N to fit from Parquet with the graph discovered")
    parser.add_argument("--adapt-rows", type=int, nargs="*", default=[],
                        help="sizes N to fit a dp FairAdapter from Parquet and adapt")
    parser.add_argument("--sample-rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--debiased-rows", type=int, nargs="*", default=[],
                        help="sizes N to sample in memory from the dp-de-biased model")
    parser.add_argument("--parquet-rows", type=int, nargs="*", default=[10_000_000])
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--folder", default=None, help="keeps the model and Parquet tables")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, *rest = args.child
        func = CHILDREN[name]
        values = [rest[0]] + [int(v) for v in rest[1:]]
        result = func(values[0], values[1:]) if name == "prepare" else func(*values)
        result["peak_rss_mb"] = _rss_mb()
        print(json.dumps(result))
        return
    folder = args.folder or tempfile.mkdtemp(prefix="debiasgen-scale-")
    os.makedirs(folder, exist_ok=True)
    run_child("prepare", folder, *sorted(set(args.fit_rows) | set(args.discover_rows)
                                         | set(args.adapt_rows)))
    jobs = [(f"fit {n:,}", "fit", n, args.epochs) for n in args.fit_rows]
    jobs += [(f"fit {n:,}, graph discovered", "discover", n) for n in args.discover_rows]
    jobs += [(f"adapt {n:,} (dp, from Parquet)", "adapt", n) for n in args.adapt_rows]
    if args.adult_runs:
        jobs.append(("adult fit (defaults)", "adult", args.adult_runs))
    jobs += [(f"sample {n:,}", "sample", n) for n in args.sample_rows]
    jobs += [(f"sample {n:,}, de-biased", "debiased", n) for n in args.debiased_rows]
    jobs += [(f"sample_to_parquet {n:,}", "parquet", n, args.chunk_rows)
             for n in args.parquet_rows]
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs (shared: compare "
          "ratios), each row a fresh process")
    print(f"{'measure':<32} {'seconds':>9} {'rows/s':>11} {'peak RSS MB':>12}  note")
    for label, name, *rest in jobs:
        r = run_child(name, folder, *rest)
        rate = "" if r["rows_per_s"] is None else f"{r['rows_per_s']:,.0f}"
        print(f"{label:<32} {r['seconds']:>9.2f} {rate:>11} {r['peak_rss_mb']:>12,.0f}  "
              f"{r['note']}", flush=True)


if __name__ == "__main__":
    main()

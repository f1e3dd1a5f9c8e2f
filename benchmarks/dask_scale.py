"""Generation throughput: one process vs Dask on a local cluster, UCI Adult model.

Run:  python benchmarks/dask_scale.py [--rows 2000000 10000000] [--repeats 3]
                                      [--workers 2] [--epochs 5] [--parquet]
                                      [--model adult.debiasgen] [--threads 1]
                                      [--npartitions 4]

Fits one model on UCI Adult (``epochs=5`` by default to save time: generation cost
does not depend on how long the model was trained; with ``--model PATH`` the model
is loaded from PATH, or fitted and saved there), then times drawing ``n`` rows

* in one process: ``generate_partition(model, n, seed)``, the in-memory DataFrame,
  with one torch thread and with torch's default number of threads;
* with Dask on a ``LocalCluster`` of ``--workers`` worker processes of one thread
  each: ``debiasgen.integrations.dask.sample(model, n)`` with its default partitions
  (one per million rows), computed as ``map_partitions(len)`` so that the rows are
  generated on the workers and only their counts travel back;
* with ``--parquet`` also Dask writing the rows with ``to_parquet`` (a temporary
  folder).

Each figure is the median of ``--repeats`` runs (one run above 5M rows); the
workers are warmed up first (importing torch and unpickling the model happen once
per worker).  ``ratio`` is rows/s over the faster one-process figure for the same
``n``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import tempfile
import time

import pandas as pd

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import adult_graph, load_adult
from debiasgen.model.partition import generate_partition


def timed(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--parquet", action="store_true")
    parser.add_argument("--model", default=None)
    parser.add_argument("--npartitions", type=int, default=None,
                        help="Dask partitions (default: sample's, one per million rows)")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch threads of the one-process runs (default: 1 and torch's "
                             "default)")
    args = parser.parse_args(argv)

    import dask
    import distributed
    import torch

    from debiasgen.integrations import dask as dgd

    data = load_adult()
    t0 = time.perf_counter()
    if args.model and os.path.exists(args.model):
        model = CCGMSynthesizer.load(args.model)
        how = f"loaded from {args.model}"
    else:
        model = CCGMSynthesizer(epochs=args.epochs, random_state=0).fit(data,
                                                                        graph=adult_graph())
        how = f"fitted with epochs={model.epochs} in {time.perf_counter() - t0:.1f} s"
        if args.model:
            model.save(args.model)
    threads = torch.get_num_threads()
    print(f"Adult: {len(data):,} rows, {data.shape[1]} columns; model {how}; pickled "
          f"{len(pickle.dumps(model)) / 2**20:.2f} MiB; {os.cpu_count()} CPUs; torch's "
          f"default {threads} threads")

    rows = []

    def record(**row):
        rows.append(row)
        print(f"  {row['rows']:>12,} rows  {row['engine']:<52} {row['seconds']:8.2f} s",
              flush=True)

    for n in args.rows:
        repeats = args.repeats if n <= 5_000_000 else 1
        for k in args.threads or sorted({1, threads}):
            torch.set_num_threads(k)
            one = timed(lambda n=n: generate_partition(model, n, 12345), repeats)
            record(rows=n, engine=f"one process, {k} torch thread(s)", partitions=1,
                   seconds=one)
        torch.set_num_threads(threads)

    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off
    # glibc's adaptive mmap threshold: every large array is then mmapped and faulted in
    # anew (measured: generation about 2x slower); None unsets it (Dask's documented way).
    # Unset first: a nanny also writes its variables into this process's environment,
    # which later workers inherit.
    trims = {"MALLOC_TRIM_THRESHOLD_ unset": {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None},
        "Dask's worker env": {}}
    for label, config in trims.items():
        with dask.config.set(config), \
                distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=":0") as cluster, \
                distributed.Client(cluster):
            # warm-up: every worker imports torch and unpickles the model once
            warm = dgd.sample(model, 1_000 * args.workers, npartitions=args.workers,
                              random_state=0)
            warm.map_partitions(len).compute()
            for n in args.rows:
                repeats = args.repeats if n <= 5_000_000 else 1
                ddf = dgd.sample(model, n, npartitions=args.npartitions, random_state=12345)

                def count(n=n):
                    # a new frame each time: computing one frame object again could come
                    # back in a fraction of the time (a run of 2 repeats gave a median
                    # of 9.3 s where each fresh computation took 17.5 s)
                    again = dgd.sample(model, n, npartitions=args.npartitions,
                                       random_state=12345)
                    assert int(again.map_partitions(len).compute().sum()) == n

                engine = f"dask, {args.workers} workers, {label}"
                record(rows=n, engine=engine, partitions=ddf.npartitions,
                       seconds=timed(count, repeats))
                if args.parquet:
                    with tempfile.TemporaryDirectory() as tmp:
                        def write(ddf=ddf, tmp=tmp):
                            ddf.to_parquet(os.path.join(tmp, "rows"))

                        record(rows=n, engine=f"{engine} -> to_parquet",
                               partitions=ddf.npartitions, seconds=timed(write, 1))

    table = pd.DataFrame(rows)
    table["rows/s"] = table["rows"] / table["seconds"]
    one = table[table["engine"].str.startswith("one process")].groupby("rows")["rows/s"].max()
    table["ratio"] = table["rows/s"] / table["rows"].map(one)
    with pd.option_context("display.float_format", "{:,.2f}".format, "display.width", 120):
        print(table.to_string(index=False, formatters={"rows": "{:,}".format,
                                                       "rows/s": "{:,.0f}".format}))
    return table


if __name__ == "__main__":
    main()

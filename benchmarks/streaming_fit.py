"""Streaming fit from Parquet: seconds per epoch, rows/s and peak RSS against rows.

Adult-like rows are drawn from a model fitted on the bundled Adult and written to
Parquet (row groups of 131,072 rows); each size is then fitted by
``CCGMSynthesizer.fit(path, graph=adult_graph())`` in a fresh process, for a fixed
number of epochs (patience larger than the epochs).  The child reports the epochs'
seconds (each with its validation pass), the rest of the fit's (the encoder pass
before them, the location heads fitted once after them; torch's one-time import of
``torch._dynamo`` is paid before timing) and its own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``); the parent prints them with
``RUSAGE_CHILDREN`` (the largest child so far) beside.

    .venv/bin/python benchmarks/streaming_fit.py --sizes 100000 1000000 --epochs 1

Targets of issue 11: cost linear in rows, peak RSS of 10M rows <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROW_GROUP = 131_072


def _rss_mb(who) -> float:
    kb = resource.getrusage(who).ru_maxrss  # KiB on Linux
    return kb / 1024.0


def child_generate(folder: str, sizes: list[int]) -> None:
    from debiasgen import CCGMSynthesizer
    from debiasgen.datasets import adult_graph, load_adult

    model = CCGMSynthesizer(epochs=10, random_state=0).fit(load_adult(), graph=adult_graph())
    for n in sizes:
        path = Path(folder) / f"adult_{n}.parquet"
        if not path.exists():
            t = time.perf_counter()
            model.sample_to_parquet(path, n, chunk_rows=ROW_GROUP, random_state=n)
            print(f"wrote {n:,} rows in {time.perf_counter() - t:.1f} s "
                  f"({path.stat().st_size / 2**20:.0f} MiB)", file=sys.stderr)


def child_fit(path: str, epochs: int) -> None:
    import debiasgen.nn.streaming as streaming
    from debiasgen import CCGMSynthesizer
    from debiasgen.datasets import adult_graph

    # the epochs alone (each with its validation pass): not the encoder pass before
    # them, nor the location heads fitted once after them
    spent = {}
    original = streaming.train_stream

    def timed(*args, **kwargs):
        t = time.perf_counter()
        out = original(*args, **kwargs)
        spent["train"] = time.perf_counter() - t
        return out

    streaming.train_stream = timed
    # the first optimizer of a process imports torch._dynamo (about 1.3 s): a one-time
    # cost, not one of the epochs timed here
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    t = time.perf_counter()
    model = CCGMSynthesizer(epochs=epochs, patience=10 * epochs, random_state=0)
    model.fit(path, graph=adult_graph())
    total = time.perf_counter() - t
    rows = model.history_[0]["rows"]
    print(json.dumps({
        "total_s": total, "other_s": total - spent["train"],
        "epoch_s": spent["train"] / len(model.history_), "train_rows": rows,
        "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--folder", default=None, help="where the Parquet files are kept")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "generate":
            child_generate(args.child[1], [int(n) for n in args.child[2:]])
        else:
            child_fit(args.child[1], int(args.child[2]))
        return
    folder = args.folder or tempfile.mkdtemp(prefix="debiasgen-stream-")
    os.makedirs(folder, exist_ok=True)
    me = [sys.executable, os.path.abspath(__file__)]
    subprocess.run(me + ["--child", "generate", folder, *map(str, args.sizes)], check=True)
    print(f"streaming fit, {args.epochs} epoch(s), row groups of {ROW_GROUP:,} rows, "
          f"{os.cpu_count()} CPUs (shared machine: timings are noisy)")
    header = (f"{'rows':>11} {'other s':>15} {'s/epoch':>9} {'rows/s':>9} "
              f"{'peak RSS MB':>12} {'children max MB':>16}")
    print(header)
    for n in args.sizes:
        path = os.path.join(folder, f"adult_{n}.parquet")
        out = subprocess.run(me + ["--child", "fit", path, str(args.epochs)], check=True,
                             capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{n:>11,} {r['other_s']:>15.1f} {r['epoch_s']:>9.1f} "
              f"{r['train_rows'] / r['epoch_s']:>9,.0f} {r['peak_rss_mb']:>12,.0f} "
              f"{_rss_mb(resource.RUSAGE_CHILDREN):>16,.0f}", flush=True)


if __name__ == "__main__":
    main()

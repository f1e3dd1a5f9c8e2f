"""Does a fit streamed from Parquet model the data as well as the in-memory fit?

Run:  python benchmarks/streaming_quality.py [--seeds 0 1 2] [--row-group 8192]

UCI Adult's training split (2,000 rows held out for TSTR, as in ``scale.py``) is
written to Parquet in row groups of ``--row-group`` rows, then fitted with defaults
twice per seed, ``CCGMSynthesizer(random_state=seed).fit(X, graph=adult_graph())``
with ``X`` the DataFrame and with ``X`` the Parquet file.  For each fit it prints the
epochs, the last validation loss and what ``scale.py`` prints for Adult: the
sdmetrics-style quality and detection AUC of as many generated rows as training rows,
and the TSTR AUROC on the held-out rows; then the mean of each over the seeds.

The two fits differ only where streaming must: the encoder's numeric bins come from a
bounded sketch (all values, on a table this size), the held-out rows are chosen by a
hash of the row number instead of a permutation, and the rows pass a shuffle buffer
(larger than this table, so every epoch is one permutation).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from adult_core import fidelity, utility
from sklearn.model_selection import train_test_split

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import adult_graph, load_adult


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--row-group", type=int, default=8192)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    data = load_adult()
    train, test = train_test_split(data, test_size=2000, stratify=data["income"],
                                   random_state=0)
    train = train.reset_index(drop=True)
    results: dict[str, list[dict]] = {"in memory": [], "from Parquet": []}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "adult_train.parquet"
        train.to_parquet(path, row_group_size=args.row_group)
        print(f"{'fit':<14} {'seed':>4} {'seconds':>8} {'epochs':>6} {'val loss':>9} "
              f"{'quality':>8} {'detection':>9} {'TSTR':>6}")
        for seed in args.seeds:
            for name, X in (("in memory", train), ("from Parquet", str(path))):
                start = time.perf_counter()
                model = CCGMSynthesizer(random_state=seed).fit(X, graph=adult_graph())
                seconds = time.perf_counter() - start
                synthetic = model.sample(len(train), random_state=seed)
                fid = fidelity(train, synthetic)
                row = {"seconds": seconds, "epochs": len(model.history_),
                       "val_loss": model.history_[-1]["val_loss"],
                       "quality": fid["quality"], "detection": fid["detection_auc"],
                       "tstr": utility(synthetic, test)}
                results[name].append(row)
                print(f"{name:<14} {seed:>4} {seconds:>8.1f} {row['epochs']:>6} "
                      f"{row['val_loss']:>9.3f} {row['quality']:>8.3f} "
                      f"{row['detection']:>9.3f} {row['tstr']:>6.3f}", flush=True)
        for name, rows in results.items():
            mean = {k: statistics.mean(r[k] for r in rows) for k in rows[0]}
            print(f"{name + ' mean':<19} {mean['seconds']:>8.1f} {mean['epochs']:>6.1f} "
                  f"{mean['val_loss']:>9.3f} {mean['quality']:>8.3f} "
                  f"{mean['detection']:>9.3f} {mean['tstr']:>6.3f}")


if __name__ == "__main__":
    main()

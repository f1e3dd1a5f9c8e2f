"""Core benchmark on UCI Adult: speed, memory, fidelity of the sex gap, usefulness.

Run:  python benchmarks/adult_core.py [--seeds 3] [--no-tvae]

Prints one table: fit time, time to sample 100,000 rows, peak resident memory,
the gap in the >50K rate between men and women (real, synthetic, DP-de-biased),
and the AUROC on 2,000 held-out real rows of a HistGradientBoostingClassifier
trained on 43,222 synthetic rows, and the fidelity of those synthetic rows to the
training rows (``debiasgen.evaluation.fidelity.fidelity_report``): an sdmetrics-style
quality, 1 - (mean column distance + mean association difference) / 2, and the AUC of
a classifier telling real from synthetic rows (0.5: indistinguishable).  When SDV is
installed (an optional, benchmark-only dependency that debiasgen never imports) SDV's
TVAE is run beside it on the same split, with its defaults (this takes about ten minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
import warnings

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import adult_graph, load_adult
from debiasgen.evaluation.fidelity import fidelity_report

TARGET, SENSITIVE = "income", "sex"


def gap(frame: pd.DataFrame) -> float:
    rate = (frame[TARGET] == ">50K").groupby(frame[SENSITIVE], observed=True).mean()
    return float(rate["Male"] - rate["Female"])


def utility(train: pd.DataFrame, test: pd.DataFrame) -> float:
    X, y = train.drop(columns=TARGET), (train[TARGET] == ">50K").astype(int)
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    clf.fit(X, y)
    proba = clf.predict_proba(test.drop(columns=TARGET))[:, 1]
    return float(roc_auc_score((test[TARGET] == ">50K").astype(int), proba))


def fidelity(train: pd.DataFrame, synthetic: pd.DataFrame) -> dict:
    summary = fidelity_report(train, synthetic, random_state=0).summary.loc["synthetic"]
    quality = 1.0 - (summary["mean_column_distance"]
                     + summary["mean_association_difference"]) / 2.0
    return {"quality": float(quality), "detection_auc": float(summary["detection_auc"])}


def peak_mb() -> float:
    """Peak resident memory of this (worker) process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_debiasgen(train, test, seed):
    t0 = time.perf_counter()
    synth = CCGMSynthesizer(random_state=seed).fit(train, graph=adult_graph())
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    big = synth.sample(100_000, random_state=seed)
    sample_s = time.perf_counter() - t0
    dp = synth.debias(sensitive=SENSITIVE, target=TARGET, criterion="dp")
    synthetic = synth.sample(len(train), random_state=seed + 1)
    return {
        "model": "debiasgen", "seed": seed, "fit_s": fit_s, "epochs": len(synth.history_),
        "sample_100k_s": sample_s, "peak_mb": peak_mb(), "gap_synthetic": gap(big),
        "gap_dp": gap(dp.sample(100_000, random_state=seed)),
        "auroc_synthetic": utility(synthetic, test), **fidelity(train, synthetic),
    }


def run_tvae(train, test, seed):
    from sdv.metadata import Metadata
    from sdv.single_table import TVAESynthesizer

    plain = train.astype({c: object for c in train.select_dtypes("category").columns})
    metadata = Metadata.detect_from_dataframes({"adult": plain}, infer_keys=None)
    t0 = time.perf_counter()
    tvae = TVAESynthesizer(metadata)
    tvae.fit({"adult": plain})
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    big = tvae.sample(100_000)["adult"]
    sample_s = time.perf_counter() - t0
    synthetic = tvae.sample(len(train))["adult"].astype(train.dtypes.to_dict())
    return {
        "model": "SDV TVAE", "seed": seed, "fit_s": fit_s, "sample_100k_s": sample_s,
        "peak_mb": peak_mb(), "gap_synthetic": gap(big),
        "auroc_synthetic": utility(synthetic, test), **fidelity(train, synthetic),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-tvae", action="store_true", help="skip SDV's TVAE")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    data = load_adult()
    train, test = train_test_split(data, test_size=2000, stratify=data[TARGET], random_state=0)
    rows = [{"model": "real data", "gap_synthetic": gap(train),
             "auroc_synthetic": utility(train, test)}]
    # each run in a fresh process, so peak memory is that run's own
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        for seed in range(args.seeds):
            rows.append(pool.apply(run_debiasgen, (train, test, seed)))
        if not args.no_tvae:
            try:
                rows.append(pool.apply(run_tvae, (train, test, 0)))
            except ImportError:
                print("SDV is not installed: TVAE skipped (pip install sdv to compare)")
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    summary = table.groupby("model", sort=False).median(numeric_only=True).drop(columns="seed")
    print("\nmedians over seeds")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()

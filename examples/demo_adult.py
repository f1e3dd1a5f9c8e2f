"""Fit debiasgen on the bundled UCI Adult data, de-bias it, and show what changed.

Run:  python examples/demo_adult.py [--rows N] [--epochs E] [--out DIR]

Holds out 2,000 real rows for testing, fits the causal model on the rest, and
prints (1) the share of ">50K" incomes by sex in the real data, in data sampled
from the model, and in data generated with causal edges removed ("ftu" removes
the direct edge sex -> income; "dp" removes every edge into income from sex or
its descendants and draws sex apart from the other roots), and (2) what a
classifier trained on each dataset does on the real test rows (fairlearn
metrics).  The figure and a Markdown report go to --out (default demo_output/);
the figure needs matplotlib (pip install "debiasgen[plot]"), and without it only the
Markdown report is written.

``main`` prints the tables for people and returns them as a ``DemoResult``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from debiasgen import CCGMSynthesizer, FairnessReport, fairness_report
from debiasgen.datasets import adult_graph, load_adult

METRICS = ["auroc", "f1", "recall", "demographic_parity_difference",
           "equalized_odds_difference", "ftu"]


def income_by_sex(frame: pd.DataFrame) -> pd.Series:
    rate = (frame["income"] == ">50K").groupby(frame["sex"], observed=True).mean()
    age = frame.groupby("sex", observed=True)["age"].mean()
    return pd.Series({
        "Female": rate["Female"],
        "Male": rate["Male"],
        "gap (Male - Female)": rate["Male"] - rate["Female"],
        "mean age gap (Male - Female)": age["Male"] - age["Female"],
    })


def write_report(report: FairnessReport, out: Path) -> list[Path]:
    """Write ``out/fairness.md`` and, where matplotlib is installed, the figure
    ``out/fairness.png``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    markdown = out / "fairness.md"
    try:
        import matplotlib  # noqa: F401  (optional: the "plot" extra)
    except ImportError:
        markdown.write_text(report.to_markdown(), encoding="utf-8")
        return [markdown]
    report.save(markdown)  # writes the figure beside it
    return [markdown, markdown.with_suffix(".png")]


@dataclass(frozen=True)
class DemoResult:
    """What ``main`` printed, as data.

    Attributes
    ----------
    n_train, n_test : int
        Real rows the model was fitted on, and held-out real rows for the classifiers.
    income_by_sex : DataFrame
        ``income_by_sex`` of each dataset: columns real, synthetic, ftu, dp; rows Female,
        Male, "gap (Male - Female)", "mean age gap (Male - Female)".
    removed_edges : dict of str to list of (str, str)
        The edges each criterion ("ftu", "dp") removes.
    report : FairnessReport
        The fairness report of classifiers trained on each dataset.
    metrics : DataFrame
        The printed part of ``report.metrics``: rows real, synthetic, ftu, dp; columns
        ``METRICS``.
    written : list of Path
        The files written: the Markdown report, and the figure where matplotlib is
        installed.
    """

    n_train: int
    n_test: int
    income_by_sex: pd.DataFrame
    removed_edges: dict[str, list[tuple[str, str]]]
    report: FairnessReport
    metrics: pd.DataFrame
    written: list[Path]


def main(argv: list[str] | None = None) -> DemoResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="use N random rows only")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("demo_output"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    real = load_adult()
    if args.rows:
        real = real.sample(n=args.rows, random_state=0).reset_index(drop=True)
    train, test = train_test_split(
        real, test_size=min(2000, len(real) // 5), stratify=real["income"], random_state=0
    )
    print(f"UCI Adult: {len(train):,} training rows, {len(test):,} held-out test rows; "
          "graph: 39 literature edges")
    start = time.perf_counter()
    synth = CCGMSynthesizer(epochs=args.epochs, random_state=0, verbose=int(not args.quiet))
    synth.fit(train, graph=adult_graph())
    print(f"fitted in {time.perf_counter() - start:.1f} s ({len(synth.history_)} epochs)")

    n = len(train)
    ftu = synth.debias(sensitive="sex", target="income", criterion="ftu")
    dp = synth.debias(sensitive="sex", target="income", criterion="dp")
    generated = {
        "synthetic": synth.sample(n, random_state=1),
        "ftu": ftu.sample(n, random_state=1),
        "dp": dp.sample(n, random_state=1),
    }
    table = pd.DataFrame({"real": income_by_sex(train)}
                         | {name: income_by_sex(frame) for name, frame in generated.items()})
    print("\nShare of >50K incomes by sex in each dataset")
    print(table.round(3).to_string())
    print("\nedges removed by 'ftu':", ", ".join(f"{p} -> {c}" for p, c in ftu.removed_edges_))
    print("edges removed by 'dp': ", ", ".join(f"{p} -> {c}" for p, c in dp.removed_edges_))

    report = fairness_report(train, test, generated, target="income", sensitive="sex")
    metrics = report.metrics[METRICS]
    print("\nA classifier trained on each dataset, tested on the real held-out rows")
    print(metrics.round(3).to_string())
    written = write_report(report, args.out)
    if len(written) > 1:
        print(f"\nwrote {written[0]} and the figure {written[1]}")
    else:
        print(f"\nwrote {written[0]} (the figure needs matplotlib: "
              'pip install "debiasgen[plot]")')
    return DemoResult(
        n_train=len(train), n_test=len(test), income_by_sex=table,
        removed_edges={"ftu": list(ftu.removed_edges_), "dp": list(dp.removed_edges_)},
        report=report, metrics=metrics, written=written,
    )


if __name__ == "__main__":
    main()

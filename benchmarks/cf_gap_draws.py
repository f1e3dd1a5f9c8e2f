"""Where the counterfactual gap of adapted rows comes from, and what averaging buys.

Run:  python benchmarks/cf_gap_draws.py [--seed 0] [--draws 10] [--test-rows 2000]

One seed of :mod:`fair_frontier`'s Adult split: a ``dp`` :class:`FairAdapter` (reference
``"Male"``, labels adapted) and HistGradientBoosting trained on its adapted rows.  The
adapter's draws (which category a row moves to, where a tied value moves) are redrawn
``--draws`` times with other seeds, and so are the test rows' twins (sex flipped through
the adapter's own model, and through the base model as ``fair_frontier`` makes them).
Printed:

* the classifier's AUROC, F1 and DP difference scoring one draw, and the mean of the
  draws' probabilities (the expectation over what an adaptation leaves random);
* the counterfactual gap ``mean |p(row) - p(twin)|``: one draw against one twin
  (``fair_frontier``'s ``cf_gap_own``), and expected over the draws on both sides,
  for women (adapted to men) and men (the reference group, kept as they are, whose
  twins are adapted back);
* the Monte Carlo noise of the expectation (half the draws against the other half).

The expected gap of the reference group is what an adaptation cannot remove: a man's
twin is a woman drawn from the posterior of his categorical noise, and adapting her
back draws again, so the round trip does not return the man.

``--oracle`` replaces the real test rows by rows drawn from the adapter's own model:
that model is then the true structural causal model of the rows scored, and the twins
and the adaptation are exact counterfactuals of it (Gumbel-max categorical mechanisms,
noise from its posterior), so what gap remains belongs to the definition (a round trip
through posterior sampling), not to an imperfect fit.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
import pandas as pd
from fair_frontier import (
    SENSITIVE,
    TARGET,
    Split,
    features,
    hgb,
    labels,
    twins,
)
from fairlearn.metrics import demographic_parity_difference
from sklearn.metrics import f1_score, roc_auc_score

from debiasgen import FairAdapter
from debiasgen.datasets import adult_graph, load_adult


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--test-rows", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--oracle", action="store_true",
                        help="score rows drawn from the adapter's own model (its truth)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    ctx = Split(load_adult(), args.seed, args.test_rows, args.epochs)
    adapter = FairAdapter(ctx.synthesizer(), graph=adult_graph(), sensitive=SENSITIVE,
                          reference="Male", criterion="dp", random_state=args.seed)
    adapter.fit(ctx.X_train, ctx.train[TARGET])
    rows = adapter.transform(ctx.train)
    clf = hgb(args.seed).fit(features(rows), labels(rows))

    def scores(X, k: int) -> np.ndarray:
        """Probabilities of rows X adapted with the k-th seed."""
        draw = copy.copy(adapter).set_params(random_state=10_000 * (args.seed + 1) + k)
        return clf.predict_proba(draw.transform(X))[:, 1]

    test = ctx.test
    if args.oracle:  # rows whose true causal model is the adapter's own
        test = adapter.model_.sample(args.test_rows, random_state=args.seed + 77)
    X_test, y_test, sex = features(test), labels(test), test[SENSITIVE]
    k_range = range(args.draws)
    rows_p = np.array([scores(X_test, k) for k in k_range])
    own_p = np.array([scores(twins(adapter.model_, test, 1000 + k), k) for k in k_range])
    gaps = [("one draw, one twin (own model)", np.abs(rows_p[0] - own_p[0])),
            ("expected, twins through own model", np.abs(rows_p.mean(0) - own_p.mean(0)))]
    if not args.oracle:
        base_p = np.array([scores(twins(ctx.base, test, 2000 + k), k) for k in k_range])
        gaps.append(("expected, twins through base model",
                     np.abs(rows_p.mean(0) - base_p.mean(0))))
    print(f"# seed {args.seed}, {args.test_rows} test rows"
          f"{' drawn from the adapter model (oracle)' if args.oracle else ''}, "
          f"{args.draws} draws, {time.perf_counter() - start:.0f} s")
    for name, p in (("one draw", rows_p[0]), (f"mean of {args.draws} draws", rows_p.mean(0))):
        pred = (p > 0.5).astype(int)
        dp = demographic_parity_difference(y_test, pred, sensitive_features=sex)
        print(f"{name:<20} AUROC {roc_auc_score(y_test, p):.3f}  "
              f"F1 {f1_score(y_test, pred):.3f}  DP {dp:.3f}")
    women = (sex == "Female").to_numpy()
    print(f"{'gap':<40} {'all':>6} {'women':>6} {'men':>6}")
    for name, gap in gaps:
        print(f"{name:<40} {gap.mean():>6.3f} {gap[women].mean():>6.3f} "
              f"{gap[~women].mean():>6.3f}")
    # the round trip man -> twin (a woman) -> adapted back, column by column
    draw = copy.copy(adapter).set_params(random_state=10_000 * (args.seed + 1))
    men = test[~women]
    back = draw.transform(features(adapter.model_.counterfactual(
        men, {SENSITIVE: "Female"}, random_state=1000)))
    changed = {c: float((back[c].astype(object).to_numpy()
                         != men[c].astype(object).to_numpy()).mean())
               for c in back.columns if c != SENSITIVE}
    print("men whose value the round trip changes: " + ", ".join(
        f"{c} {v:.3f}" for c, v in sorted(changed.items(), key=lambda kv: -kv[1]) if v > 0))
    # which kind of column the one-draw gap of men comes from: the round trip with the
    # other kind's values put back to the man's
    kept = features(draw.transform(features(men)))  # a man is kept as he is
    p_men = clf.predict_proba(kept)[:, 1]
    numeric = [c for c in back.columns if pd.api.types.is_numeric_dtype(back[c])]
    for name, reset in (("categorical columns only", numeric),
                        ("numeric columns only", [c for c in back.columns
                                                  if c not in numeric])):
        mixed = back.copy()
        mixed[reset] = kept[reset].to_numpy()
        gap = np.abs(clf.predict_proba(mixed)[:, 1] - p_men).mean()
        print(f"men, one draw, round trip of the {name}: gap {gap:.3f}")
    print(f"men, one draw, whole round trip: gap "
          f"{np.abs(clf.predict_proba(back)[:, 1] - p_men).mean():.3f}")
    half = args.draws // 2
    noise = np.abs(rows_p[:half].mean(0) - rows_p[half:].mean(0)).mean()
    print(f"Monte Carlo noise (half the draws vs the other half): {noise:.3f}; "
          f"sd over draws {rows_p.std(0).mean():.3f}")


if __name__ == "__main__":
    main()

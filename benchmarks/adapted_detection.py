"""How much of the sex signal left in dp-adapted rows is the model's own signature?

Run:  python benchmarks/adapted_detection.py [--seed 0]

One seed of :mod:`fair_frontier`'s Adult split and its ``dp`` :class:`FairAdapter`
(reference ``"Male"``): gradient boosting, 3-fold AUROC (:func:`sensitive_auroc`),
telling apart

* women and men in the adapted training rows (``fair_frontier``'s target: <= .60);
* the adapted women and the real men (the same question, the label left out);
* rows the adapter's model generates under ``do(sex = Male)`` and the real men: how
  well generated rows are told from real ones, with sex out of the question.

If the last is as high as the first two, the adapted women are told from the men
because they are partly generated rows, and a lower sex AUROC needs a more faithful
model rather than another adaptation.
"""

from __future__ import annotations

import argparse
import warnings

import pandas as pd
from fair_frontier import SENSITIVE, TARGET, Split

from debiasgen import FairAdapter
from debiasgen.datasets import adult_graph, load_adult
from debiasgen.fairness.adapter import sensitive_auroc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    ctx = Split(load_adult(), args.seed, 2000, args.epochs)
    adapter = FairAdapter(ctx.synthesizer(), graph=adult_graph(), sensitive=SENSITIVE,
                          reference="Male", criterion="dp", random_state=args.seed)
    adapter.fit(ctx.X_train, ctx.train[TARGET])
    rows = adapter.transform(ctx.train)
    sex = ctx.train[SENSITIVE]
    men = ctx.train[sex == "Male"]
    generated = adapter.model_.intervene({SENSITIVE: "Male"}, len(men),
                                         random_state=args.seed + 1)[men.columns]

    def auroc(a: pd.DataFrame, b: pd.DataFrame) -> float:
        both = pd.concat([a, b], ignore_index=True).drop(columns=[SENSITIVE])
        label = pd.Series(["a"] * len(a) + ["b"] * len(b))
        return sensitive_auroc(both, label, 3, args.seed)

    print(f"# seed {args.seed}: HGB, 3-fold AUROC")
    print(f"women vs men, adapted training rows:      "
          f"{sensitive_auroc(rows.drop(columns=[SENSITIVE]), sex, 3, args.seed):.3f}")
    print(f"adapted women vs real men:                {auroc(rows[sex == 'Female'], men):.3f}")
    print(f"generated men (do(sex=Male)) vs real men: {auroc(generated, men):.3f}")


if __name__ == "__main__":
    main()

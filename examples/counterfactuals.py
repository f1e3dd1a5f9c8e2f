"""Counterfactual queries on UCI Adult: these people, had their sex been different.

Run:  python examples/counterfactuals.py [--rows N] [--epochs E] [--show K]

Fits the causal model on Adult (the bundled literature graph), then for K observed
women asks "what would this row have been, had sex been Male?": every column's
exogenous noise is inferred from the row, sex is set, and only sex's descendants
(marital status, occupation, relationship, hours, income, ...) are regenerated with
the row's own noise; everything else keeps its observed value.  The same question
is then asked of the model de-biased with the "dp" criterion, in which income no
longer depends on sex along any path.  Finally, over all women in the data: the
share with income ">50K" as observed and had they been men; then under the
de-biased model, with sex as observed (their rows de-biased) and had they been men
(the two should differ by sampling noise only).

A categorical column's noise is not identified by one observation, so a changed
category is one draw among the values consistent with the row (seeded here).

``main`` prints the tables for people and returns them as a ``CounterfactualsResult``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pandas as pd

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import adult_graph, load_adult

SHOWN = ["sex", "age", "marital-status", "relationship", "occupation", "hours-per-week",
         "income"]


def side_by_side(observed: pd.DataFrame, other: pd.DataFrame, label: str) -> pd.DataFrame:
    """Observed and counterfactual values of SHOWN, one row per person; '*' marks a change."""
    rows = {}
    for column in SHOWN:
        before, after = observed[column].astype(str), other[column].astype(str)
        rows[(column, "observed")] = before
        rows[(column, label)] = after.where(after == before, after + " *")
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CounterfactualsResult:
    """What ``main`` printed, as data.

    Attributes
    ----------
    people : DataFrame
        The observed rows of the women shown one by one (all of Adult's columns).
    had_male : DataFrame
        Their counterfactuals under the fitted model, had sex been Male.
    fair_had_male : DataFrame
        Their counterfactuals under the model de-biased with criterion="dp".
    shares : Series
        Share of women with income ">50K", by label: "observed", "had sex been Male",
        "de-biased model (dp), sex as observed", "de-biased model (dp), had sex been Male".
    n_women : int
        How many women the shares are taken over.
    """

    people: pd.DataFrame
    had_male: pd.DataFrame
    fair_had_male: pd.DataFrame
    shares: pd.Series
    n_women: int


def main(argv: list[str] | None = None) -> CounterfactualsResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="use N random Adult rows")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--show", type=int, default=5, help="people shown row by row")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    adult = load_adult()
    if args.rows:
        adult = adult.sample(n=args.rows, random_state=0).reset_index(drop=True)
    synth = CCGMSynthesizer(epochs=args.epochs, random_state=0, verbose=int(not args.quiet))
    synth.fit(adult, graph=adult_graph())
    fair = synth.debias(sensitive="sex", target="income", criterion="dp")

    women = adult[adult["sex"] == "Female"]
    people = women.head(args.show)
    had_male = synth.counterfactual(people, {"sex": "Male"}, random_state=0)
    fair_male = fair.counterfactual(people, {"sex": "Male"}, random_state=0)
    pd.set_option("display.width", 200)
    print(f"{len(people)} women in Adult, had their sex been Male (fitted model); "
          "* marks a changed value")
    print(side_by_side(people, had_male, "had sex=Male").T.to_string())
    print("\nThe same question under the model de-biased with criterion='dp'")
    print(side_by_side(people, fair_male, "had sex=Male").T.to_string())

    everyone_male = synth.counterfactual(women, {"sex": "Male"}, random_state=1)
    fair_as_is = fair.counterfactual(women, random_state=1)
    fair_as_male = fair.counterfactual(women, {"sex": "Male"}, random_state=1)
    rates = pd.Series({
        "observed": (women["income"] == ">50K").mean(),
        "had sex been Male": (everyone_male["income"] == ">50K").mean(),
        "de-biased model (dp), sex as observed": (fair_as_is["income"] == ">50K").mean(),
        "de-biased model (dp), had sex been Male": (fair_as_male["income"] == ">50K").mean(),
    }, name="share >50K")
    print(f"\nShare of the {len(women):,} women with income >50K")
    print(rates.round(3).to_string())
    return CounterfactualsResult(people=people, had_male=had_male, fair_had_male=fair_male,
                                 shares=rates, n_women=len(women))


if __name__ == "__main__":
    main()

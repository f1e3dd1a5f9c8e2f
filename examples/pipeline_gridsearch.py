"""Tune a de-biased classifier with GridSearchCV, as any scikit-learn estimator.

Run:  python examples/pipeline_gridsearch.py [--rows N] [--epochs 10 30] [--cv 3]

DebiasedClassifier fits a causal model of the UCI Adult training rows and their
labels (graph: the bundled literature graph), removes the causal paths the "dp"
criterion names (every edge into income from sex or its descendants, and sex's
association with the other roots), and trains a gradient-boosting classifier on
synthetic rows from the modified model.  GridSearchCV tunes the synthesizer's
epochs and the classifier's iterations through nested parameter names.  The best
model is then compared on held-out real rows with the same classifier trained on
the real rows: accuracy, F1, and the demographic parity difference (largest minus
smallest share of ">50K" predictions between women and men).

``main`` prints the results for people and returns them as a ``GridSearchResult``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pandas as pd
from fairlearn.metrics import demographic_parity_difference
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, train_test_split

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import adult_graph, load_adult
from debiasgen.integrations.classifier import DebiasedClassifier


def measure(name: str, model, X: pd.DataFrame, y: pd.Series) -> dict:
    positive = model.predict(X) == ">50K"
    truth = y == ">50K"
    return {
        "model": name,
        "accuracy": accuracy_score(truth, positive),
        "f1": f1_score(truth, positive),
        "demographic_parity_difference": demographic_parity_difference(
            truth, positive, sensitive_features=X["sex"]
        ),
    }


@dataclass(frozen=True)
class GridSearchResult:
    """What ``main`` printed, as data.

    Attributes
    ----------
    cv_results : DataFrame
        One row per parameter combination: param_synthesizer__epochs,
        param_estimator__max_iter, mean_test_score (AUROC), rank_test_score.
    best_params : dict
        ``GridSearchCV.best_params_``.
    removed_edges : list of (str, str)
        The edges the best model's de-biased synthesizer removes.
    table : DataFrame
        On the held-out real rows (index ``model``: "trained on real rows",
        "DebiasedClassifier (dp)"): accuracy, f1, demographic_parity_difference.
    n_train, n_test : int
        Rows the grid search was fitted on, and held-out rows the table is measured on.
    """

    cv_results: pd.DataFrame
    best_params: dict
    removed_edges: list[tuple[str, str]]
    table: pd.DataFrame
    n_train: int
    n_test: int


def main(argv: list[str] | None = None) -> GridSearchResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="use N random Adult rows")
    parser.add_argument("--epochs", type=int, nargs="+", default=[10, 30],
                        help="synthesizer epochs to try")
    parser.add_argument("--max-iter", type=int, nargs="+", default=[50, 200],
                        help="classifier iterations to try")
    parser.add_argument("--cv", type=int, default=3, help="cross-validation folds")
    args = parser.parse_args(argv)

    adult = load_adult().sample(n=args.rows, random_state=0).reset_index(drop=True)
    X, y = adult.drop(columns="income"), adult["income"]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = DebiasedClassifier(
        HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0),
        CCGMSynthesizer(random_state=0),
        graph=adult_graph(), sensitive="sex", criterion="dp", random_state=0,
    )
    grid = GridSearchCV(
        clf,
        {"synthesizer__epochs": args.epochs, "estimator__max_iter": args.max_iter},
        cv=args.cv, scoring="roc_auc",
    )
    grid.fit(X_train, y_train)
    results = pd.DataFrame(grid.cv_results_)[
        ["param_synthesizer__epochs", "param_estimator__max_iter", "mean_test_score",
         "rank_test_score"]
    ]
    print(f"Adult: {len(X_train):,} training rows, {len(X_test):,} test rows; "
          f"{args.cv}-fold grid search, scored by AUROC on real validation rows")
    print(results.to_string(index=False))
    print("best:", grid.best_params_)
    best = grid.best_estimator_
    print("edges removed:", ", ".join(f"{p} -> {c}" for p, c in best.debiased_.removed_edges_))

    real = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    real.fit(X_train, y_train)
    table = pd.DataFrame([
        measure("trained on real rows", real, X_test, y_test),
        measure("DebiasedClassifier (dp)", best, X_test, y_test),
    ]).set_index("model")
    print("\nOn the held-out real rows")
    print(table.round(3).to_string())
    return GridSearchResult(
        cv_results=results, best_params=dict(grid.best_params_),
        removed_edges=list(best.debiased_.removed_edges_), table=table,
        n_train=len(X_train), n_test=len(X_test),
    )


if __name__ == "__main__":
    main()

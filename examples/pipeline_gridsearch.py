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
"""

from __future__ import annotations

import argparse

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


def main(argv: list[str] | None = None) -> None:
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


if __name__ == "__main__":
    main()

"""Fairness: fair data adaptation of real rows, and the fairness report on real test
rows (fairlearn metrics)."""

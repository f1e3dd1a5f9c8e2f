"""Fairness: the fairness report on real test rows (fairlearn metrics)."""

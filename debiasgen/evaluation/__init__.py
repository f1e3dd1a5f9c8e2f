"""Evaluation of generated data: distributional fidelity against real rows, causal
fidelity against a known-truth structural causal model, and shared table helpers."""

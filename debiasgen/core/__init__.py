"""The shared vocabulary every other part builds on: the tabular encoder and its
frozen column layout, the causal graph, the fairness presets, and small argument
validators.  Nothing here imports torch, causal-learn or another debiasgen package
except :mod:`debiasgen.exceptions`."""

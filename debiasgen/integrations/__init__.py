"""Engines at the edge: the scikit-learn meta-estimator, the imbalanced-learn sampler
(the only importer of imbalanced-learn) and the command line."""

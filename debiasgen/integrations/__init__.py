"""Engines at the edge: the scikit-learn meta-estimator, the imbalanced-learn sampler
(the only importer of imbalanced-learn), the Dask engine (the only importer of dask)
and the command line."""

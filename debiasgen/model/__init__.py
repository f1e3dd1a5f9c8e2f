"""The causal generative model users fit: :class:`CCGMSynthesizer` (validation and
orchestration) and the translation of queries (interventions, edge removals) from
column names and values into the terms of the network in :mod:`debiasgen.nn`."""

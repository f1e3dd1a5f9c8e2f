"""Causal structure: discovery (the only importer of causal-learn), background
knowledge, orientation of partially directed graphs, conditional-independence tests,
and the choice of edges for the partially trainable causal layer."""

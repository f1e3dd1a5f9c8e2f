"""Private torch code: the causal VAE, its training loop and level-wise generation.

Nothing here is public API; the synthesizer converts DataFrames to tensors and
back at the boundary, and no tensor leaves this subpackage.
"""

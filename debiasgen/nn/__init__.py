"""All torch code: the causal VAE, its training, edge gates, generation and model files.

The rest of debiasgen talks to this package only through its façade,
:mod:`debiasgen.nn.network` (numpy arrays and integer seeds in, numpy arrays out),
and :mod:`debiasgen.nn.files` (model files).  No tensor, generator or module leaves it.
"""

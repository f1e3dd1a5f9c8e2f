"""Where a fit's time goes: training steps on UCI Adult, profiled per torch operator.

Run:  python benchmarks/profile_fit.py [--rows 20000] [--batch-size 512] [--threads 1]

Builds the model of a default Adult fit, then times training steps (forward, backward,
Adam) over ``--rows`` rows in two arrangements of the same ELBO: the fused one training
uses (``CausalVAE.elbo_terms``: every node's first layers one batched product of the
shared features and weights laid out by feature) and the gathered one edge learning
uses (``gathered_elbo_terms``: per-node input gather, concatenation and padded batched
products).  It prints CPU seconds per 100,000
rows for each (CPU time, so that other jobs on a shared machine distort it less than
wall time) and torch.profiler's table of the fused steps.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from debiasgen import CCGMSynthesizer
from debiasgen.datasets import adult_graph, load_adult


def step_cost(module, fn, feats, codes, batch_size, rows, generator) -> float:
    """CPU seconds per 100,000 rows of training steps through ``fn``."""
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, foreach=True)
    module.train()
    start = time.process_time()
    for i in range(0, rows, batch_size):
        idx = slice(i, i + batch_size)
        n = codes[idx].shape[0]
        eps = torch.randn(module.n_nodes, n, module.latent_dim, generator=generator)
        nll, kl = fn(feats[idx], codes[idx], eps)
        loss = (nll + kl).sum(0).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (time.process_time() - start) / rows * 1e5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    data = load_adult()
    synth = CCGMSynthesizer(epochs=1, random_state=0).fit(data, graph=adult_graph())
    module = synth.network_._module
    codes, values = synth.encoder_.encode(data)
    codes_t, values_t = torch.as_tensor(codes), torch.as_tensor(values)
    feats = module.features(codes_t, values_t)
    generator = torch.Generator().manual_seed(0)
    rows = min(args.rows, len(data))
    for name, fn in (("fused", module.elbo_terms), ("gathered", module.gathered_elbo_terms)):
        cost = step_cost(module, fn, feats, codes_t, args.batch_size, rows, generator)
        print(f"{name:9s} {cost:6.2f} CPU s per 100k rows (batch {args.batch_size}, "
              f"{args.threads} thread(s))")
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step_cost(module, module.elbo_terms, feats, codes_t, args.batch_size,
                  min(rows, 10 * args.batch_size), generator)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


if __name__ == "__main__":
    main()

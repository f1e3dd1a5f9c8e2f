"""Learning extra edges inside the causal layer (the CCGM's partially trainable layer).

The mechanisms are trained as in :mod:`debiasgen.nn.train`, but every node also sees
its *candidate* parents, each through a stochastic gate.  Gate ``(j, c)`` is open
with a learned probability ``p_jc = sigmoid(theta_jc)`` and is sampled per row with
a binary-concrete relaxation (Maddison et al. 2017; Louizos et al. 2018, "L0
regularization"), so the mechanism cannot make a half-open gate useful by scaling
its weights up: an edge is either there or not.  The loss adds

* ``edge_penalty * sum(p)``: the expected number of learned edges, in nats per
  row, so a candidate edge survives only where it improves the model's
  log-likelihood by more than ``edge_penalty`` nats per row;
* ``rho * h(A)``, NOTEARS' acyclicity function ``h(A) = tr(exp(A * A)) - d``
  (Zheng et al. 2018) of the adjacency ``A`` holding 1 for every fixed edge and
  ``p_jc`` for every candidate; ``rho`` grows from 0.1 to about 100 over
  training, so cycles are priced out as training goes on.

Fixed edges stay fixed (their inputs have no gate).  A quarter of the rows is
held out; for each gate that ends open, the held-out gain from opening it is
measured (the other gates as they ended).  The caller keeps the open gates whose
gain exceeds the penalty, strongest first, skipping any that would close a cycle,
and then fits the ordinary model on the completed graph.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from debiasgen.nn.model import CausalVAE

_TEMPERATURE = 0.5
_GATE_LEARNING_RATE = 0.05
_MIN_STEPS = 450



class GatedCausalVAE(CausalVAE):
    """A :class:`CausalVAE` whose candidate parent inputs pass through gates.

    Parameters
    ----------
    layout, hidden, latent_dim, generator
        As for :class:`CausalVAE`.
    parents : list of list of int
        Each node's fixed inputs followed by its candidate parents.
    candidates : list of (int, int)
        The candidate edges ``(parent, child)``; each must appear in ``parents``.
    """

    def __init__(self, layout, parents, candidates, hidden, latent_dim, generator):
        super().__init__(layout, parents, hidden, latent_dim, generator)
        self.candidates = list(candidates)
        ids = {edge: k + 1 for k, edge in enumerate(self.candidates)}  # 0: always open
        gate = torch.zeros(self.input_owner.shape, dtype=torch.long)
        for c in range(self.n_nodes):
            for pos, owner in enumerate(self.input_owner[c].tolist()):
                gate[c, pos] = ids.get((owner, c), 0)
        self.register_buffer("gate_index", gate, persistent=False)
        # Start every candidate half open: the data, not the initialisation, decides.
        self.gate_logits = nn.Parameter(torch.zeros(len(self.candidates)))
        self._uniform_source = generator
        self._eval_gates = None
        self.to(generator.device)

    # the gates act on the gathered inputs, so the ELBO must be computed through them
    elbo_terms = CausalVAE.gathered_elbo_terms

    def step_mechanism(self, nodes, width, removal=None, shadow=False):
        return None  # the gates act on the gathered inputs

    def posterior_logits(self, feats, codes):
        nodes = torch.arange(self.n_nodes, device=codes.device)
        inputs = self.gather_inputs(feats, nodes)
        u, _ = self.encode_noise(inputs, codes, nodes)
        return u, self.logits(inputs, u, nodes)

    def node_losses(self, feats, codes, gates: torch.Tensor) -> torch.Tensor:
        """Each node's mean negative ELBO on the given rows with the gates set to
        ``gates`` (0/1 per candidate) and posterior-mean noise: ``[n_nodes]``."""
        eps = torch.zeros(self.n_nodes, codes.shape[0], self.latent_dim, device=codes.device)
        self._eval_gates = gates
        try:
            nll, kl = self.elbo_terms(feats, codes, eps)
        finally:
            self._eval_gates = None
        return (nll + kl).mean(1)

    def probabilities(self) -> torch.Tensor:
        return torch.sigmoid(self.gate_logits)

    def gather_inputs(self, feats, nodes):
        x = super().gather_inputs(feats, nodes)
        batch = feats.shape[0]
        if self.training:
            u = torch.rand(batch, len(self.candidates), generator=self._uniform_source,
                           device=feats.device)
            u = u.clamp(1e-6, 1 - 1e-6)
            noise = torch.log(u) - torch.log1p(-u)
            gates = torch.sigmoid((self.gate_logits + noise) / _TEMPERATURE)
        else:  # evaluation: the edges that would be kept (or a state being judged)
            state = self._eval_gates
            if state is None:
                state = (self.gate_logits > 0).float()
            gates = state.expand(batch, -1)
        gates = torch.cat([torch.ones(batch, 1, device=feats.device), gates], dim=1)
        # gates[:, gate_index[nodes]]: [batch, len(nodes), n_inputs] -> node-major
        return x * gates[:, self.gate_index[nodes]].transpose(0, 1)


def acyclicity(adjacency: torch.Tensor) -> torch.Tensor:
    """NOTEARS' ``tr(exp(A * A)) - d``: zero exactly when ``A`` has no directed cycle."""
    return torch.linalg.matrix_exp(adjacency * adjacency).diagonal().sum() - adjacency.shape[0]


def learn_edges(model: GatedCausalVAE, fixed_edges, feats, codes, *, epochs: int,
                batch_size: int, learning_rate: float, edge_penalty: float,
                generator: torch.Generator, verbose: int = 0):
    """Train ``model`` with the sparsity and acyclicity penalties and judge its open gates.

    Returns ``(probability, gain)`` per candidate (``model.candidates`` order):
    the final gate probability, and for the candidates whose gate ends open the
    held-out gain in nats per row from opening it (the others' gates at their
    final state; NaN for closed gates).  A quarter of the rows is held out of
    training for that gain: an input that carries no information still lowers
    the *training* loss a little by overfitting, never the held-out loss.
    """
    d = model.n_nodes
    device = feats.device
    fixed = torch.zeros(d, d, device=device)
    for p, c in fixed_edges:
        fixed[p, c] = 1.0
    rows = torch.tensor([p for p, _ in model.candidates], dtype=torch.long, device=device)
    cols = torch.tensor([c for _, c in model.candidates], dtype=torch.long, device=device)
    weights = [p for name, p in model.named_parameters() if name != "gate_logits"]
    # A larger step for the gates: a few epochs must be enough to open or close one.
    optimizer = torch.optim.Adam([
        {"params": weights, "lr": learning_rate},
        {"params": [model.gate_logits], "lr": _GATE_LEARNING_RATE},
    ])
    order = torch.randperm(codes.shape[0], generator=generator, device=device)
    n_held = len(order) // 4
    held, train_rows = order[:n_held], order[n_held:]
    per_epoch = max(1, math.ceil(len(train_rows) / batch_size))
    # Counted in steps, not epochs, so that small data still give the gates enough
    # steps to settle (an early wrong gate needs a few hundred steps to reopen).
    total = max(_MIN_STEPS, epochs * per_epoch)
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=total, desc="learn edges", unit="step")
    model.train()
    perm, step = train_rows[:0], 0
    while step < total:
        if len(perm) == 0:
            perm = train_rows[torch.randperm(len(train_rows), generator=generator,
                                             device=device)]
        idx, perm = perm[:batch_size], perm[batch_size:]
        eps = torch.randn(d, len(idx), model.latent_dim, generator=generator, device=device)
        nll, kl = model.elbo_terms(feats[idx], codes[idx], eps)
        rho = 0.1 * 2.0 ** (10 * step / total)  # grows until any cycle costs too much
        prob = model.probabilities()
        adjacency = fixed.index_put((rows, cols), prob)
        loss = ((nll + kl).sum(0).mean() + edge_penalty * prob.sum()
                + rho * acyclicity(adjacency))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        if progress is not None:
            progress.update(1)
            if step % per_epoch == 0:
                progress.set_postfix(open=int((model.gate_logits > 0).sum()))
    if progress is not None:
        progress.close()
    model.eval()
    prob = model.probabilities().detach()
    gain = torch.full_like(prob, float("nan"))
    if n_held:
        # the gain of an open gate: the child's held-out loss with that gate alone
        # closed, minus its loss with the gates as they stand (computed once)
        feats, codes = feats[held], codes[held]
        standing = (prob > 0.5).float()
        with torch.no_grad():
            base = model.node_losses(feats, codes, standing)
            for k in torch.nonzero(standing).flatten().tolist():
                closed = standing.clone()
                closed[k] = 0.0
                child = model.candidates[k][1]
                gain[k] = model.node_losses(feats, codes, closed)[child] - base[child]
    return prob, gain

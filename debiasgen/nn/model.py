"""The causal VAE: one small MLP mechanism per node, batched over nodes.

Every node ``i`` (a column) has

* a **mechanism** (the decoder, i.e. the causal layer) giving class logits
  ``f_i(parents(x_i), u_i)``, where ``u_i`` is the node's exogenous latent noise;
* a **noise encoder** ``q(u_i | x_i, parents(x_i))`` (abduction).

All nodes share one set of stacked weights (``[n_nodes, in, out]``) so that one
``torch.bmm`` evaluates every node of a training batch, or every node of one
generation step, at once.  A node's input is only its own parents' features,
gathered and zero-padded to the widest parent set before batching.

The exogenous noise of a node is ``(u_i, e_i)``: the latent ``u_i`` and a uniform
``e_i`` that chooses the class by inverse CDF; where ``e_i`` falls inside the chosen
class's CDF interval then picks the training value inside a numeric bin (see
:class:`debiasgen.nn.generate.Noise`).  Pre-drawing all of it lets a second pass
(a "shadow row", see :mod:`debiasgen.nn.generate`) reuse a row's own noise.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import ndtri
from torch import nn

from debiasgen.core.encoding import NUMERIC, normal_scores


def _uniform(shape, fan_in, generator):
    bound = 1.0 / math.sqrt(max(fan_in, 1))
    weight = torch.empty(shape, device=generator.device)
    return nn.Parameter(weight.uniform_(-bound, bound, generator=generator))


class StackedMLP(nn.Module):
    """``n`` independent MLPs with identical shapes, evaluated with ``bmm``."""

    def __init__(self, n: int, sizes: list[int], generator: torch.Generator):
        super().__init__()
        self.weights = nn.ParameterList(
            _uniform((n, a, b), a, generator) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.biases = nn.ParameterList(
            _uniform((n, 1, b), a, generator) for a, b in zip(sizes[:-1], sizes[1:])
        )

    def forward(self, x: torch.Tensor, nodes: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: ``[len(nodes), batch, in]``; ``nodes`` selects MLPs (all if None).

        ``x`` may be narrower than the first layer: only its leading input rows are
        used (the trailing ones would multiply zero padding).
        """
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            if nodes is not None:
                w, b = w[nodes], b[nodes]
            if k == 0:
                w = w[:, : x.shape[2]]
            x = torch.baddbmm(b, x, w)
            if k < last:
                x = torch.nn.functional.silu(x)
        return x


class CausalVAE(nn.Module):
    """Per-node mechanisms and noise encoders for a layout and a parent structure.

    Parameters
    ----------
    layout : sequence of ColumnLayout
        The encoder's layout (one node per column).
    parents : list of list of int
        ``parents[i]``: the column indices feeding node ``i``'s mechanism
        (causal parents, plus earlier roots for a root: the joint root block).
    hidden, latent_dim : int
    generator : torch.Generator
        Seeds the weight initialisation (the global generator is never used); the
        module is built on the generator's device.
    """

    def __init__(self, layout, parents, hidden: int, latent_dim: int, generator):
        super().__init__()
        self.layout = tuple(layout)
        self.n_nodes = len(self.layout)
        self.latent_dim = latent_dim
        widths = [c.feature_width for c in self.layout]
        offsets = [0]
        for w in widths:
            offsets.append(offsets[-1] + w)
        self.n_features = offsets[-1]
        self.feature_slices = [slice(offsets[j], offsets[j + 1]) for j in range(self.n_nodes)]
        # Gather index of each node's parent features; index n_features is a zero pad.
        rows = [[f for p in ps for f in range(offsets[p], offsets[p + 1])] for ps in parents]
        owners = [[p for p in ps for _ in range(widths[p])] for ps in parents]
        self.n_inputs = max([len(r) for r in rows] + [1])
        self.register_buffer("input_width", torch.tensor([len(r) for r in rows]), persistent=False)
        pad = self.n_inputs
        self.register_buffer(
            "parent_index",
            torch.tensor([r + [self.n_features] * (pad - len(r)) for r in rows]),
            persistent=False,
        )
        # The input position of feature f in node n's mechanism (pad: n_inputs, a zero
        # weight row): lets training evaluate every node's first layer as one matrix
        # product over all features instead of a gather and a batched product.
        position = torch.full((self.n_features, self.n_nodes), pad, dtype=torch.long)
        for n, r in enumerate(rows):
            position[r, n] = torch.arange(len(r))
        self.register_buffer("feature_position", position, persistent=False)
        # Which parent column each input position belongs to (-1 for padding).
        self.register_buffer(
            "input_owner", torch.tensor([o + [-1] * (pad - len(o)) for o in owners]),
            persistent=False,
        )
        self.register_buffer(
            "n_classes", torch.tensor([c.n_classes for c in self.layout]), persistent=False
        )
        # unordered classes: counterfactuals use the Gumbel-max mechanism there
        self.register_buffer(
            "categorical", torch.tensor([c.kind != NUMERIC for c in self.layout]),
            persistent=False,
        )
        self.max_classes = int(self.n_classes.max())
        class_mask = torch.arange(self.max_classes)[None, :] >= self.n_classes[:, None]
        self.register_buffer(
            "class_penalty", class_mask.float()[:, None, :] * -1e9, persistent=False
        )
        # Ordinal bias of numeric nodes: each bin's normal score, so two extra decoder
        # outputs can place a discretised Gaussian (in score space) under the free logits.
        scores = torch.zeros(self.n_nodes, self.max_classes)
        for j, spec in enumerate(self.layout):
            if spec.kind == NUMERIC and len(spec.bin_start):
                mid = (spec.bin_start + spec.bin_end) / 2.0 / len(spec.values)
                scores[j, : len(mid)] = torch.as_tensor(ndtri(mid), dtype=torch.float32)
        self.register_buffer("bin_scores", scores[:, None, :], persistent=False)
        self.register_buffer("half_square_scores", 0.5 * scores[:, None, :] ** 2, persistent=False)
        self.decoder = StackedMLP(
            self.n_nodes, [self.n_inputs + latent_dim, hidden, hidden, self.max_classes + 2],
            generator,
        )
        # A linear path to the shift, so a linear dependence extrapolates linearly
        # beyond the data's support instead of flattening out.
        self.linear_shift = StackedMLP(self.n_nodes, [self.n_inputs + latent_dim, 1], generator)
        # The noise posterior is low-dimensional; a narrow encoder keeps training cheap.
        self.noise_encoder = StackedMLP(
            self.n_nodes, [self.n_inputs + self.max_classes, max(8, hidden // 4), 2 * latent_dim],
            generator,
        )
        self._numeric_tables = {
            j: self._numeric_table(c) for j, c in enumerate(self.layout) if c.kind == NUMERIC
        }
        # Location heads of additive-noise nodes (:mod:`debiasgen.nn.location`), fitted
        # after training: node -> {"knots", "coef"} (float64, not module state).
        self.location_heads: dict[int, dict[str, torch.Tensor]] = {}
        self.to(generator.device)

    def _apply(self, fn, recurse=True):
        # the numeric tables and location heads (float64, not module state) follow the
        # module's device
        def move(tables):
            return {j: {k: fn(v) if isinstance(v, torch.Tensor) else v for k, v in t.items()}
                    for j, t in tables.items()}

        self._numeric_tables = move(self._numeric_tables)
        self.location_heads = move(getattr(self, "location_heads", {}))
        return super()._apply(fn, recurse)

    @property
    def device(self) -> torch.device:
        return self.bin_scores.device

    @staticmethod
    def _numeric_table(spec):
        knots, scores = normal_scores(spec)
        as_t = lambda a, dt=torch.float64: torch.as_tensor(a, dtype=dt)  # noqa: E731
        values = np.asarray(spec.values, dtype=np.float64)
        start, end = np.asarray(spec.bin_start), np.asarray(spec.bin_end)
        # each bin's first two moments over its training values (a location and a
        # spread of a class distribution, :meth:`conditional_moments`), and how many
        # distinct values it holds
        # per bin, not by differences of running sums (which cancel catastrophically);
        # a column spanning float64's range overflows to inf here, without a warning
        bins = [values[a:b] if b > a else np.zeros(1) for a, b in zip(start, end)]
        with np.errstate(over="ignore", invalid="ignore"):
            means = np.array([b.mean() for b in bins], dtype=np.float64)
            mean_squares = np.array([np.mean(b * b) for b in bins], dtype=np.float64)
        distinct = np.array([len(np.unique(values[a:b])) for a, b in zip(start, end)],
                            dtype=np.int64)
        return {
            "values": as_t(values), "start": as_t(start, torch.long),
            "end": as_t(end, torch.long), "knots": as_t(knots),
            "scores": as_t(scores), "missing": spec.missing_code,
            "mean": as_t(means.reshape(-1)),
            "mean_square": as_t(mean_squares.reshape(-1)),
            "distinct": as_t(distinct, torch.long),
        }

    # -- features ----------------------------------------------------------
    def column_features(self, j: int, codes: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """Input features of column ``j`` for its children: ``[batch, width]``."""
        spec = self.layout[j]
        if spec.kind != NUMERIC:
            return torch.nn.functional.one_hot(codes, spec.n_classes).float()
        t = self._numeric_tables[j]
        missing = codes == t["missing"]
        score = _interp(torch.nan_to_num(values.double()), t["knots"], t["scores"])
        score = torch.where(missing, torch.zeros_like(score), score).float()[:, None]
        if spec.has_missing:
            return torch.cat([score, missing.float()[:, None]], dim=1)
        return score

    def features(self, codes: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """All columns' features plus the zero pad column: ``[batch, n_features + 1]``."""
        parts = [self.column_features(j, codes[:, j], values[:, j]) for j in range(self.n_nodes)]
        parts.append(torch.zeros(codes.shape[0], 1, device=codes.device))
        return torch.cat(parts, dim=1)

    def raw_features(self, codes: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """:meth:`features` with each number itself instead of its normal score (0
        where missing): float64 ``[batch, n_features + 1]``, the inputs of the
        location heads (:mod:`debiasgen.nn.location`)."""
        parts = [self.raw_column_features(j, codes[:, j], values[:, j])
                 for j in range(self.n_nodes)]
        parts.append(torch.zeros(codes.shape[0], 1, dtype=torch.float64, device=codes.device))
        return torch.cat(parts, dim=1)

    def raw_column_features(self, j: int, codes: torch.Tensor,
                            values: torch.Tensor) -> torch.Tensor:
        """Column ``j``'s part of :meth:`raw_features`: ``[batch, width]``."""
        spec = self.layout[j]
        if spec.kind != NUMERIC:
            return torch.nn.functional.one_hot(codes, spec.n_classes).double()
        missing = codes == spec.missing_code
        x = torch.where(missing, torch.zeros_like(values.double()),
                        torch.nan_to_num(values.double()))[:, None]
        if spec.has_missing:
            return torch.cat([x, missing.double()[:, None]], dim=1)
        return x

    def numeric_inputs(self, j: int) -> torch.Tensor:
        """``[n_inputs]`` booleans: which of node ``j``'s input positions hold a
        parent's number (not a one-hot category, a missing flag or padding)."""
        first = {s.start for p, s in enumerate(self.feature_slices)
                 if self.layout[p].kind == NUMERIC}
        return torch.tensor([int(f) in first for f in self.parent_index[j]],
                            device=self.parent_index.device)

    def gather_inputs(self, feats: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
        """Parent features of ``nodes``: ``[len(nodes), batch, n_inputs]``."""
        idx = self.parent_index[nodes]
        flat = feats.index_select(1, idx.reshape(-1))
        return flat.reshape(feats.shape[0], len(nodes), -1).transpose(0, 1)

    # -- mechanisms ----------------------------------------------------------
    def logits(self, inputs: torch.Tensor, u: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
        # the latent comes first, so a step whose nodes have few parents can drop the padding
        width = int(self.input_width[nodes].max())
        x = torch.cat([u, inputs[..., :width]], dim=2)
        out = self.decoder(x, nodes) + self._output_penalty(nodes)
        return self._head(out, self.linear_shift(x, nodes), nodes)

    def step_mechanism(self, nodes: tuple[int, ...], width: int, removal=None,
                       shadow: bool = False) -> StepMechanism | None:
        """The mechanisms of ``nodes`` (one generation step) as a function of the
        rows' features, the shadow's and the latent noise, giving the nodes' first
        ``width`` class logits, its weights arranged once for every chunk of a pass
        (:class:`StepMechanism`).  ``None`` where a subclass transforms the gathered
        inputs (its steps gather them)."""
        return StepMechanism(self, nodes, width, removal, shadow)

    def _node_weight(self, parts, nodes: torch.Tensor | None = None) -> torch.Tensor:
        """The first-layer weights of ``nodes`` (all if None) laid out by feature:
        ``[k, n_features, width]``, zero where a feature is not the node's parent.
        ``parts``: each ``[k, n_inputs, w]``, the weight rows of the nodes' input
        positions, joined along the width."""
        stacked = torch.cat(parts, 2)
        k, width = stacked.shape[0], stacked.shape[2]
        stacked = torch.cat([stacked, stacked.new_zeros(k, 1, width)], 1)  # pad
        position = self.feature_position if nodes is None else self.feature_position[:, nodes]
        # a gather: its gradient is a scatter-add, cheaper than an index's
        return stacked.gather(1, position.T[..., None].expand(-1, -1, width))

    def _feature_weight(self, parts, nodes: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`_node_weight` feature-major: ``[n_features, k, width]``."""
        return self._node_weight(parts, nodes).transpose(0, 1)

    def _first_layer(self, feats: torch.Tensor, parts, biases) -> torch.Tensor:
        """Every node's first layer over the features ``feats``, node-major
        ``[n_nodes, batch, width]``: one batched product of the features (broadcast
        over the nodes, a view) and each node's weights ``parts`` laid out by feature
        (:meth:`_node_weight`), starting from the biases ``biases`` (each
        ``[n_nodes, 1, w]``).  Node-major output is what the later layers' batched
        products take: no transposed copy forward, no concatenated gradient backward."""
        x = feats[:, :self.n_features].expand(self.n_nodes, -1, -1)
        return torch.baddbmm(torch.cat(biases, 2), x, self._node_weight(parts))

    # (derived from the buffers on each call, not buffers themselves: a model pickled
    # before they existed must still load and run)
    def _output_penalty(self, nodes) -> torch.Tensor:
        """The padding penalty over the decoder's outputs (classes, shift, precision):
        ``[len(nodes), 1, max_classes + 2]``, added as a bias."""
        penalty = self.class_penalty[nodes]
        return torch.cat([penalty, penalty.new_zeros(penalty.shape[0], 1, 2)], 2)

    def _head(self, out, linear, nodes):
        """Class logits from the decoder's output ``out`` (the padding penalty added,
        :meth:`_output_penalty`) and the linear shift."""
        # split, not slices: the gradient is one concatenation, not three zero-filled
        # copies
        logits, shift, precision = out.split([self.max_classes, 1, 1], dim=2)
        # contiguous first: softplus over a strided column is several times slower
        precision = torch.nn.functional.softplus(precision.contiguous())
        # the ordinal shape, shift times the score minus precision times half its
        # square, as one product
        rows = torch.cat([self.bin_scores[nodes], -self.half_square_scores[nodes]], 1)
        return torch.baddbmm(logits, torch.cat([shift + linear, precision], 2), rows)

    def encode_noise(self, inputs, codes, nodes):
        """Posterior mean and log-variance of ``u`` for ``nodes`` given their values."""
        onehot = torch.nn.functional.one_hot(codes.T, self.max_classes).float()
        out = self.noise_encoder(torch.cat([inputs, onehot], dim=2), nodes)
        return out[..., : self.latent_dim], out[..., self.latent_dim:].clamp(-8.0, 8.0)

    def gathered_elbo_terms(self, feats, codes, eps):
        """:meth:`elbo_terms` through :meth:`gather_inputs` (the per-node inputs, which a
        subclass may transform) and :meth:`logits`, as generation computes them."""
        nodes = torch.arange(self.n_nodes, device=codes.device)
        inputs = self.gather_inputs(feats, nodes)
        mu, logvar = self.encode_noise(inputs, codes, nodes)
        u = mu + torch.exp(0.5 * logvar) * eps
        return self._likelihood(self.logits(inputs, u, nodes), codes, mu, logvar)

    def elbo_terms(self, feats, codes, eps):
        """Per-node negative log-likelihood and KL, each ``[n_nodes, batch]``.

        The same function as :meth:`gathered_elbo_terms`, arranged for training speed:
        the first layers of every node's decoder, linear shift and noise encoder read
        the features through batched products with the biases (:meth:`_first_layer`)
        whose weights ``[n_nodes, n_features, width]`` are gathered from the stacked
        weights (zero where a feature is not the node's parent), node-major as the
        later layers take them; the decoder's and the linear shift's latent rows are
        one product, and the noise encoder's one-hot input is a row lookup.  This
        replaces a ``[n_nodes, batch, n_inputs]`` gather, two concatenations and three
        padded batched products per step.
        """
        logits, mu, logvar = self._fused_pass(feats, codes, eps)
        return self._likelihood(logits, codes, mu, logvar)

    def posterior_logits(self, feats: torch.Tensor, codes: torch.Tensor):
        """Abduction's network pass over every node: the noise encoder's posterior mean
        ``u`` of observed rows (features ``feats``, classes ``codes``) and the class
        logits under it, ``([n_nodes, batch, latent], [n_nodes, batch, classes])``;
        the same function as :meth:`encode_noise` and :meth:`logits` on
        :meth:`gather_inputs`.  The mean reads the features through one product
        (:meth:`posterior_mean`), the logits through every node's
        :meth:`step_mechanism` (the latent joins that product, which a pass computing
        both from one product could not do: the latent depends on it)."""
        u = self.posterior_mean(feats, codes)
        every = tuple(range(self.n_nodes))
        return u, self.step_mechanism(every, self.max_classes)(feats, u)

    def posterior_mean(self, feats: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """The noise encoder's posterior mean of every node, ``[n_nodes, batch, latent]``:
        its first layer one product over the features (:meth:`_first_layer`, as in
        :meth:`elbo_terms`) and only the mean's outputs of the last layer."""
        enc = self.noise_encoder
        first = self._first_layer(feats, [enc.weights[0][:, :self.n_inputs]], [enc.biases[0]])
        return self._encode(first, codes, self.latent_dim)

    def _encode(self, first, codes, outputs: int | None = None) -> torch.Tensor:
        """The noise encoder's output for every node from its first layer's feature
        part ``first`` ``[n_nodes, batch, width]`` (biases included) and the observed
        classes ``codes``, whose one-hot input is a row lookup; only the leading
        ``outputs`` of the last layer (all if None)."""
        enc = self.noise_encoder
        table = enc.weights[0][:, self.n_inputs:]  # [nodes, classes, width]
        n, classes, width = table.shape
        # row (node, class) of the flattened table: index_select's gradient is an
        # index_add, cheaper than a two-dimensional index's
        rows = codes.T + torch.arange(n, device=codes.device)[:, None] * classes
        own = table.reshape(-1, width).index_select(0, rows.reshape(-1)).view(n, -1, width)
        hidden = torch.nn.functional.silu(first + own)
        w, b = enc.weights[1], enc.biases[1]
        if outputs is not None:
            w, b = w[..., :outputs], b[..., :outputs]
        return torch.baddbmm(b, hidden, w)

    def _fused_pass(self, feats, codes, eps):
        """Logits, posterior mean and log-variance of every node (:meth:`elbo_terms`)."""
        latent, n = self.latent_dim, self.n_nodes
        dec, lin, enc = self.decoder, self.linear_shift, self.noise_encoder
        dec_w, lin_w = dec.weights[0], lin.weights[0]
        out = self._encode(self._first_layer(feats, [enc.weights[0][:, :self.n_inputs]],
                                             [enc.biases[0]]), codes)
        mu, logvar = out[..., :latent], out[..., latent:].clamp(-8.0, 8.0)
        u = mu + torch.exp(0.5 * logvar) * eps
        # the decoder's first layer and the linear shift (one output) side by side;
        # training reads every node: no node index on the weights (its gradient is slow)
        first = self._first_layer(feats, [dec_w[:, latent:], lin_w[:, latent:]],
                                  [dec.biases[0], lin.biases[0]])
        x = torch.baddbmm(first, u, torch.cat([dec_w[:, :latent], lin_w[:, :latent]], 2))
        x, linear = x.split([dec_w.shape[2], 1], dim=2)
        (w2, w3), (b2, b3) = dec.weights[1:], dec.biases[1:]
        x = torch.baddbmm(b2, torch.nn.functional.silu(x), w2)
        nodes = torch.arange(n, device=codes.device)
        x = torch.baddbmm(b3 + self._output_penalty(nodes), torch.nn.functional.silu(x), w3)
        return self._head(x, linear, nodes), mu, logvar

    @staticmethod
    def _likelihood(logits, codes, mu, logvar):
        logp = torch.log_softmax(logits, dim=2)
        nll = -logp.gather(2, codes.T[..., None]).squeeze(2)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(2)
        return nll, kl

    # -- decoding a class to a value ----------------------------------------
    def _bins(self, j: int, codes: torch.Tensor):
        """Numeric table of column ``j`` and each row's bin ``[start, end)`` and
        missingness; ``None`` for a categorical or all-missing column."""
        t = self._numeric_tables.get(j)
        if t is None or len(t["start"]) == 0:
            return None
        missing = codes == t["missing"]
        safe = torch.where(missing, torch.zeros_like(codes), codes)
        return t, missing, t["start"][safe], t["end"][safe]

    def class_values(self, j: int, codes: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Numeric value for class ``codes`` of column ``j``: the training value at
        relative position ``w`` in [0, 1) of the bin; NaN for missing and categorical."""
        bins = self._bins(j, codes)
        if bins is None:
            return torch.full(codes.shape, float("nan"), dtype=torch.float64,
                              device=codes.device)
        t, missing, start, end = bins
        pick = torch.minimum(start + ((end - start).double() * w).long(), end - 1)
        out = t["values"][pick]
        return torch.where(missing, torch.full_like(out, float("nan")), out)

    def continuous(self, j: int) -> bool:
        """Whether numeric column ``j`` is continuous enough for a location shift: every
        bin holds at least two distinct training values (no bin is a single value,
        like the spike of a zero-inflated column or a column of a few levels)."""
        t = self._numeric_tables.get(j)
        return t is not None and len(t["start"]) > 1 and bool((t["distinct"] >= 2).all())

    def conditional_moments(self, j: int, logits: torch.Tensor):
        """Mean and variance of numeric column ``j``'s value under class logits
        ``[batch, classes]``, given that it is not missing: each bin's probability
        times its training values' mean (and mean square).  Float64 ``[batch]`` each."""
        t = self._numeric_tables[j]
        n_bins = len(t["start"])
        probs = torch.softmax(logits[..., :n_bins].double(), dim=-1)
        mean = probs @ t["mean"]
        var = (probs @ t["mean_square"] - mean ** 2).clamp_min(0.0)
        return mean, var

    def cast_values(self, j: int, values: torch.Tensor) -> torch.Tensor:
        """Numbers for numeric column ``j`` that its dtype holds: rounded to integers
        (as the encoder takes them) and clipped to an integer dtype's range."""
        dtype = _numpy_dtype(self.layout[j].dtype)
        if dtype is None or dtype.kind not in "iu":
            return values
        info = np.iinfo(dtype)
        # float64 holds integers exactly up to 2**53, which the encoder also requires
        low, high = max(float(info.min), -2.0 ** 53), min(float(info.max), 2.0 ** 53)
        return torch.round(values).clamp(low, high)

    def bin_of(self, j: int, values: torch.Tensor) -> torch.Tensor:
        """The bin (class code) of numeric values of column ``j``, as the encoder
        assigns it; a value beyond the training range falls in the first or last bin."""
        cuts = torch.as_tensor(np.asarray(self.layout[j].cuts, dtype=np.float64),
                               device=values.device)
        return torch.searchsorted(cuts, values.contiguous(), side="left")

    def within_bin_rank(self, j: int, codes: torch.Tensor, values: torch.Tensor,
                        u: torch.Tensor | None = None):
        """Relative position in (0, 1) of each value among its bin's training values
        (NaN where missing); ``None`` for a categorical column.  Inverse of
        :meth:`class_values`.

        A value that several training values equal (a spike: 40 hours a week) spans
        their positions; ``u`` (uniform, one per row) places it inside that span, a
        randomized probability integral transform, so that a spike's rows spread over
        the quantiles they occupy instead of all sitting at the middle one (which would
        map a whole spike onto one value of another distribution).  Without ``u``: the
        middle of the span.
        """
        bins = self._bins(j, codes)
        if bins is None:
            return None
        t, missing, start, end = bins
        x = torch.nan_to_num(values.double()).contiguous()
        lo = torch.searchsorted(t["values"], x).double()
        hi = torch.searchsorted(t["values"], x, right=True).double()
        if u is None:
            pos = (lo + hi) / 2
        else:  # inside [lo, hi), away from hi so class_values picks a tied value back
            pos = lo + u.double().clamp(0.0, 1.0 - 1e-6) * (hi - lo)
        rank = ((pos - start) / (end - start)).clamp(1e-9, 1 - 1e-9)
        return torch.where(missing, torch.full_like(rank, float("nan")), rank)


class StepMechanism:
    """Class logits of one generation step's nodes read straight from all columns'
    features, with the weights laid out once for every chunk of a pass.

    The same function as :meth:`CausalVAE.logits` on :meth:`CausalVAE.gather_inputs`
    (sliced to the step's ``width`` classes; with an edge removal, on the inputs
    :func:`debiasgen.nn.generate._inputs` mixes from the row, the shadow and the
    reference row), arranged for generation speed: the first layers of the decoder
    and of the linear shift read the features through one product ``x @ W``, where
    ``x`` joins the row's features, the shadow's (where the step reads cut parents
    from a shadow) and the nodes' latent noise, and ``W`` holds the nodes' weights
    laid out by feature as training lays them out (:meth:`CausalVAE._feature_weight`;
    zero where a node does not read that feature from that source) over
    block-diagonal latent rows.  A source whose features the step reads few of (roots,
    nodes of few parents, the cut parents) gives only those columns.  The biases,
    and the reference row's features times their weights, join the product
    (``addmm``).  The ordinal shift of the decoder's output and the padding penalty
    are folded into the last layer's weights and bias, which produce only the
    ``width`` classes and the precision.  The float sums run in another order than
    the gathered form.

    Parameters
    ----------
    model : CausalVAE
    nodes : tuple of int
        The step's nodes.
    width : int
        Classes kept (the widest node's; the rest of every node is padding).
    removal : EdgeRemoval, optional
        The removed edges whose parents the step reads from the shadow or the
        reference row.
    shadow : bool, default=False
        Whether the pass has a shadow (without one, cut parents are the row's own).
    """

    def __init__(self, model: CausalVAE, nodes: tuple[int, ...], width: int,
                 removal=None, shadow: bool = False):
        idx = torch.tensor(nodes, device=model.device)
        k, latent, top = len(nodes), model.latent_dim, model.max_classes
        dec, lin = model.decoder, model.linear_shift
        dec_w, lin_w = dec.weights[0][idx], lin.weights[0][idx]
        hidden = dec_w.shape[2]
        rows = torch.cat([dec_w[:, latent:], lin_w[:, latent:]], 2)  # [k, n_inputs, h + 1]
        parents = model.parent_index[idx]  # [k, n_inputs]
        reads = parents < model.n_features  # not padding
        cut = torch.zeros_like(reads)
        ref = torch.zeros_like(reads)
        if removal is not None:
            ref = removal.reference_mask[idx][:, 0] & reads
            if shadow:
                cut = removal.shadow_mask[idx][:, 0] & reads
        self.b1 = torch.cat([dec.biases[0][idx], lin.biases[0][idx]], 2).reshape(-1)
        self.reference = None
        if ref.any():  # the reference row is a constant input: part of the bias
            weight = model._feature_weight([rows * ref[..., None]], idx)
            values = removal.reference_features[:, :model.n_features]
            self.b1 = self.b1 + values[0] @ weight.reshape(model.n_features, -1)
            self.reference = (values, _reads(model, parents, ref))
        # per source: the columns it gives (None: all), their weight rows, and which
        # node reads which of them (:meth:`unchanged`)
        self.columns, self.reads, blocks = [], [], []
        for mask in (reads & ~cut & ~ref, cut) if shadow else (reads & ~ref,):
            weight = model._feature_weight([rows * mask[..., None]], idx)
            used = torch.unique(parents[mask])
            read = _reads(model, parents, mask)
            if len(used) <= 0.6 * model.n_features:  # few: read only those columns
                self.columns.append(used)
                self.reads.append(read[used])
                blocks.append(weight[used])
            else:
                self.columns.append(None)
                self.reads.append(torch.cat([read, read.new_zeros(1, k)]))  # the pad
                blocks.append(torch.cat([weight, weight.new_zeros(1, k, hidden + 1)]))
        # node i's latent rows feed node i's columns only
        own = torch.cat([dec_w[:, :latent], lin_w[:, :latent]], 2)  # [k, latent, h + 1]
        blocks.append(torch.block_diag(*own).view(k * latent, k, hidden + 1))
        self.w1 = torch.cat(blocks).reshape(-1, k * (hidden + 1))
        self.w2, self.b2 = dec.weights[1][idx], dec.biases[1][idx]
        w3, b3 = dec.weights[2][idx], dec.biases[2][idx]
        c = model.bin_scores[idx][..., :width]
        penalty = model.class_penalty[idx][..., :width]
        self.w3 = torch.cat([w3[..., :width] + w3[..., top:top + 1] * c, w3[..., top + 1:]], 2)
        self.b3 = torch.cat([b3[..., :width] + b3[..., top:top + 1] * c + penalty,
                             b3[..., top + 1:]], 2)
        self.scores, self.half_square = c, model.half_square_scores[idx][..., :width]
        self.k, self.hidden, self.width = k, hidden, width

    def unchanged(self, feats: torch.Tensor, shadow_feats: torch.Tensor | None,
                  observed: torch.Tensor) -> torch.Tensor:
        """``[k, batch]``: whether each node's inputs (from ``feats``, the shadow's and
        the reference row) are exactly those it would read from the ``observed``
        features; counts of differing features, summed by a product of 0/1 values,
        which is exact."""
        changed = None
        for f, cols, read in zip((feats, shadow_feats), self.columns, self.reads):
            a, b = (f, observed) if cols is None else (f.index_select(1, cols),
                                                        observed.index_select(1, cols))
            count = (a != b).float() @ read
            changed = count if changed is None else changed + count
        if self.reference is not None:
            values, read = self.reference
            changed = changed + (values != observed[:, :values.shape[1]]).float() @ read
        return (changed == 0).T

    def __call__(self, feats: torch.Tensor, u: torch.Tensor,
                 shadow_feats: torch.Tensor | None = None) -> torch.Tensor:
        """``feats`` (and, for a step built with a shadow, ``shadow_feats``)
        ``[batch, n_features + 1]``, ``u [k, batch, latent]`` -> ``[k, batch, width]``."""
        batch, k, hidden = feats.shape[0], self.k, self.hidden
        parts = [f if cols is None else f.index_select(1, cols)
                 for f, cols in zip((feats, shadow_feats), self.columns)]
        x = torch.cat([*parts, u.transpose(0, 1).reshape(batch, -1)], 1)
        first = torch.addmm(self.b1, x, self.w1).view(batch, k, hidden + 1).transpose(0, 1)
        h = torch.nn.functional.silu(first[..., :hidden])
        h = torch.nn.functional.silu(torch.baddbmm(self.b2, h, self.w2), inplace=True)
        out = torch.baddbmm(self.b3, h, self.w3)
        # contiguous first: softplus over a strided column is several times slower
        precision = torch.nn.functional.softplus(out[..., self.width:].contiguous())
        # a new (contiguous) tensor, not the strided view of ``out``: the inverse CDF's
        # softmax and running sums are slower on a view
        logits = torch.addcmul(out[..., :self.width], first[..., hidden:], self.scores)
        return logits.addcmul_(precision, self.half_square, value=-1)


def _reads(model: CausalVAE, parents: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[n_features, k]`` 0/1: which features the nodes of ``parents [k, n_inputs]``
    (their feature index per input position) read at the positions ``mask``."""
    read = torch.zeros(model.n_features, parents.shape[0], device=parents.device)
    node = torch.arange(parents.shape[0], device=parents.device)[:, None].expand_as(parents)
    read[parents[mask], node[mask]] = 1.0
    return read


def _numpy_dtype(dtype):
    """The numpy dtype of a column's dtype (a pandas nullable ``Int64`` gives int64);
    ``None`` where there is none."""
    try:
        return np.dtype(getattr(dtype, "numpy_dtype", dtype))
    except TypeError:
        return None


def _interp(x: torch.Tensor, knots: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation, clamped at the ends (like ``np.interp``)."""
    if len(knots) == 1:
        return torch.full_like(x, float(scores[0]))
    i = torch.searchsorted(knots, x.contiguous()).clamp(1, len(knots) - 1)
    x0, x1 = knots[i - 1], knots[i]
    gap = x1 - x0
    # Knots further apart than float64's largest number (a column spanning
    # -1e308..1e308) make the gap infinite and the weight NaN: there, use the halves,
    # which cannot overflow (halving is exact for normal numbers, so the weight is the
    # same).  Branch-free, so a GPU never waits on a check.
    half = (x * 0.5 - x0 * 0.5) / (x1 * 0.5 - x0 * 0.5)
    w = torch.where(torch.isfinite(gap), (x - x0) / gap, half).clamp(0.0, 1.0)
    return scores[i - 1] + w * (scores[i] - scores[i - 1])

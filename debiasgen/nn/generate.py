"""Level-by-level generation through the causal layer.

One generation *pass* draws the root block one root at a time (each root is
conditioned on the earlier roots, so the roots keep their joint distribution),
then every later topological level in one batched step.  Interventions are
applied as hooks right after their node is generated; a root's hook runs only
after the whole root block, so the other roots keep their own marginal
(intervening is not conditioning).

Edge removal ``(p, c)`` feeds ``c``'s mechanism the features of ``p`` from a
*shadow* pass instead of the row's own ``p`` (or a fixed reference value):

* with no decoupled roots (explicit edges, ``ftu``), the shadow is an
  independent draw of a whole row, so ``c`` sees a value of ``p`` drawn from
  ``p``'s own distribution, and several cut parents come jointly from the same
  independent row;
* with *decoupled* roots (the DP preset), the output row's decoupled roots (the
  sensitive attribute) are replaced by an independent draw, while the shadow is
  the same row with its original, jointly drawn roots and the row's own
  exogenous noise blended with fresh noise: ``noise_reuse`` = 1 keeps all of it
  (the cut parents are then this row's mediators under a sensitive value
  independent of the output one), 0 keeps none (an independent row).  Either
  way the target is independent of the output sensitive attribute; reusing the
  row's noise keeps more of the row's other causes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch

from debiasgen.core.encoding import NUMERIC
from debiasgen.nn.location import evaluate

Hook = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]

# The largest spread (sd over rows) of a node's log conditional sd for which its
# counterfactual is a location shift (:func:`location_nodes`).
LOCATION_TOLERANCE = 0.1


@dataclass(frozen=True)
class Plan:
    """Generation order: roots one by one, then the remaining levels."""

    roots: tuple[int, ...]
    levels: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class EdgeRemoval:
    """Which mechanism inputs come from a shadow pass or a reference row.

    ``shadow_mask`` and ``reference_mask`` are ``[n_nodes, 1, n_inputs]`` booleans
    over the model's input positions; ``reference_features`` is ``[1, n_features + 1]``.
    """

    shadow_mask: torch.Tensor
    reference_mask: torch.Tensor
    reference_features: torch.Tensor
    decoupled: tuple[int, ...] = ()
    noise_reuse: float = 0.0
    # the reference row's raw features (the location heads' inputs); None: no heads
    # read a reference
    reference_raw: torch.Tensor | None = None

    @property
    def needs_shadow(self) -> bool:
        return bool(self.shadow_mask.any())

    def shadow_nodes(self, model) -> set[int]:
        """The nodes a shadow pass must generate: the parents the removed edges cut
        and their ancestors among the mechanisms' inputs (the rest of a shadow row is
        never read)."""
        owner = model.input_owner
        todo = {int(p) for p in owner[self.shadow_mask[:, 0]].tolist()}
        done = set()
        while todo:
            j = todo.pop()
            done.add(j)
            todo |= {int(p) for p in owner[j].tolist() if p >= 0} - done
        return done


@dataclass
class Noise:
    """Exogenous noise of a batch: latent ``u``, a uniform ``e`` per node and, for
    abducted rows, Gumbel noise per class of the categorical nodes.

    ``e`` picks the class by inverse CDF; its relative position inside the chosen
    class's CDF interval then picks the training value inside a numeric bin, so a
    numeric node is one continuous quantile transform of ``e`` (rank-preserving).
    In a counterfactual pass a numeric node whose mechanism behaves like additive
    noise (:func:`location_nodes`) instead moves by the change of its conditional
    mean, ``x + m(pa') - m(pa)`` (``location``): each quantile of the binned CDF is
    estimated on its own, so the quantile transform is noisier than the shift.

    A categorical node has no order for an inverse CDF to preserve, so where
    ``gumbel`` is given (noise abducted from observed rows) its class is the
    Gumbel-max ``argmax(log p + gumbel)`` instead: a counterfactually stable
    mechanism (Oberst & Sontag, 2019), whose class changes only when the
    intervention makes another class relatively more likely than the observed one.
    """

    u: torch.Tensor  # [n_nodes, batch, latent_dim]
    e: torch.Tensor  # [n_nodes, batch]
    # [n_nodes, batch, classes]: the widest categorical node's classes; zero rows for
    # numeric nodes
    gumbel: torch.Tensor | None = None
    # [n_nodes, batch]: for abducted rows, the conditional mean of each additive-noise
    # node (see :func:`location_nodes`) under the observed parents; NaN elsewhere
    location: torch.Tensor | None = None

    def blend(self, other: Noise, reuse: float) -> Noise:
        """Noise correlated ``reuse`` with ``self`` (Gaussian copula), else ``other``.

        A partial blend keeps no Gumbel noise: its categorical nodes fall back to the
        blended ``e``."""
        if reuse >= 1.0:
            return self
        if reuse <= 0.0:
            return other
        keep, new = reuse, (1.0 - reuse**2) ** 0.5
        normal = torch.distributions.Normal(0.0, 1.0)
        mix = keep * torch.special.ndtri(self.e) + new * torch.special.ndtri(other.e)
        return Noise(keep * self.u + new * other.u, normal.cdf(mix).clamp(0.0, 1.0 - 1e-12))

    @classmethod
    def draw(cls, model, n: int, generator: torch.Generator) -> Noise:
        shape, device = (model.n_nodes, n), generator.device
        return cls(
            torch.randn(*shape, model.latent_dim, generator=generator, device=device),
            torch.rand(*shape, generator=generator, dtype=torch.float64, device=device),
        )


@dataclass
class Batch:
    """Codes ``[batch, n_nodes]``, numeric values and input features of one pass;
    ``raw`` (the location heads' inputs, :meth:`CausalVAE.raw_features`) only in
    counterfactual passes of a model with location heads."""

    codes: torch.Tensor
    values: torch.Tensor
    feats: torch.Tensor
    raw: torch.Tensor | None = None

    @classmethod
    def empty(cls, model, n: int, raw: bool = False) -> Batch:
        device = model.device
        return cls(
            torch.zeros(n, model.n_nodes, dtype=torch.long, device=device),
            torch.full((n, model.n_nodes), float("nan"), dtype=torch.float64, device=device),
            torch.zeros(n, model.n_features + 1, device=device),
            torch.zeros(n, model.n_features + 1, dtype=torch.float64, device=device)
            if raw and model.location_heads else None,
        )

    @classmethod
    def observed(cls, model, codes: torch.Tensor, values: torch.Tensor) -> Batch:
        raw = model.raw_features(codes, values) if model.location_heads else None
        return cls(codes.clone(), values.clone(), model.features(codes, values), raw)

    def set(self, model, j: int, codes: torch.Tensor, values: torch.Tensor) -> None:
        self.codes[:, j] = codes
        self.values[:, j] = values
        self.feats[:, model.feature_slices[j]] = model.column_features(j, codes, values)
        if self.raw is not None:
            self.raw[:, model.feature_slices[j]] = model.raw_column_features(j, codes, values)


def class_intervals(logits: torch.Tensor, codes: torch.Tensor):
    """Lower CDF bound and probability of class ``codes``: each ``[k, batch]``.

    The softmax runs in float32 and the running sums in float64, divided by their last
    value (which makes it exactly 1 and removes the rounding of the float32 softmax's
    normaliser), so that dropping padding classes changes no interval."""
    probs = torch.softmax(logits, dim=2).double()
    cdf = probs.cumsum(dim=2)
    total, index = cdf[..., -1:], codes[..., None]
    p = (probs.gather(2, index) / total).squeeze(2)
    return (cdf.gather(2, index) / total).squeeze(2) - p, p


def sample_classes(logits: torch.Tensor, e: torch.Tensor, n_classes: torch.Tensor):
    """Inverse-CDF class choice and the position of ``e`` inside the class interval.

    ``logits [k, batch, classes]``, ``e [k, batch]``, ``n_classes [k]`` (the rest
    is padding); returns ``(codes, w)`` with ``w`` uniform on [0, 1) and
    independent of the class.

    The class weights stay unnormalised (``exp(logit - max)``, or a float32 softmax
    where that is faster), their running sums float64, and ``e`` is scaled by the
    last sum instead of normalising every sum; padding classes weigh exactly 0, so
    dropping them changes no draw.
    """
    if logits.shape[2] >= 16:  # torch's softmax is slow over a short last dimension
        weights = torch.softmax(logits, dim=2)
    else:
        weights = (logits - logits.amax(dim=2, keepdim=True)).exp_()
    cdf = weights.double().cumsum_(dim=2)
    target = e[..., None] * cdf[..., -1:]
    codes = torch.searchsorted(cdf, target)  # number of cdf values < target
    codes = torch.minimum(codes, (n_classes - 1)[:, None, None])
    p = weights.gather(2, codes).double()
    lower = cdf.gather(2, codes) - p
    w = ((target - lower) / p.clamp_min(1e-300)).clamp(0.0, 1.0 - 1e-12)
    return codes.squeeze(2), w.squeeze(2)


def _categorical_width(model) -> int:
    return max([c.n_classes for c in model.layout if c.kind != NUMERIC] + [1])


def _log_probs(logits: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(logits.double(), dim=2)


def gumbel_max(logits: torch.Tensor, gumbel: torch.Tensor) -> torch.Tensor:
    """The Gumbel-max class ``argmax(log p + gumbel)``: ``[k, batch]``, over the
    first ``gumbel.shape[2]`` classes.  Padding classes (logit -1e9) cannot win:
    their log-probability is about -1e9."""
    return (_log_probs(logits)[..., :gumbel.shape[2]] + gumbel).argmax(dim=2)


def gumbel_posterior(logits: torch.Tensor, codes: torch.Tensor,
                     generator: torch.Generator) -> torch.Tensor:
    """Gumbel noise drawn from its posterior given the observed class ``codes``.

    Top-down sampling (Maddison et al., 2014; Oberst & Sontag, 2019): the maximum of
    the perturbed log-probabilities is a standard Gumbel (their log-sum-exp is 0),
    the observed class attains it, and every other class's perturbed value is a
    Gumbel with its own location truncated below that maximum.  Returns the noise
    (perturbed value minus log-probability), ``[k, batch, classes]``, so that
    :func:`gumbel_max` of the same logits gives back ``codes``.
    """
    logp = _log_probs(logits)

    def standard_gumbel(shape):
        u = torch.rand(shape, generator=generator, dtype=torch.float64,
                       device=generator.device).clamp(1e-300, 1.0 - 1e-16)
        return -torch.log(-torch.log(u))

    top = standard_gumbel(logp.shape[:2])[..., None]  # [k, batch, 1]
    free = logp + standard_gumbel(logp.shape)
    perturbed = -torch.logaddexp(-top, -free)  # a Gumbel truncated at ``top``
    perturbed = perturbed.scatter(2, codes[..., None], top)
    return perturbed - logp


def _step(model, nodes, batch, noise, removal, shadow, keep, steps):
    """Generate ``nodes`` (one level) into ``batch``.

    ``steps``: the step mechanisms (:meth:`CausalVAE.step_mechanism`) of the passes
    of one draw, by nodes and inputs, built here on first use.

    ``keep`` (an observed batch whose noise ``noise`` was abducted from): a row whose
    mechanism inputs for a node are exactly the observed ones keeps the node's observed
    value.  Same inputs and same noise must give the same value; saying so exactly,
    instead of recomputing it, makes an identity counterfactual return the row on any
    platform (recomputed logits may differ in the last bit between batch shapes, and a
    categorical noise near its class boundary would then flip the class).
    """
    idx = torch.tensor(nodes, device=batch.codes.device)
    # classes past the step's widest node are padding (probability 0): drop them before
    # the inverse CDF, whose float64 work would otherwise span every node's classes
    width = max(model.layout[j].n_classes for j in nodes)
    key = (nodes, removal is not None, shadow is not None)
    if key not in steps:
        steps[key] = model.step_mechanism(nodes, width, removal, shadow is not None)
    mechanism = steps[key]
    shadow_feats = None if shadow is None else shadow.feats
    same = None  # [k, batch]: whether a node's inputs are the observed ones
    if mechanism is not None:
        logits = mechanism(batch.feats, noise.u[idx], shadow_feats)
        if keep is not None:
            same = mechanism.unchanged(batch.feats, shadow_feats, keep.feats)
    else:
        inputs = _inputs(model, idx, batch.feats, removal, shadow_feats,
                         None if removal is None else removal.reference_features)
        logits = model.logits(inputs, noise.u[idx], idx)[..., :width]
        if keep is not None:
            same = (inputs == model.gather_inputs(keep.feats, idx)).all(dim=2)
    codes, w = sample_classes(logits, noise.e[idx], model.n_classes[idx])
    if noise.gumbel is not None:
        categorical = model.categorical[idx]
        if categorical.any():
            gumbel_codes = gumbel_max(logits, noise.gumbel[idx][..., :width])
            codes = torch.where(categorical[:, None], gumbel_codes, codes)
    raw = None
    if keep is not None and noise.location is not None and batch.raw is not None:
        raw = _inputs(model, idx, batch.raw, removal,
                      None if shadow is None else shadow.raw,
                      None if removal is None else removal.reference_raw)
    for k, j in enumerate(nodes):
        new_codes, new_values = codes[k], model.class_values(j, codes[k], w[k])
        if keep is not None and noise.location is not None \
                and not torch.isnan(noise.location[j]).all():
            new_codes, new_values = _shift(model, j, _location(model, j, logits[k], raw, k),
                                           noise.location[j], keep, new_codes, new_values)
        if same is not None:
            new_codes = torch.where(same[k], keep.codes[:, j], new_codes)
            new_values = torch.where(same[k], keep.values[:, j], new_values)
        batch.set(model, j, new_codes, new_values)


def _inputs(model, idx, feats, removal, shadow_feats, reference_feats):
    """Mechanism inputs of nodes ``idx`` from ``feats`` (model or raw features), the
    cut parents read from the shadow's or the reference row's."""
    inputs = model.gather_inputs(feats, idx)
    if removal is not None:
        if shadow_feats is not None:
            cut = removal.shadow_mask[idx]
            inputs = torch.where(cut, model.gather_inputs(shadow_feats, idx), inputs)
        ref = removal.reference_mask[idx]
        if ref.any():
            inputs = torch.where(ref, model.gather_inputs(reference_feats, idx), inputs)
    return inputs


def _location(model, j, logits, raw, k):
    """Node ``j``'s conditional mean: its location head on the raw inputs ``raw[k]``
    where it has one, else the mean of its class distribution ``logits``."""
    head = model.location_heads.get(j)
    if head is not None and raw is not None:
        return evaluate(head, raw[k, :, :int(model.input_width[j])])
    return model.conditional_moments(j, logits)[0]


def _shift(model, j, mean, location, keep, codes, values):
    """The additive-noise counterfactual of node ``j`` where it applies: the observed
    value moved by the change of its conditional mean, ``x + m(pa') - m(pa)``
    (``mean``: ``m(pa')``).

    Applies to the rows whose abducted ``location`` (``m(pa)``) is known and whose
    value is observed and stays observed (missingness keeps the quantile path)."""
    missing = model.layout[j].missing_code if model.layout[j].has_missing else -1
    ok = ~torch.isnan(location) & (keep.codes[:, j] != missing) & (codes != missing)
    moved = model.cast_values(j, keep.values[:, j] + (mean - location))
    moved = torch.where(ok, moved, values)
    return torch.where(ok, model.bin_of(j, moved), codes), moved


@torch.no_grad()
def location_nodes(model, plan, generator: torch.Generator, *, n: int = 4096,
                   tolerance: float = LOCATION_TOLERANCE) -> tuple[int, ...]:
    """The numeric nodes whose fitted mechanism behaves like additive noise.

    A mechanism ``x = f(pa) + e`` with ``e`` independent of the parents has a
    conditional distribution of one shape moved by ``f(pa)``: its spread does not
    depend on the parents.  On ``n`` rows drawn from the model, each continuous
    numeric node (:meth:`CausalVAE.continuous`) is checked for that: its conditional
    standard deviation ``s(pa)`` under the model, and the node is additive where the
    spread of ``log s(pa)`` over the rows (their standard deviation) is at most
    ``tolerance``: a location shift then moves a unit's residual ``x - m(pa)`` by at
    most about that fraction where the truth would scale it.
    """
    numeric = [j for j in range(model.n_nodes) if model.continuous(j)]
    if not numeric:
        return ()
    codes, values = generate(model, plan, n, generator)
    observed = Batch.observed(model, codes, values)
    nodes = torch.tensor(numeric, device=codes.device)
    inputs = model.gather_inputs(observed.feats, nodes)
    u, _ = model.encode_noise(inputs, observed.codes[:, nodes], nodes)
    logits = model.logits(inputs, u, nodes)
    out = []
    for k, j in enumerate(numeric):
        _, var = model.conditional_moments(j, logits[k])
        spread = 0.5 * torch.log(var.clamp_min(1e-300))
        if float(spread.std()) <= tolerance:
            out.append(j)
    return tuple(out)


def run_pass(model, plan, noise, *, hooks=None, removal=None, shadow=None, overrides=None,
             roots_only=False, start: Batch | None = None, regen=None,
             abducted: bool = False, raw: bool = False, steps: dict | None = None) -> Batch:
    """One generation pass over ``noise``; see the module docstring.

    With ``regen``, only those nodes are generated: every other node keeps its value
    from ``start`` (an observed batch: a counterfactual pass) or, without one, stays
    empty (a shadow, read only at the parents removed edges cut).  With
    ``abducted`` (``noise`` was abducted from ``start``), a regenerated node whose
    inputs did not change keeps its observed value (see :func:`_step`).  ``raw``:
    a pass from scratch keeps the raw features too (a shadow whose values a
    counterfactual's location heads read).  ``steps``: the step mechanisms of earlier
    passes over the same model (filled in here), so that a draw of many chunks
    arranges each step's weights once.
    """
    keep = start if abducted else None
    hooks = hooks or {}
    steps = {} if steps is None else steps
    batch = (Batch.empty(model, noise.e.shape[1], raw) if start is None
             else copy.deepcopy(start))

    def active(nodes):
        return tuple(j for j in nodes if regen is None or j in regen)

    for r in active(plan.roots):
        _step(model, (r,), batch, noise, removal, shadow, keep, steps)
    for j, (codes, values) in (overrides or {}).items():
        batch.set(model, j, codes, values)
    for r in plan.roots:
        if r in hooks:
            batch.set(model, r, *hooks[r](batch.codes[:, r], batch.values[:, r]))
    if roots_only:
        return batch
    for level in plan.levels:
        if active(level):
            _step(model, active(level), batch, noise, removal, shadow, keep, steps)
        for j in level:
            if j in hooks:
                batch.set(model, j, *hooks[j](batch.codes[:, j], batch.values[:, j]))
    return batch


@torch.no_grad()
def abduct(model, observed: Batch, generator: torch.Generator,
           locations: tuple[int, ...] = ()) -> Noise:
    """The exogenous noise of observed rows (abduction).

    ``u`` is the noise encoder's posterior mean; ``e`` is placed inside the
    observed class's CDF interval under that ``u``: for a numeric node at the
    observed value's relative rank inside its bin (a tied value at a uniform draw among
    the positions it spans), for a
    categorical node uniformly at random (the data do not say where).  A
    categorical node's Gumbel noise is drawn from its posterior given the observed
    class (:func:`gumbel_posterior`).  For the additive-noise nodes ``locations``
    the conditional mean under the observed parents is kept as well (the
    counterfactual then moves the observed value by its change).
    """
    nodes = torch.arange(model.n_nodes, device=observed.codes.device)
    u, logits = model.posterior_logits(observed.feats, observed.codes)
    # node by node over its own classes: the float64 running sums over every node's
    # padding to the widest column's classes cost more than 15 small calls
    lower = torch.empty(observed.codes.T.shape, dtype=torch.float64, device=logits.device)
    p = torch.empty_like(lower)
    for j, k in enumerate(model.n_classes.tolist()):
        lower[j:j + 1], p[j:j + 1] = class_intervals(logits[j:j + 1, :, :k],
                                                     observed.codes.T[j:j + 1])
    w = torch.rand(lower.shape, generator=generator, dtype=torch.float64,
                   device=generator.device).clamp(1e-9, 1 - 1e-9)
    for j in range(model.n_nodes):
        rank = model.within_bin_rank(j, observed.codes[:, j], observed.values[:, j], w[j])
        if rank is not None:
            w[j] = torch.where(torch.isnan(rank), w[j], rank)
    # Gumbel noise for the categorical nodes only, each over its own classes (numeric
    # nodes may have many more bins, and keep their inverse CDF; the rest is padding)
    width = _categorical_width(model)
    gumbel = torch.zeros(model.n_nodes, observed.codes.shape[0], width, dtype=torch.float64,
                         device=observed.codes.device)
    for j, spec in enumerate(model.layout):
        if spec.kind != NUMERIC:
            k = spec.n_classes
            gumbel[j, :, :k] = gumbel_posterior(logits[j:j + 1, :, :k],
                                                observed.codes.T[j:j + 1], generator)[0]
    location = None
    if locations:
        location = torch.full(lower.shape, float("nan"), dtype=torch.float64,
                              device=lower.device)
        raw = None
        if observed.raw is not None:
            raw = model.gather_inputs(observed.raw, nodes)
        for j in locations:
            location[j] = _location(model, j, logits[j], raw, j)
    return Noise(u, lower + w * p, gumbel, location)


@torch.no_grad()
def generate(model, plan, n: int, generator: torch.Generator, *, hooks=None, removal=None,
             chunk_size: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` rows; returns ``(codes, values)``."""
    model.eval()
    codes, values = [], []
    steps = {}  # each step's mechanism, arranged once for every chunk
    shadow_nodes = removal.shadow_nodes(model) if removal is not None else None
    for start in range(0, n, chunk_size):
        m = min(chunk_size, n - start)
        noise = Noise.draw(model, m, generator)
        overrides, shadow = None, None
        if removal is not None and removal.decoupled:
            free = run_pass(model, plan, Noise.draw(model, m, generator), roots_only=True,
                            steps=steps)
            overrides = {r: (free.codes[:, r], free.values[:, r]) for r in removal.decoupled}
        if removal is not None and removal.needs_shadow:
            fresh = Noise.draw(model, m, generator)
            shadow = run_pass(model, plan, noise.blend(fresh, removal.noise_reuse), steps=steps,
                              regen=shadow_nodes)
        out = run_pass(model, plan, noise, hooks=hooks, removal=removal, shadow=shadow,
                       overrides=overrides, steps=steps)
        codes.append(out.codes)
        values.append(out.values)
    return torch.cat(codes), torch.cat(values)


@torch.no_grad()
def counterfactual(model, plan, codes: torch.Tensor, values: torch.Tensor,
                   generator: torch.Generator, *, hooks, regen, removal=None,
                   sensitive_regen=(), locations: tuple[int, ...] = (),
                   chunk_size: int = 8192):
    """Counterfactual rows: abduct each row's noise, apply ``hooks``, regenerate ``regen``.

    Nodes outside ``regen`` keep their observed values.  With a ``removal``, the
    children of removed edges read the cut parents from a shadow: an independent
    row, or (decoupled roots) this row's own counterfactual under an independent
    draw of the decoupled (sensitive) roots, regenerating ``sensitive_regen``
    (everything, when only part of the row's noise is reused).  The nodes in
    ``locations`` (:func:`location_nodes`) move by the change of their conditional
    mean instead of following their quantile.
    """
    model.eval()
    out_codes, out_values = [], []
    steps = {}  # every pass's step mechanisms, arranged once for all chunks
    shadow_nodes = removal.shadow_nodes(model) if removal is not None else None
    for start in range(0, codes.shape[0], chunk_size):
        observed = Batch.observed(
            model, codes[start:start + chunk_size], values[start:start + chunk_size]
        )
        m = observed.codes.shape[0]
        noise = abduct(model, observed, generator, locations)
        shadow = None
        if removal is not None and removal.needs_shadow:
            fresh = Noise.draw(model, m, generator)
            if removal.decoupled:
                free = run_pass(model, plan, Noise.draw(model, m, generator), roots_only=True,
                                steps=steps)
                redraw = {r: _fixed(free.codes[:, r], free.values[:, r]) for r in removal.decoupled}
                whole = removal.noise_reuse < 1.0
                shadow = run_pass(model, plan, noise.blend(fresh, removal.noise_reuse),
                                  hooks=redraw, start=observed,
                                  regen=None if whole else set(sensitive_regen),
                                  abducted=not whole, steps=steps)
            else:
                shadow = run_pass(model, plan, fresh, raw=True, steps=steps,
                                  regen=shadow_nodes)
        batch = run_pass(model, plan, noise, hooks=hooks, removal=removal, shadow=shadow,
                         start=observed, regen=set(regen), abducted=True, steps=steps)
        out_codes.append(batch.codes)
        out_values.append(batch.values)
    return torch.cat(out_codes), torch.cat(out_values)


def _fixed(codes: torch.Tensor, values: torch.Tensor) -> Hook:
    return lambda _codes, _values: (codes, values)

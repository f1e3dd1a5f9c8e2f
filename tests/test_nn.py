"""Internals of generation that the public API relies on."""

from __future__ import annotations

import math

import pytest
import torch

from debiasgen.nn.generate import (
    class_intervals,
    gumbel_max,
    gumbel_posterior,
    sample_classes,
)
from debiasgen.nn.train import EpochLoop


def test_inverse_cdf_never_picks_a_padding_class():
    # two nodes padded to 5 classes; the second has only 2 real ones
    logits = torch.randn(2, 1000, 5, generator=torch.Generator().manual_seed(0))
    logits[1, :, 2:] = -1e9
    top = torch.nextafter(torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0))
    e = torch.rand(2, 1000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    e[:, :10] = top  # the largest uniform below 1
    codes, w = sample_classes(logits, e, torch.tensor([5, 2]))
    assert int(codes[0].max()) <= 4 and int(codes[1].max()) <= 1
    assert bool(((w >= 0) & (w < 1)).all())


def test_dropping_padding_classes_changes_no_draw():
    # a generation step drops the classes past its widest node (padding, logit -1e9)
    logits = 3.0 * torch.randn(2, 2000, 64, generator=torch.Generator().manual_seed(4))
    logits[0, :, 3:] = -1e9
    logits[1, :, 5:] = -1e9
    e = torch.rand(2, 2000, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    n_classes = torch.tensor([3, 5])
    codes, w = sample_classes(logits, e, n_classes)
    narrow_codes, narrow_w = sample_classes(logits[..., :5], e, n_classes)
    assert torch.equal(narrow_codes, codes)
    # float32 softmax sums in another order over fewer lanes: positions agree to ~1e-5
    torch.testing.assert_close(narrow_w, w, rtol=0, atol=1e-5)


def test_class_position_round_trip():
    # e -> (class, position) -> e: abduction inverts sampling
    logits = torch.randn(3, 500, 4, generator=torch.Generator().manual_seed(2))
    e = torch.rand(3, 500, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    codes, w = sample_classes(logits, e, torch.tensor([4, 4, 4]))
    lower, p = class_intervals(logits, codes)
    torch.testing.assert_close(lower + w * p, e)
    assert bool(((e >= lower) & (e <= lower + p)).all())


def _logits(seed, shape=(3, 4000, 5)):
    logits = 2.0 * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    logits[2, :, 3:] = -1e9  # a node with two padding classes
    return logits


def test_gumbel_posterior_reproduces_the_observed_class():
    logits = _logits(0)
    codes = sample_classes(logits, torch.rand(3, 4000, generator=torch.Generator()
                                              .manual_seed(1), dtype=torch.float64),
                           torch.tensor([5, 5, 3]))[0]
    g = gumbel_posterior(logits, codes, torch.Generator().manual_seed(2))
    assert torch.equal(gumbel_max(logits, g), codes)


def test_gumbel_posterior_averaged_over_classes_is_standard_gumbel():
    # drawing the class from p and the noise from its posterior must give back the
    # prior: i.i.d. standard Gumbel noise on every real class
    n = 20000
    logits = _logits(3, (3, n, 5))[:, :1].expand(3, n, 5).contiguous()  # one p per node
    e = torch.rand(3, n, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    codes = sample_classes(logits, e, torch.tensor([5, 5, 3]))[0]
    g = gumbel_posterior(logits, codes, torch.Generator().manual_seed(5))
    var = math.pi**2 / 6
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt((5.4 - 1.0) / n)  # Gumbel kurtosis 5.4
    # per class: mean Euler's gamma, variance pi^2 / 6 (5 standard errors)
    for node, k in [(0, 5), (1, 5), (2, 3)]:
        for c in range(k):
            x = g[node, :, c]
            assert abs(float(x.mean()) - 0.5772156649) < 5 * se_mean, (node, c)
            assert abs(float(x.var()) - var) < 5 * se_var, (node, c)


def test_gumbel_max_counterfactuals_are_stable():
    # a class whose log-probability rises most under the intervention is kept
    # (counterfactual stability); one whose probability is unchanged relative to
    # every other class is kept too
    logits = _logits(6)
    codes = sample_classes(logits, torch.rand(3, 4000, generator=torch.Generator()
                                              .manual_seed(7), dtype=torch.float64),
                           torch.tensor([5, 5, 3]))[0]
    g = gumbel_posterior(logits, codes, torch.Generator().manual_seed(8))
    shift = torch.randn(logits.shape, generator=torch.Generator().manual_seed(9))
    observed_shift = shift.gather(2, codes[..., None])
    favoured = shift.scatter(2, codes[..., None], shift.max(dim=2, keepdim=True).values + 0.5)
    assert torch.equal(gumbel_max(logits + favoured, g), codes)
    assert torch.equal(gumbel_max(logits + 3.0, g), codes)  # same probabilities
    changed = gumbel_max(logits + shift, g)
    # a class changes only to one the intervention made relatively more likely
    new_shift = shift.gather(2, changed[..., None])
    assert bool((new_shift >= observed_shift).all())


def test_epoch_loop_decays_the_learning_rate_on_a_plateau_and_stops_after_patience():
    module = torch.nn.Linear(2, 1)
    loop = EpochLoop(module, epochs=10, patience=2, learning_rate=0.01, verbose=0)
    lr = lambda: loop.optimizer.param_groups[0]["lr"]  # noqa: E731
    assert not loop.end_epoch({"epoch": 1, "val_loss": 10.0})
    assert lr() == 0.01
    # a gain below the tolerance (relative) is no improvement: the rate decays
    assert not loop.end_epoch({"epoch": 2, "val_loss": 10.0 * (1 - EpochLoop.tolerance / 2)})
    assert lr() == pytest.approx(0.01 * EpochLoop.decay)
    assert not loop.end_epoch({"epoch": 3, "val_loss": 9.0})  # an improvement
    assert lr() == pytest.approx(0.01 * EpochLoop.decay)
    assert not loop.end_epoch({"epoch": 4, "val_loss": 9.5})
    assert loop.end_epoch({"epoch": 5, "val_loss": 9.5})  # patience 2 reached
    assert lr() == pytest.approx(0.01 * EpochLoop.decay ** 3)
    assert [r["epoch"] for r in loop.finish()] == [1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def mixed_module(mixed_network):
    return mixed_network._module


@pytest.fixture(scope="module")
def mixed_network():
    """A fitted model's network over numeric (one with missing values), categorical
    and boolean columns, with nodes of several parents."""
    import numpy as np
    import pandas as pd

    from debiasgen import CCGMSynthesizer

    rng = np.random.default_rng(0)
    n = 600
    a = rng.normal(size=n)
    c = np.where(a + rng.normal(size=n) > 0, "hi", "lo")
    x = 2.0 * a + (c == "hi") + rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    df = pd.DataFrame({"a": a, "c": pd.Categorical(c), "x": x,
                       "b": (a - x > 0) & (rng.random(n) < 0.9),
                       "k": pd.Categorical(rng.choice(list("pqrs"), n))})
    graph = [("a", "c"), ("a", "x"), ("c", "x"), ("a", "b"), ("x", "b"), ("c", "b"),
             ("k", "b")]
    model = CCGMSynthesizer(epochs=2, random_state=0).fit(df, graph=graph)
    return model.network_


def test_step_mechanism_equals_logits_of_gathered_inputs(mixed_module):
    # generation's arranged step (features and latent in one product, the shift and
    # padding folded into the last layer) is the same function as the per-node gather
    module = mixed_module
    g = torch.Generator().manual_seed(0)
    feats = torch.cat([torch.randn(300, module.n_features, generator=g),
                       torch.zeros(300, 1)], dim=1)
    widths = [int(w) for w in module.input_width]
    narrow = widths.index(min(widths))  # reads few columns: the product selects them
    for nodes in ((narrow,), (module.n_nodes - 1,), tuple(range(module.n_nodes))):
        idx = torch.tensor(nodes)
        width = max(int(module.n_classes[j]) for j in nodes)
        u = torch.randn(len(nodes), 300, module.latent_dim, generator=g)
        mechanism = module.step_mechanism(nodes, width)
        with torch.no_grad():
            gathered = module.logits(module.gather_inputs(feats, idx), u, idx)[..., :width]
            arranged = mechanism(feats, u)
        assert arranged.shape == (len(nodes), 300, width)
        torch.testing.assert_close(arranged, gathered, rtol=1e-5, atol=1e-4)
    # a step reading few columns selects exactly those; every node's reads them all
    reads = module.parent_index[narrow]
    expected = sorted({int(f) for f in reads if f < module.n_features})
    assert len(expected) <= 0.6 * module.n_features
    assert module.step_mechanism((narrow,), 2).columns[0].tolist() == expected
    assert module.step_mechanism(tuple(range(module.n_nodes)), 2).columns == [None]


@pytest.mark.parametrize("shadow", [True, False])
def test_step_mechanism_with_removed_edges_equals_the_mixed_inputs(mixed_module, shadow):
    # a removal's step reads cut parents from the shadow's features (with a shadow; the
    # row's own without one) and others from the reference row, as _inputs mixes them
    from debiasgen.nn.generate import EdgeRemoval, _inputs

    module = mixed_module
    owner = module.input_owner
    child = int(module.input_width.argmax())
    parents = sorted({int(p) for p in owner[child] if p >= 0})
    assert len(parents) >= 3
    shadow_mask = torch.zeros(owner.shape, dtype=torch.bool)
    ref_mask = torch.zeros(owner.shape, dtype=torch.bool)
    shadow_mask[child] = owner[child] == parents[0]
    ref_mask[child] = owner[child] == parents[1]
    g = torch.Generator().manual_seed(4)

    def rows(n):
        return torch.cat([torch.randn(n, module.n_features, generator=g), torch.zeros(n, 1)], 1)

    removal = EdgeRemoval(shadow_mask[:, None], ref_mask[:, None], reference_features=rows(1))
    feats, shadow_feats = rows(300), rows(300)
    for nodes in ((child,), tuple(range(module.n_nodes))):
        idx = torch.tensor(nodes)
        width = max(int(module.n_classes[j]) for j in nodes)
        u = torch.randn(len(nodes), 300, module.latent_dim, generator=g)
        inputs = _inputs(module, idx, feats, removal, shadow_feats if shadow else None,
                         removal.reference_features)
        mechanism = module.step_mechanism(nodes, width, removal, shadow)
        with torch.no_grad():
            mixed = module.logits(inputs, u, idx)[..., :width]
            arranged = mechanism(feats, u, shadow_feats if shadow else None)
            plain = module.step_mechanism(nodes, width)(feats, u)
        torch.testing.assert_close(arranged, mixed, rtol=1e-5, atol=1e-4)
        k = nodes.index(child)
        assert (arranged[k] - plain[k]).abs().max() > 1e-3  # the removal mattered
        # which rows' inputs equal those read from observed features (a counterfactual
        # keeps those rows' observed values): the row itself, changed in some columns
        observed = feats.clone()
        ref_cols = module.feature_slices[parents[1]]
        cut_cols = module.feature_slices[parents[0]]
        observed[::2, ref_cols] = removal.reference_features[:, ref_cols]
        if shadow:
            observed[::2, cut_cols] = shadow_feats[::2, cut_cols]
        observed[::3, torch.randint(0, module.n_features, (1,), generator=g)] += 1.0
        observed[1::7] = shadow_feats[1::7]
        expected = (inputs == module.gather_inputs(observed, idx)).all(dim=2)
        got = mechanism.unchanged(feats, shadow_feats if shadow else None, observed)
        assert torch.equal(got, expected)
        assert expected.any() and not expected.all()


def test_inverse_cdf_draws_each_class_with_its_probability():
    from debiasgen.nn.generate import sample_classes

    # three nodes of one step: widths 2 (softmax-free path), 20 (softmax path) and 3
    # padded to 20 (padding must never be drawn)
    g = torch.Generator().manual_seed(3)
    n = 200_000
    logits = torch.full((3, 1, 20), -1e9)
    logits[0, 0, :2] = torch.tensor([0.0, 1.0])
    logits[1, 0] = torch.randn(20, generator=g)
    logits[2, 0, :3] = torch.tensor([2.0, -1.0, 0.5])
    logits = logits.expand(3, n, 20)
    e = torch.rand(3, n, generator=g, dtype=torch.float64)
    for width in (20, 2):  # the short path takes the first node alone
        k = 3 if width == 20 else 1
        codes, w = sample_classes(logits[:k, :, :width], e[:k], torch.tensor([2, 20, 3])[:k])
        for j in range(k):
            p = torch.softmax(logits[j, 0, :width].double(), 0)
            freq = torch.bincount(codes[j], minlength=width).double() / n
            assert torch.allclose(freq, p, atol=4e-3), (j, freq, p)
        # the position inside the chosen class's interval is uniform and independent
        # of the class: e is the class's lower CDF bound plus w times its probability
        # (the class probabilities are float32's: equal to about 1e-7)
        assert float(w.min()) >= 0.0 and float(w.max()) < 1.0
        for j in range(k):
            p = torch.softmax(logits[j, 0, :width].double(), 0)
            lower = torch.cumsum(p, 0) - p
            back = lower[codes[j]] + w[j] * p[codes[j]]
            torch.testing.assert_close(back, e[j], rtol=0, atol=1e-6)


def _random_rows(module, n: int, seed: int):
    """Random classes and features of ``n`` rows (the features need not match the
    classes: the compared passes are functions of both) and the generator, drawn on."""
    g = torch.Generator().manual_seed(seed)
    codes = torch.stack([torch.randint(0, int(k), (n,), generator=g)
                         for k in module.n_classes], dim=1)
    feats = torch.cat([torch.randn(n, module.n_features, generator=g), torch.zeros(n, 1)],
                      dim=1)
    return codes, feats, g


def test_training_elbo_equals_the_gathered_elbo(mixed_module):
    module = mixed_module
    codes, feats, g = _random_rows(module, 200, seed=1)
    eps = torch.randn(module.n_nodes, 200, module.latent_dim, generator=g)
    with torch.no_grad():
        for fused, gathered in zip(module.elbo_terms(feats, codes, eps),
                                   module.gathered_elbo_terms(feats, codes, eps)):
            torch.testing.assert_close(fused, gathered, rtol=1e-5, atol=1e-4)


def test_training_gradients_equal_the_gathered_gradients(mixed_module):
    # the fused arrangement (features broadcast over the nodes, gathered weights, the
    # noise encoder's row lookup) must train every weight as the gathered one does
    module = mixed_module
    codes, feats, g = _random_rows(module, 200, seed=3)
    eps = torch.randn(module.n_nodes, 200, module.latent_dim, generator=g)
    grads = []
    for terms in (module.elbo_terms, module.gathered_elbo_terms):
        module.zero_grad(set_to_none=True)
        nll, kl = terms(feats, codes, eps)
        (nll + kl).sum(0).mean().backward()
        grads.append({k: p.grad.clone() for k, p in module.named_parameters()})
    module.zero_grad(set_to_none=True)
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=1e-4, atol=1e-5,
                                   msg=name)


def test_epoch_loop_takes_fused_adam_where_torch_has_it(monkeypatch):
    module = torch.nn.Linear(2, 1)
    try:
        torch.optim.Adam(module.parameters(), fused=True)
        expected = True
    except RuntimeError:  # this torch has no fused Adam for CPU
        expected = False
    loop = EpochLoop(module, epochs=1, patience=1, learning_rate=0.01, verbose=0)
    assert bool(loop.optimizer.defaults["fused"]) is expected
    adam = torch.optim.Adam

    def without_fused(params, lr, fused=None, **kwargs):
        if fused:
            raise RuntimeError("`fused=True` requires ... supported devices")
        return adam(params, lr=lr, **kwargs)

    monkeypatch.setattr(torch.optim, "Adam", without_fused)
    loop = EpochLoop(module, epochs=1, patience=1, learning_rate=0.01, verbose=0)
    assert not loop.optimizer.defaults["fused"] and loop.optimizer.defaults["foreach"]
    assert len(loop.optimizer.param_groups[0]["params"]) == 2


def test_posterior_logits_equal_the_gathered_abduction_pass(mixed_module):
    module = mixed_module
    codes, feats, _ = _random_rows(module, 200, seed=2)
    nodes = torch.arange(module.n_nodes)
    with torch.no_grad():
        inputs = module.gather_inputs(feats, nodes)
        u, _ = module.encode_noise(inputs, codes, nodes)
        logits = module.logits(inputs, u, nodes)
        fused_u, fused_logits = module.posterior_logits(feats, codes)
    torch.testing.assert_close(fused_u, u, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fused_logits, logits, rtol=1e-5, atol=1e-4)


def test_a_shadow_pass_generates_only_the_cut_parents_and_their_ancestors(mixed_network):
    # the rest of a shadow row is never read; what is read equals a whole shadow pass
    from debiasgen.nn.generate import EdgeRemoval, Noise, run_pass

    module, plan = mixed_network._module, mixed_network.plan
    owner = module.input_owner
    child = int(module.input_width.argmax())
    # the parent of the node with the most inputs that has the most inputs itself
    cut = max({int(p) for p in owner[child] if p >= 0}, key=lambda p: int(module.input_width[p]))
    mask = torch.zeros(owner.shape, dtype=torch.bool)
    mask[child] = owner[child] == cut
    removal = EdgeRemoval(mask[:, None], torch.zeros_like(mask)[:, None],
                          reference_features=torch.zeros(1, module.n_features + 1))
    nodes = removal.shadow_nodes(module)
    ancestors, todo = set(), [cut]
    while todo:  # the closure over every node's mechanism inputs, computed apart
        j = todo.pop()
        if j not in ancestors:
            ancestors.add(j)
            todo += [int(p) for p in owner[j] if p >= 0]
    assert nodes == ancestors and len(nodes) >= 3  # the parent has ancestors of its own
    assert child not in nodes and len(nodes) < module.n_nodes
    noise = Noise.draw(module, 500, torch.Generator().manual_seed(5))
    with torch.no_grad():
        whole = run_pass(module, plan, noise)
        part = run_pass(module, plan, noise, regen=nodes)
    columns = [f for j in nodes for f in range(module.feature_slices[j].start,
                                                module.feature_slices[j].stop)]
    assert torch.equal(part.feats[:, columns], whole.feats[:, columns])
    assert torch.equal(part.codes[:, sorted(nodes)], whole.codes[:, sorted(nodes)])

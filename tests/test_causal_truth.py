"""The model against structural causal models whose answers are known in closed form.

Tolerances are ``Z`` standard errors, with the standard error taken from both the
training sample (the model learns from ``N_TRAIN`` rows) and the generated
sample (``N_GEN`` rows): ``se = spread * sqrt(1/N_TRAIN + 1/N_GEN)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from debiasgen import CCGMSynthesizer

pytestmark = pytest.mark.slow  # 200-epoch fits on known-truth SCMs (pytest -m "not slow" skips)

N_TRAIN, N_GEN, Z = 6000, 20000, 4.0
SE = np.sqrt(1 / N_TRAIN + 1 / N_GEN)
FIT = dict(epochs=200, patience=10, random_state=0)


def _fit(df, edges):
    return CCGMSynthesizer(**FIT).fit(df, graph=edges)


# -- linear-Gaussian chain with a shortcut: x -> m -> y, x -> y ---------------------------
# x ~ N(0,1); m = 0.8 x + 0.6 e_m; y = 1.5 m - 0.5 x + 0.5 e_y
CHAIN = [("x", "m"), ("m", "y"), ("x", "y")]
CHAIN_COV = np.array([[1.0, 0.8, 0.7], [0.8, 1.0, 1.1], [0.7, 1.1, 1.55]])


@pytest.fixture(scope="module")
def chain():
    rng = np.random.default_rng(1)
    x = rng.normal(size=N_TRAIN)
    m = 0.8 * x + 0.6 * rng.normal(size=N_TRAIN)
    y = 1.5 * m - 0.5 * x + 0.5 * rng.normal(size=N_TRAIN)
    return _fit(pd.DataFrame({"x": x, "m": m, "y": y}), CHAIN)


def _within_bin_share(synth):
    """Per column, the share of variance inside the bins (redrawn independently of the
    parents when a bin is decoded): the attenuation of correlations that binning costs."""
    shares = []
    for spec in synth.encoder_.layout_:
        sizes = spec.bin_end - spec.bin_start
        means = np.add.reduceat(spec.values, spec.bin_start) / sizes
        within = ((spec.values - np.repeat(means, sizes)) ** 2).sum() / len(spec.values)
        shares.append(within / spec.values.var())
    return np.array(shares)


def test_chain_covariance_matches_truth(chain):
    # check the closed form itself, so the test cannot drift from its own truth
    b = np.array([[0, 0, 0], [0.8, 0, 0], [-0.5, 1.5, 0]])
    inv = np.linalg.inv(np.eye(3) - b)
    assert np.allclose(inv @ np.diag([1, 0.36, 0.25]) @ inv.T, CHAIN_COV)
    out = chain.sample(N_GEN, random_state=0)
    sd = np.sqrt(np.diag(CHAIN_COV))
    np.testing.assert_allclose(out.mean(), 0.0, atol=Z * sd.max() * SE)
    # sd of a sample sd is about sd / sqrt(2 n)
    np.testing.assert_allclose(out.std(), sd, atol=Z * sd.max() * SE / np.sqrt(2))
    corr = CHAIN_COV / np.outer(sd, sd)
    kept = np.sqrt(1 - _within_bin_share(chain))
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        got = out.iloc[:, [i, j]].corr().iloc[0, 1]
        binning = corr[i, j] * (1 - kept[i] * kept[j])
        assert abs(got - corr[i, j]) < Z * (1 - corr[i, j] ** 2) * SE + binning, (i, j, got)


@pytest.fixture(scope="module")
def pure_chain():
    # x -> m -> y: y's mechanism sees only m, so do(m = +-1) stays on the data's support
    rng = np.random.default_rng(6)
    x = rng.normal(size=N_TRAIN)
    m = 0.8 * x + 0.6 * rng.normal(size=N_TRAIN)
    y = 1.5 * m + 0.5 * rng.normal(size=N_TRAIN)
    return _fit(pd.DataFrame({"x": x, "m": m, "y": y}), [("x", "m"), ("m", "y")])


def test_intervening_on_mediator_shifts_descendant_by_true_effect(pure_chain):
    hi = pure_chain.intervene({"m": 1.0}, N_GEN, random_state=1)
    lo = pure_chain.intervene({"m": -1.0}, N_GEN, random_state=1)
    assert (hi["m"] == 1.0).all()
    # E[y | do(m)] = 1.5 m; sd(y | do(m)) = 0.5
    effect = hi["y"].mean() - lo["y"].mean()
    # the slope is learned from N_TRAIN rows: se(beta) = 0.5 / sqrt(N_TRAIN) (sd(m) = 1)
    tol = Z * (0.5 * np.sqrt(2 / N_GEN) + 2 * 0.5 / np.sqrt(N_TRAIN))
    assert abs(effect - 3.0) < tol
    # the ancestor x keeps its observational distribution N(0, 1)
    assert abs(hi["x"].mean()) < Z * SE
    assert abs(hi["x"].std() - 1.0) < Z * SE


def test_intervention_with_a_shortcut_edge(chain):
    # y = 1.5 m - 0.5 x + noise: at m = +-1 the mechanism is also evaluated at (m, x)
    # pairs the data barely cover (m - 0.8 x is 3 residual sd away for x = -1), where a
    # nonparametric mechanism can only extrapolate; allow 5% of the effect for that.
    hi = chain.intervene({"m": 1.0}, N_GEN, random_state=1)
    lo = chain.intervene({"m": -1.0}, N_GEN, random_state=1)
    effect = hi["y"].mean() - lo["y"].mean()
    assert abs(effect - 3.0) < Z * np.sqrt(0.5 * 2 / N_GEN) + 0.05 * 3.0


def test_soft_intervention_shifts_by_the_callable(chain):
    base = chain.intervene({"m": lambda m: m}, N_GEN, random_state=3)
    shifted = chain.intervene({"m": lambda m: m + 1.0}, N_GEN, random_state=3)
    # the pre-intervention m is the same draw, so the output m moves by exactly 1
    np.testing.assert_allclose(shifted["m"] - base["m"], 1.0)
    assert abs(shifted["y"].mean() - base["y"].mean() - 1.5) < Z * 2 * 0.7 * SE + 0.05


# -- fork and collider ----------------------------------------------------------------
def test_fork_and_collider_dependences():
    rng = np.random.default_rng(2)
    c = rng.normal(size=N_TRAIN)
    a = c + rng.normal(size=N_TRAIN)  # fork: a <- c -> b
    b = c + rng.normal(size=N_TRAIN)
    u = rng.normal(size=N_TRAIN)
    v = rng.normal(size=N_TRAIN)
    w = u + v + rng.normal(size=N_TRAIN)  # collider: u -> w <- v
    df = pd.DataFrame({"c": c, "a": a, "b": b, "u": u, "v": v, "w": w})
    synth = _fit(df, [("c", "a"), ("c", "b"), ("u", "w"), ("v", "w")])
    out = synth.sample(N_GEN, random_state=0)
    assert abs(out["a"].corr(out["b"]) - 0.5) < Z * 0.75 * SE
    assert abs(out["u"].corr(out["v"])) < Z * SE  # independent causes stay independent
    assert abs(out["u"].corr(out["w"]) - 1 / np.sqrt(3)) < Z * (2 / 3) * SE
    # do(a) leaves b alone: a is not a cause of b
    hi = synth.intervene({"a": 1.5}, N_GEN, random_state=0)
    assert abs(hi["b"].mean()) < Z * np.sqrt(2) * SE


# -- a fairness-shaped model: s -> m -> y, s -> y, a -> m, a -> y; s and a associated ----
# s ~ Bernoulli(0.5) as "F"/"M"; a = 0.8 s + N(0,1) (an association the graph leaves out)
# m = s + 0.5 a + N(0,1);  y = s + m + 0.5 a + N(0,1)
FAIR = [("s", "m"), ("s", "y"), ("m", "y"), ("a", "m"), ("a", "y")]


@pytest.fixture(scope="module")
def fair():
    rng = np.random.default_rng(3)
    s = rng.integers(0, 2, N_TRAIN)
    a = 0.8 * s + rng.normal(size=N_TRAIN)
    m = s + 0.5 * a + rng.normal(size=N_TRAIN)
    y = s + m + 0.5 * a + rng.normal(size=N_TRAIN)
    sex = np.where(s == 1, "M", "F")
    return _fit(pd.DataFrame({"s": sex, "a": a, "m": m, "y": y}), FAIR)


def _effect(synth, column="y"):
    hi = synth.intervene({"s": "M"}, N_GEN, random_state=5)
    lo = synth.intervene({"s": "F"}, N_GEN, random_state=5)
    return hi[column].mean() - lo[column].mean(), np.sqrt(hi[column].var() + lo[column].var())


def _gap(frame, column):
    means = frame.groupby("s")[column].mean()
    return means["M"] - means["F"], frame[column].std() * 2


def test_roots_keep_their_association(fair):
    out = fair.sample(N_GEN, random_state=0)
    gap, spread = _gap(out, "a")
    assert abs(gap - 0.8) < Z * spread * SE


def test_do_on_a_root_leaves_other_roots_at_their_marginal(fair):
    out = fair.intervene({"s": "M"}, N_GEN, random_state=0)
    # E[a] = 0.8 * P(s = M) = 0.4 marginally; conditioning on s = M would give 0.8
    assert abs(out["a"].mean() - 0.4) < Z * out["a"].std() * SE
    assert (out["s"] == "M").all()


def test_total_effect_and_removal_of_direct_edge(fair):
    # total effect of s on y: direct 1 + through m 1 = 2 (a is not affected by do(s))
    effect, spread = _effect(fair)
    assert abs(effect - 2.0) < Z * spread * SE + 0.1
    ftu = fair.debias(remove_edges=[("s", "y")])
    assert ftu.removed_edges_ == (("s", "y"),)
    effect, spread = _effect(ftu)
    assert abs(effect - 1.0) < Z * spread * SE + 0.1  # only the path through m is left
    m_effect, m_spread = _effect(ftu, "m")
    assert abs(m_effect - 1.0) < Z * m_spread * SE + 0.05  # the mediator is untouched


def test_dp_preset_makes_target_independent_of_sensitive(fair):
    observed, spread = _gap(fair.sample(N_GEN, random_state=0), "y")
    assert observed > 2.0  # 2 (causal) + 0.8 * 1.5 (through the associated root a)
    dp = fair.debias(sensitive="s", target="y", criterion="dp")
    assert set(dp.removed_edges_) == {("s", "y"), ("m", "y")}
    out = dp.sample(N_GEN, random_state=0)
    gap, spread = _gap(out, "y")
    assert abs(gap) < Z * spread * np.sqrt(2 / N_GEN)  # exact independence: only sampling noise
    a_gap, a_spread = _gap(out, "a")
    assert abs(a_gap) < Z * a_spread * np.sqrt(2 / N_GEN)  # s is drawn apart from the other root
    m_gap, m_spread = _gap(out, "m")
    assert abs(m_gap - 1.0) < Z * m_spread * SE + 0.1  # the mediator keeps its own mechanism
    # the shadow row keeps the row's own causes: y still tracks its non-sensitive parent a
    assert out["y"].corr(out["a"]) > 0.3


def test_dp_noise_reuse_trades_usefulness_not_independence(fair):
    corr = {}
    for reuse in (0.0, 0.5, 1.0):
        dp = fair.debias(sensitive="s", target="y", criterion="dp", noise_reuse=reuse)
        out = dp.sample(N_GEN, random_state=0)
        gap, spread = _gap(out, "y")
        assert abs(gap) < Z * spread * np.sqrt(2 / N_GEN), reuse
        corr[reuse] = out["y"].corr(out["m"])
    # the shadow mediator shares the row's noise: y tracks the row's own m more closely
    assert corr[0.0] + 0.1 < corr[0.5] < corr[1.0]
    with pytest.raises(ValueError, match="noise_reuse"):
        fair.debias(remove_edges=[("s", "y")], noise_reuse=0.5)
    with pytest.raises(ValueError, match=r"noise_reuse must be a number in \[0, 1\]"):
        fair.debias(sensitive="s", target="y", criterion="dp", noise_reuse=1.5)

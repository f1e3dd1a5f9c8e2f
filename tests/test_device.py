"""The ``device`` option: validation, the CPU path unchanged, CUDA where a GPU exists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from debiasgen import CCGMSynthesizer
from debiasgen.exceptions import InvalidParameterError

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    s = rng.integers(0, 2, 400)
    m = s + rng.normal(size=400)
    y = np.where(m + rng.normal(size=400) > 0.5, "yes", "no")
    return pd.DataFrame({"s": np.where(s, "a", "b"), "m": m, "y": pd.Categorical(y)})


GRAPH = [("s", "m"), ("m", "y"), ("s", "y")]


def _fit(frame, **params):
    params = {"epochs": 3, "hidden_size": 8, "random_state": 0, **params}
    return CCGMSynthesizer(**params).fit(frame, graph=GRAPH)


@pytest.mark.parametrize("bad", ["gpu", "CUDA", "cuda:0", "", None, 0, torch.device("cpu")])
def test_device_is_validated_in_fit(frame, bad):
    synth = CCGMSynthesizer(epochs=1, device=bad)  # __init__ only stores it
    assert synth.get_params()["device"] is bad
    with pytest.raises(InvalidParameterError, match="device must be one of"):
        synth.fit(frame, graph=GRAPH)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda_is_a_clear_error(frame):
    with pytest.raises(InvalidParameterError, match="device='cuda' but torch finds no CUDA"):
        CCGMSynthesizer(epochs=1, device="cuda").fit(frame, graph=GRAPH)


def test_cpu_is_the_default_and_gives_the_same_model(frame):
    assert CCGMSynthesizer().device == "cpu"
    default, cpu = _fit(frame), _fit(frame, device="cpu")
    a, b = default.network_.to_arrays(), cpu.network_.to_arrays()
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)  # NaN: no knots
    assert default.history_ == cpu.history_
    pd.testing.assert_frame_equal(default.sample(50, random_state=1),
                                  cpu.sample(50, random_state=1))
    assert cpu.network_.device == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="auto means CUDA where available")
def test_auto_without_cuda_is_the_cpu_path(frame):
    auto, cpu = _fit(frame, device="auto"), _fit(frame)
    assert auto.network_.device == "cpu"
    pd.testing.assert_frame_equal(auto.sample(50, random_state=1),
                                  cpu.sample(50, random_state=1))


def test_a_cpu_model_loads_on_the_cpu(frame, tmp_path):
    synth = _fit(frame)
    synth.save(tmp_path / "m.dgz")
    loaded = CCGMSynthesizer.load(tmp_path / "m.dgz")
    assert loaded.device == "cpu" and loaded.network_.device == "cpu"
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=2),
                                  synth.sample(40, random_state=2))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks loading without CUDA")
def test_a_cuda_model_loads_on_the_cpu_without_cuda(frame, tmp_path):
    synth = _fit(frame)
    synth.set_params(device="cuda")  # as a file written on a GPU machine says
    synth.save(tmp_path / "m.dgz")
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = CCGMSynthesizer.load(tmp_path / "m.dgz")
    assert loaded.network_.device == "cpu"
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=2),
                                  synth.sample(40, random_state=2))


@requires_cuda
@pytest.mark.parametrize("device", ["cuda", "auto"])
def test_fit_sample_save_on_cuda_and_load_on_cpu(frame, tmp_path, device):
    synth = _fit(frame, device=device)
    assert synth.network_.device.startswith("cuda")
    out = synth.sample(200, random_state=0)
    assert list(out.columns) == list(frame.columns)
    assert (out.dtypes == frame.dtypes).all()
    assert np.isfinite(out["m"]).all()
    pd.testing.assert_frame_equal(out, synth.sample(200, random_state=0))
    cf = synth.counterfactual(frame.head(50), {"s": "a"}, random_state=0)
    assert (cf["s"] == "a").all() and np.isfinite(cf["m"]).all()
    dp = synth.debias(sensitive="s", target="y", criterion="dp").sample(100, random_state=0)
    assert len(dp) == 100
    assert all(isinstance(v, np.ndarray) for v in synth.network_.to_arrays().values())
    synth.save(tmp_path / "m.dgz")
    loaded = CCGMSynthesizer.load(tmp_path / "m.dgz")
    assert loaded.network_.device.startswith("cuda")  # the saved device, available here
    on_cpu = _load_on_cpu(tmp_path / "m.dgz")
    assert on_cpu.network_.device == "cpu"
    assert on_cpu.graph_.edges == synth.graph_.edges
    a, b = synth.network_.to_arrays(), on_cpu.network_.to_arrays()
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)  # NaN: no knots
    rows = on_cpu.sample(200, random_state=0)
    assert list(rows.columns) == list(frame.columns) and np.isfinite(rows["m"]).all()


def _load_on_cpu(path):
    """A GPU-written file read where the saved device says "cpu" (the params travel in
    the file; rewriting them is what a user does with set_params before saving)."""
    synth = CCGMSynthesizer.load(path)
    synth.set_params(device="cpu")
    synth.save(str(path) + ".cpu")
    return CCGMSynthesizer.load(str(path) + ".cpu")

"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tests fit small models: one torch thread is faster than two, and far faster
    on a busy two-core machine (measured 8.5 s vs 0.26 s an epoch)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def one_openmp_thread():
    """Small gradient-boosting fits run faster on one OpenMP thread, and much faster
    on a busy two-core machine (threads wait on each other at every split)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")

"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


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

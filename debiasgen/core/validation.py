"""Small argument validators shared by the estimators (scikit-learn's own
``_param_validation`` is private, so we keep ours)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from debiasgen.exceptions import InvalidParameterError, InvalidTypeError

__all__ = [
    "SEED_LIMIT", "check_bool", "check_disk_rows", "check_int", "check_real", "check_rows",
    "seed_from",
]

SEED_LIMIT = 2**62  # integer seeds handed to the network lie in [0, SEED_LIMIT)


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InvalidParameterError(f"{name} must be an integer >= {low}, got {value!r}.")
    if high is not None and value > high:
        raise InvalidParameterError(
            f"{name} must be an integer <= {high:,} (at least {low}), got {value!r}."
        )
    return int(value)


def check_real(name: str, value, low: float, high: float, *, low_open: bool = False,
               high_open: bool = False, what: str | None = None) -> float:
    """``value`` as a finite float in the given interval, else an error naming ``name``
    (``what`` describes the interval in words, e.g. "a positive number")."""
    inside = (
        not isinstance(value, bool) and isinstance(value, numbers.Real)
        and math.isfinite(float(value))
        and (float(value) > low if low_open else float(value) >= low)
        and (float(value) < high if high_open else float(value) <= high)
    )
    if not inside:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        if what:
            raise InvalidParameterError(
                f"{name} must be {what}, got {value!r} (allowed: {interval}, finite)."
            )
        raise InvalidParameterError(f"{name} must be in {interval}, got {value!r}.")
    return float(value)


def check_bool(name: str, value) -> bool:
    """``value`` if it is a bool (numpy bools included), else an error naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def seed_from(random_state) -> int:
    """An integer seed in ``[0, SEED_LIMIT)`` from ``random_state`` without touching
    global generators."""
    if random_state is None:
        return int(np.random.default_rng().integers(SEED_LIMIT))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) % SEED_LIMIT
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(SEED_LIMIT))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    raise InvalidTypeError(
        "random_state must be None, an int, a numpy Generator or RandomState; "
        f"got {random_state!r}."
    )


def check_rows(n, n_columns: int, *, name: str = "n") -> int:
    """``n`` as a number of rows to generate in memory, refused (with a clear error)
    when the rows could not fit in this machine's memory."""
    n = check_int(name, n, 1)
    # codes and values (16 bytes a cell) and the decoded frame: about 32 bytes a cell
    need = n * max(n_columns, 1) * 32
    have = _physical_memory()
    if have is not None and need > have // 2:
        raise InvalidParameterError(
            f"{name}={n:,} rows of {n_columns} columns need about {need / 2**30:,.1f} GiB in "
            f"memory, more than half of this machine's {have / 2**30:,.1f} GiB; draw fewer "
            "rows per call (e.g. in chunks, each with its own random_state)."
        )
    return n


def _physical_memory() -> int | None:
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not available on this platform
        return None


def check_disk_rows(n: int, n_columns: int, folder, bytes_per_cell: float, *,
                    name: str = "n") -> int:
    """``n`` rows to stream into ``folder``, refused at once (with a clear error) when
    even a lower bound of their size on disk exceeds the free space there.

    ``bytes_per_cell`` is that lower bound per cell (about 0.1 for compressed Parquet,
    2 for CSV: a character and a separator)."""
    import shutil

    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # a missing folder is reported by the writer, with its own words
        return n
    need = n * max(n_columns, 1) * bytes_per_cell
    if need > free:
        raise InvalidParameterError(
            f"{name}={n:,} rows of {n_columns} columns need at least about "
            f"{need / 2**30:,.1f} GiB on disk, more than the {free / 2**30:,.1f} GiB free in "
            f"{str(folder)!r}; draw fewer rows, or write where there is room."
        )
    return n

"""Progress bars of long work (tqdm), shown only when asked for.

Every long loop over rows (generating, adapting, counterfactuals and fits from
Parquet) reports through :func:`progress`, so that ``verbose`` means the same
everywhere and a silent run pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["progress"]


class _Silent:
    """What :func:`progress` yields when nothing is shown."""

    def update(self, n: int = 1) -> None:
        pass


@contextmanager
def progress(verbose, total: int | None, desc: str, *, unit: str = "row",
             leave: bool = True) -> Iterator:
    """A tqdm bar over ``total`` ``unit``\\ s while ``verbose`` is truthy, closed on
    leaving; otherwise a stand-in whose ``update`` does nothing."""
    if not verbose:
        yield _Silent()
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=True, leave=leave)
    try:
        yield bar
    finally:
        bar.close()

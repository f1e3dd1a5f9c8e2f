"""Dask backend (needs ``pip install 'debiasgen[dask]'``): generation and
counterfactuals as Dask DataFrames, one pure partition function per partition.

:func:`sample` cuts ``n`` rows into partitions and builds each one with
:func:`debiasgen.model.partition.generate_partition` from its own seed, spawned
from one root seed by :func:`~debiasgen.model.partition.partition_seeds`: no
partition repeats another, and the same seed and partitioning give the same rows on
any cluster.  :func:`counterfactual` answers each partition of a Dask DataFrame
with the synthesizer's :meth:`~debiasgen.CCGMSynthesizer.counterfactual` under the
partition's own spawned seed, and :func:`adapt` each with a fitted
:class:`~debiasgen.FairAdapter`'s ``transform`` likewise.  Writing is Dask's own
(``ddf.to_parquet(path)``).

Workers started by Dask's nanny get ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off
glibc's adaptive mmap threshold and made generation 1.6-1.9x slower on our machine;
create the cluster under ``dask.config.set({"distributed.nanny.pre-spawn-environ.
MALLOC_TRIM_THRESHOLD_": None})`` to keep glibc's default.

This is the only module that imports dask; importing it without dask raises an
ImportError that names the extra to install.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from debiasgen.core.validation import check_int, seed_from
from debiasgen.exceptions import DataValidationError, InvalidParameterError, InvalidTypeError
from debiasgen.model.partition import generate_partition, partition_seeds

try:
    import dask
    import dask.dataframe as dd
    from dask.dataframe.utils import make_meta
except ImportError as err:  # exercised by a test that hides dask
    raise ImportError(
        "debiasgen.integrations.dask needs dask; install it with "
        "pip install 'debiasgen[dask]' (or pip install 'dask[dataframe]' distributed)."
    ) from err

__all__ = ["ROWS_PER_PARTITION", "adapt", "counterfactual", "sample"]

ROWS_PER_PARTITION = 1_000_000  # the default partition size of :func:`sample`
MAX_ROWS = 10**13  # the bound sample_to_parquet uses too


class _Partition:
    """``(rows, seed, start) -> DataFrame``: one partition of :func:`sample` (a class,
    not a closure, so that it pickles by reference to this module)."""

    def __init__(self, model, interventions):
        self.model = model
        self.interventions = interventions

    def __call__(self, part: tuple[int, int, int]) -> pd.DataFrame:
        rows, seed, start = part
        frame = generate_partition(self.model, rows, seed, self.interventions)
        # one global row number across partitions (the divisions are then known)
        frame.index = pd.RangeIndex(start, start + rows)
        return frame


class _SeededPartitions:
    """``(frame, partition_info) -> DataFrame``: partition ``i`` of a DataFrame answered
    by :meth:`answer` with ``seeds[i]`` (a class, not a closure, so that it pickles by
    reference to this module)."""

    def __init__(self, seeds):
        self.seeds = seeds

    def __call__(self, frame: pd.DataFrame, partition_info=None) -> pd.DataFrame:
        if len(frame) == 0:
            return frame.copy()
        # Dask passes partition_info to every partition
        return self.answer(frame, self.seeds[partition_info["number"]])

    def answer(self, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        raise NotImplementedError


class _Counterfactual(_SeededPartitions):
    """A partition of :func:`counterfactual`: the model's counterfactual."""

    def __init__(self, model, interventions, seeds):
        super().__init__(seeds)
        self.model, self.interventions = model, interventions

    def answer(self, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        return self.model.counterfactual(frame, self.interventions, random_state=seed)


class _Adapt(_SeededPartitions):
    """A partition of :func:`adapt`: the adapter's ``transform`` under the seed."""

    def __init__(self, adapter, seeds):
        super().__init__(seeds)
        self.adapter = adapter

    def answer(self, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        return copy.copy(self.adapter).set_params(random_state=seed).transform(frame)


def _check_dask_frame(ddf, pandas_call: str) -> None:
    """``ddf`` must be a Dask DataFrame; the error names the pandas counterpart."""
    if not isinstance(ddf, dd.DataFrame):
        raise InvalidTypeError(
            f"ddf must be a dask DataFrame (dask.dataframe.from_pandas or read_parquet), "
            f"got {type(ddf).__name__}; for a pandas DataFrame call {pandas_call}."
        )


def _checked_interventions(model, interventions):
    """A copy of ``interventions``, checked against the model (names and values) before
    any partition runs."""
    if interventions is None:
        return None
    from debiasgen.model.interventions import make_hooks

    make_hooks(model.encoder_, interventions)  # raises with the column and value at fault
    return dict(interventions)


def _empty_frame(model) -> pd.DataFrame:
    """No rows, the training columns and dtypes: the ``meta`` of :func:`sample` (built
    through the decoder every partition goes through, without generating)."""
    k = len(model.encoder_.layout_)
    return model.encoder_.decode(np.empty((0, k), dtype=np.int64), np.empty((0, k)))


def sample(model, n: int, *, npartitions: int | None = None,
           interventions: Mapping[str, Any] | None = None, random_state=None):
    """Draw ``n`` rows from a fitted synthesizer as a Dask DataFrame.

    The rows are cut into ``npartitions`` partitions of (nearly) equal size;
    partition ``k`` is :func:`~debiasgen.model.partition.generate_partition` of its
    rows from the ``k``-th seed that ``partition_seeds(root, npartitions)`` spawns
    from the root seed given by ``random_state``.  Nothing is generated until the
    frame is computed or written.

    Parameters
    ----------
    model : CCGMSynthesizer
        Fitted (plain or de-biased); it is pickled to the workers with the graph.
    n : int
        Number of rows, at least 1.
    npartitions : int, optional
        Between 1 and ``n``; by default one partition per million rows (at least 1).
        Each partition is built in one worker's memory.
    interventions : dict, optional
        ``{column: value or callable}`` as for
        :meth:`~debiasgen.CCGMSynthesizer.intervene`.
    random_state : int, numpy Generator, RandomState or None, default=None
        The root seed: the same seed and ``npartitions`` give the same rows; ``None``
        draws fresh rows on every call.

    Returns
    -------
    dask.dataframe.DataFrame
        The training columns and dtypes (Dask's ``dataframe.convert-string`` is not
        applied to them, though Dask's legacy DataFrame, without dask-expr, applies
        it to frames derived from this one); index ``0 .. n - 1`` across partitions
        (known divisions).

    Raises
    ------
    NotFittedError
        The synthesizer is not fitted.
    InvalidParameterError
        ``n`` is not an integer >= 1, or ``npartitions`` is not in ``[1, n]``.
    InvalidTypeError, DataValidationError
        ``random_state`` or ``interventions`` is wrong (see
        :meth:`~debiasgen.CCGMSynthesizer.intervene`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from debiasgen import CCGMSynthesizer
    >>> from debiasgen.integrations import dask as dgd
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 300)
    >>> df = pd.DataFrame({"s": s, "m": s + rng.normal(size=300)})
    >>> synth = CCGMSynthesizer(epochs=2, hidden_size=16, random_state=0).fit(
    ...     df, graph=[("s", "m")])
    >>> ddf = dgd.sample(synth, 1_000, npartitions=4, random_state=0)
    >>> ddf.npartitions, len(ddf)
    (4, 1000)
    >>> ddf.compute().equals(dgd.sample(synth, 1_000, npartitions=4, random_state=0).compute())
    True
    >>> ddf.to_parquet("synthetic/")  # doctest: +SKIP
    """
    check_is_fitted(model, "network_")
    n = check_int("n", n, 1, MAX_ROWS)
    if npartitions is None:
        npartitions = max(1, -(-n // ROWS_PER_PARTITION))
    else:
        npartitions = check_int("npartitions", npartitions, 1)
        if npartitions > n:
            raise InvalidParameterError(
                f"npartitions must be between 1 and n={n:,} (every partition holds at "
                f"least one row), got {npartitions!r}."
            )
    interventions = _checked_interventions(model, interventions)
    root = seed_from(random_state)
    seeds = partition_seeds(root, npartitions)
    base, extra = divmod(n, npartitions)
    sizes = [base + (k < extra) for k in range(npartitions)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    parts = [(rows, seed, start) for rows, seed, start in zip(sizes, seeds, starts)]
    divisions = (*starts[:-1], n - 1)
    # the training dtypes, as model.sample gives them: Dask would otherwise turn text
    # columns into its pyarrow strings (its "dataframe.convert-string" default)
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(_Partition(model, interventions), parts, meta=_empty_frame(model),
                           divisions=divisions, label="debiasgen-sample",
                           enforce_metadata=False)


def counterfactual(model, ddf, interventions: Mapping[str, Any] | None = None, *,
                   random_state=None):
    """The rows of a Dask DataFrame had ``interventions`` been applied to them.

    Partition ``i`` is answered by :meth:`~debiasgen.CCGMSynthesizer.counterfactual`
    with the ``i``-th seed that ``partition_seeds(root, ddf.npartitions)`` spawns from
    the root seed given by ``random_state``: the same seed and partitioning give the
    same rows.  Columns that are no descendants of the intervened (or, on a de-biased
    synthesizer, regenerated) columns keep their values exactly.

    Parameters
    ----------
    model : CCGMSynthesizer
        Fitted (plain or de-biased).
    ddf : dask.dataframe.DataFrame
        Whole rows: every fitted column (in any order) and no other.
    interventions : dict, optional
        ``{column: value or callable}``; may be omitted only on a de-biased
        synthesizer.
    random_state : int, numpy Generator, RandomState or None, default=None
        The root seed of the partitions' seeds.

    Returns
    -------
    dask.dataframe.DataFrame
        Partition by partition aligned with ``ddf``: same index, divisions, columns
        and dtypes.

    Raises
    ------
    NotFittedError
        The synthesizer is not fitted.
    InvalidTypeError
        ``ddf`` is not a Dask DataFrame, or ``interventions`` is not a dict.
    DataValidationError
        ``ddf`` lacks fitted columns or has others, or an intervention is invalid
        (values unseen in training surface when the partition is computed).
    InvalidParameterError
        ``interventions`` is omitted on a synthesizer that is not de-biased.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from debiasgen import CCGMSynthesizer
    >>> from debiasgen.integrations import dask as dgd
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 300)
    >>> df = pd.DataFrame({"a": rng.integers(0, 3, 300), "s": s,
    ...                    "m": s + rng.normal(size=300)})
    >>> synth = CCGMSynthesizer(epochs=2, hidden_size=16, random_state=0).fit(
    ...     df, graph=[("s", "m")])
    >>> cf = dgd.counterfactual(synth, dd.from_pandas(df, npartitions=3), {"s": 1},
    ...                         random_state=0).compute()
    >>> bool(cf["s"].eq(1).all()), cf["a"].equals(df["a"])  # "a" is no descendant of "s"
    (True, True)
    >>> dgd.counterfactual(synth, dd.read_parquet("real/"), {"s": 1}).to_parquet(
    ...     "counterfactual/")  # doctest: +SKIP
    """
    check_is_fitted(model, "network_")
    _check_dask_frame(ddf, "model.counterfactual")
    columns = list(ddf.columns)
    names = list(model.graph_.nodes)
    extra = [c for c in columns if c not in names]
    if extra:
        raise DataValidationError(
            f"ddf has columns {extra!r} the model was not fitted on; drop them first."
        )
    absent = [c for c in names if c not in columns]
    if absent:
        raise DataValidationError(
            f"ddf lacks the fitted columns {absent!r}; counterfactuals need whole rows."
        )
    # the model's own checks of the query (interventions, de-biased or not) on one
    # generated row, so that a wrong query fails here rather than inside a worker
    model.counterfactual(model.sample(1, random_state=0), interventions, random_state=0)
    interventions = None if interventions is None else dict(interventions)
    seeds = partition_seeds(seed_from(random_state), ddf.npartitions)
    return ddf.map_partitions(_Counterfactual(model, interventions, seeds), meta=make_meta(ddf),
                              enforce_metadata=False)


def adapt(adapter, ddf, *, random_state=None):
    """The rows of a Dask DataFrame adapted by a fitted :class:`~debiasgen.FairAdapter`.

    Partition ``i`` is the adapter's ``transform`` with ``random_state`` set to the
    ``i``-th seed that ``partition_seeds(root, ddf.npartitions)`` spawns from the root
    seed given by ``random_state`` (the adapter's own when None): the same seed and
    partitioning give the same rows, and no partition repeats another's draws.

    Parameters
    ----------
    adapter : FairAdapter
        Fitted.
    ddf : dask.dataframe.DataFrame
        Rows as :meth:`FairAdapter.transform` takes them.
    random_state : int, numpy Generator, RandomState or None, default=None
        The root seed of the partitions' seeds; None takes the adapter's
        ``random_state``.

    Returns
    -------
    dask.dataframe.DataFrame
        Partition by partition aligned with ``ddf``: same index, divisions, columns
        and dtypes.

    Raises
    ------
    NotFittedError
        The adapter is not fitted.
    InvalidTypeError
        ``ddf`` is not a Dask DataFrame.
    UnknownColumnError, DataValidationError
        ``ddf``'s columns are not ones the adapter takes (checked on one generated
        row before any partition runs); values unseen at ``fit`` surface when the
        partition is computed.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from debiasgen.integrations import dask as dgd
    >>> dgd.adapt(adapter, dd.read_parquet("real/"), random_state=0).to_parquet(
    ...     "adapted/")  # doctest: +SKIP
    """
    check_is_fitted(adapter, "model_")
    _check_dask_frame(ddf, "adapter.transform")
    # the adapter's own checks of the columns on one generated row, so that a wrong
    # frame fails here rather than inside a worker
    row = adapter.model_.sample(1, random_state=0)
    present = [c for c in ddf.columns if c in row.columns]
    adapter.transform(row[present].assign(**{c: 0 for c in ddf.columns if c not in present}))
    root = seed_from(adapter.random_state if random_state is None else random_state)
    seeds = partition_seeds(root, ddf.npartitions)
    return ddf.map_partitions(_Adapt(adapter, seeds), meta=make_meta(ddf),
                              enforce_metadata=False)

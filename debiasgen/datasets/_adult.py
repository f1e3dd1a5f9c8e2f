"""The UCI Adult (Census Income) data set and its causal graph.

The data ship with the package as ``data/adult.csv.gz`` (built once by
``tools/make_adult.py``; attribution and changes in ``data/ADULT_SOURCE.md``).
Nothing here downloads anything or reads files outside the package.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from debiasgen.core.graph import CausalGraph
from debiasgen.exceptions import InvalidTypeError

__all__ = [
    "ADULT_EDGES",
    "ADULT_SENSITIVE",
    "ADULT_TARGET",
    "ADULT_TRAIN_ROWS",
    "adult_graph",
    "load_adult",
]

ADULT_TARGET = "income"
"""Name of the outcome column of the Adult data."""

ADULT_SENSITIVE = "sex"
"""Name of the protected attribute usually studied in the Adult data."""

ADULT_TRAIN_ROWS = 32_561
"""With ``load_adult(dropna=False)``, rows ``[:ADULT_TRAIN_ROWS]`` are the UCI
``adult.data`` (training) file and the remaining 16,281 rows are ``adult.test``."""

ADULT_EDGES: tuple[tuple[str, str], ...] = (
    ("race", "occupation"),
    ("race", "income"),
    ("race", "hours-per-week"),
    ("race", "education"),
    ("race", "marital-status"),
    ("age", "occupation"),
    ("age", "hours-per-week"),
    ("age", "income"),
    ("age", "workclass"),
    ("age", "marital-status"),
    ("age", "education"),
    ("age", "relationship"),
    ("sex", "occupation"),
    ("sex", "marital-status"),
    ("sex", "income"),
    ("sex", "workclass"),
    ("sex", "education"),
    ("sex", "relationship"),
    ("native-country", "marital-status"),
    ("native-country", "hours-per-week"),
    ("native-country", "education"),
    ("native-country", "workclass"),
    ("native-country", "income"),
    ("native-country", "relationship"),
    ("marital-status", "occupation"),
    ("marital-status", "hours-per-week"),
    ("marital-status", "income"),
    ("marital-status", "workclass"),
    ("marital-status", "relationship"),
    ("marital-status", "education"),
    ("education", "occupation"),
    ("education", "hours-per-week"),
    ("education", "income"),
    ("education", "workclass"),
    ("education", "relationship"),
    ("occupation", "income"),
    ("hours-per-week", "income"),
    ("workclass", "income"),
    ("relationship", "income"),
)
"""The 39 (parent, child) edges of the Adult graph used by DECAF (van Breugel et
al., NeurIPS 2021), credited to Zhang, Wu & Wu (2017). fnlwgt, education-num,
capital-gain and capital-loss are not in it."""

_DATA_FILE = "adult.csv.gz"

_INTEGER_COLUMNS = (
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
)


def load_adult(*, dropna: bool = True) -> pd.DataFrame:
    """Load the UCI Adult (Census Income) data set shipped with debiasgen.

    The UCI training and test files are concatenated, in that order (see
    ``ADULT_TRAIN_ROWS``), with the test labels' trailing period removed.

    Parameters
    ----------
    dropna : bool, default True
        If True, return only the 45,222 rows with no missing value, re-indexed
        ``0..45221``. If False, return all 48,842 rows; ``workclass``,
        ``occupation`` and ``native-country`` then hold missing values (NaN),
        which the raw files write as ``?``.

    Returns
    -------
    pd.DataFrame
        Fifteen columns: age, workclass, fnlwgt, education, education-num,
        marital-status, occupation, relationship, race, sex, capital-gain,
        capital-loss, hours-per-week, native-country, income. The integer
        columns (age, fnlwgt, education-num, capital-gain, capital-loss,
        hours-per-week) are ``int64``; every other column is an unordered
        ``category`` with its categories sorted. ``income`` has the categories
        ``["<=50K", ">50K"]``.

    Raises
    ------
    TypeError
        If ``dropna`` is not a bool.

    See Also
    --------
    adult_graph : The causal graph usually paired with these data.

    Notes
    -----
    Categories are the values that occur in the returned rows, so with
    ``dropna=True`` the workclass level ``"Never-worked"`` (whose 10 rows all
    lack an occupation) is absent; with ``dropna=False`` it is present.

    Source: UCI Machine Learning Repository, "Adult", Ronny Kohavi and Barry
    Becker (1996), https://doi.org/10.24432/C5XW20, licensed CC BY 4.0.

    Examples
    --------
    >>> from debiasgen.datasets import load_adult
    >>> df = load_adult()
    >>> df.shape
    (45222, 15)
    >>> list(df["income"].cat.categories)
    ['<=50K', '>50K']
    """
    if not isinstance(dropna, bool):
        raise InvalidTypeError(f"dropna must be True or False, got {dropna!r}.")

    dtypes = {col: ("int64" if col in _INTEGER_COLUMNS else str) for col in _COLUMNS}
    resource = resources.files(__package__).joinpath("data", _DATA_FILE)
    with resource.open("rb") as handle:
        frame = pd.read_csv(
            handle,
            compression="gzip",
            dtype=dtypes,
            # Only empty fields are missing; keeps any literal such as "NA" a value.
            keep_default_na=False,
            na_values=[""],
        )

    if dropna:
        frame = frame.dropna().reset_index(drop=True)
    for col in _COLUMNS:
        if col not in _INTEGER_COLUMNS:
            categories = sorted(frame[col].dropna().unique())
            frame[col] = pd.Categorical(frame[col], categories=categories, ordered=False)
    return frame


def adult_graph() -> CausalGraph:
    """Return the causal graph commonly assumed for the Adult data.

    Returns
    -------
    CausalGraph
        The 39 edges of ``ADULT_EDGES`` over 11 columns: the roots sex, race,
        age and native-country; marital-status, education, occupation,
        hours-per-week, workclass, relationship; and income as the sink.
        fnlwgt, education-num, capital-gain and capital-loss are not nodes.
        Nodes are listed in the order of the columns of ``load_adult()``.

    See Also
    --------
    load_adult : The data this graph describes.

    Notes
    -----
    The graph is the one used for Adult by DECAF (van Breugel et al., NeurIPS
    2021), which credits it to Zhang, Wu & Wu (2017). It is an assumption from
    the literature, not something learned from these data.

    Examples
    --------
    >>> from debiasgen.datasets import adult_graph
    >>> graph = adult_graph()
    >>> len(graph.edges)
    39
    >>> graph.parents("relationship")
    ('age', 'education', 'marital-status', 'sex', 'native-country')
    """
    named = {node for edge in ADULT_EDGES for node in edge}
    # Column order, not first appearance in the edge list, fixes the graph's node order.
    nodes = [col for col in _COLUMNS if col in named]
    return CausalGraph(list(ADULT_EDGES), nodes=nodes)

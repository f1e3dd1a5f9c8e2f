"""Causal structure discovery with causal-learn, returning a :class:`CausalGraph`.

This module is the only place that imports causal-learn, and it does so inside
functions, so ``import debiasgen`` stays cheap. It converts at the boundary:
the user's column names go in (never causal-learn's ``X1..Xn``), a
:class:`~debiasgen.core.graph.CausalGraph` over those names comes out (never an
integer endpoint matrix), causal-learn's progress bars, prints and warnings are
silenced unless ``verbose``, and inputs are validated here with errors that name
the column or argument instead of causal-learn's ``assert`` statements.

Pipeline of :func:`discover_graph`:

1. validate the frame and the background knowledge (sensitive attributes,
   target, tiers, required and forbidden edges);
2. drop rows with a missing value (with a warning), then subsample at most
   ``max_rows`` rows with a seeded generator;
3. encode the columns for the chosen conditional-independence test;
4. run PC, FCI or GES (PC and FCI receive causal-learn's ``BackgroundKnowledge``;
   GES takes none, so knowledge is applied to its output);
5. turn the equivalence class (CPDAG or PAG) into one DAG by the orientation
   rule below, labelling each edge with its origin.

Only the causal-learn calls live here: the knowledge checks are in
:mod:`debiasgen.structure.knowledge`, the encodings and the mixed-data statistic in
:mod:`debiasgen.structure.independence`, and step 5 in :mod:`debiasgen.structure.orientation`.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from debiasgen.core.encoding import is_categorical, validate_frame
from debiasgen.core.graph import CausalGraph
from debiasgen.exceptions import DataValidationError, InvalidParameterError, InvalidTypeError
from debiasgen.structure.independence import BlockGaussianStats, encode
from debiasgen.structure.knowledge import Knowledge, check_knowledge
from debiasgen.structure.orientation import edge_kinds, to_dag

__all__ = ["DISCOVERY_METHODS", "CI_TESTS", "discover_graph"]

DISCOVERY_METHODS = ("pc", "fci", "ges")
"""The structure-discovery algorithms :func:`discover_graph` accepts."""

CI_TESTS = ("auto", "mixed", "fisherz", "gsq")
"""The data models :func:`discover_graph` accepts as ``ci_test``."""

_MIXED_TEST = "debiasgen_mixed_lr"  # name under which our test is registered in causal-learn
_MIN_ROWS = 10


# --- background knowledge in causal-learn's terms --------------------------------------


def _background_knowledge(knowledge: Knowledge):
    """causal-learn's ``BackgroundKnowledge`` for ``knowledge``.

    Nodes are given by name (causal-learn's ``GraphNode`` compares by name), not
    by regular expression, so names with regex characters need no escaping.
    Tiers use causal-learn's own tiers; everything else is an explicit pair.
    """
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    bk = BackgroundKnowledge()
    node = {name: GraphNode(name) for name in knowledge.columns}
    for k, tier in enumerate(knowledge.tiers):
        for name in tier:
            bk.add_node_to_tier(node[name], k)
    tier = knowledge.tier_of
    for parent, child in sorted(knowledge.forbidden()):
        if not (parent in tier and child in tier and tier[parent] > tier[child]):
            bk.add_forbidden_by_node(node[parent], node[child])  # not already a tier rule
    for parent, child in sorted(knowledge.required):
        bk.add_required_by_node(node[parent], node[child])
    return bk


def _mixed_test_class():
    """Register (once) and return the mixed-data CI test with causal-learn."""
    from causallearn.utils import cit

    if _MIXED_TEST in cit._custom_ci_tests:
        return cit._custom_ci_tests[_MIXED_TEST]

    class BlockGaussianLR(cit.CIT_Base):
        """causal-learn's face of :class:`~debiasgen.structure.independence.BlockGaussianStats`."""

        def __init__(self, data, expanded=None, **kwargs):
            super().__init__(data, **kwargs)
            self.check_cache_method_consistent(_MIXED_TEST, cit.NO_SPECIFIED_PARAMETERS_MSG)
            self.stats = BlockGaussianStats(*expanded)

        def __call__(self, X, Y, condition_set=None):
            xs, ys, zs, key = self.get_formatted_XYZ_and_cachekey(X, Y, condition_set)
            if key not in self.pvalue_cache:
                self.pvalue_cache[key] = self.stats.pvalue(xs[0], ys[0], zs)
            return self.pvalue_cache[key]

    cit.register_ci_test(_MIXED_TEST, BlockGaussianLR)
    return BlockGaussianLR


# --- running causal-learn ------------------------------------------------------------------


@contextlib.contextmanager
def _quiet(verbose: bool):
    """Swallow causal-learn's prints, progress bars and warnings unless ``verbose``."""
    if verbose:
        yield
        return
    sink = io.StringIO()
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


def _run(method, data, extra, names, alpha, knowledge, ci_test, verbose) -> np.ndarray:
    """Run causal-learn; return its endpoint matrix (``m[i, j]``: mark at ``i`` of edge i-j)."""
    bk = _background_knowledge(knowledge)
    test = {"mixed": _MIXED_TEST, "fisherz": "fisherz", "gsq": "gsq"}[ci_test]
    kwargs = {} if extra is None else {"expanded": extra}
    if ci_test == "mixed":
        _mixed_test_class()
    with _quiet(verbose):
        if method == "pc":
            from causallearn.search.ConstraintBased.PC import pc

            cg = pc(
                data, alpha, test, background_knowledge=bk, show_progress=verbose,
                node_names=names, **kwargs,
            )  # fmt: skip
            return np.asarray(cg.G.graph)
        if method == "fci":
            from causallearn.search.ConstraintBased.FCI import fci

            graph, _ = fci(
                data, test, alpha, background_knowledge=bk, show_progress=verbose,
                node_names=names, **kwargs,
            )  # fmt: skip
            return np.asarray(graph.graph)
        from causallearn.search.ScoreBased.GES import ges

        score = "local_score_BDeu" if ci_test == "gsq" else "local_score_BIC"
        record = ges(data, score_func=score, node_names=names)
        return np.asarray(record["G"].graph)


# --- the public function -------------------------------------------------------------------


def _check_options(method, alpha, max_rows, ci_test, verbose) -> None:
    if method not in DISCOVERY_METHODS:
        raise InvalidParameterError(
            f"method must be one of {list(DISCOVERY_METHODS)!r}; got {method!r}."
        )
    if ci_test not in CI_TESTS:
        raise InvalidParameterError(
            f"ci_test must be one of {list(CI_TESTS)!r}; got {ci_test!r}."
        )
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InvalidParameterError(
            f"alpha must be a number strictly between 0 and 1; got {alpha!r}."
        )
    if max_rows is not None and (
        isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer))
    ):
        raise InvalidTypeError(f"max_rows must be an int or None; got {max_rows!r}.")
    if max_rows is not None and max_rows < _MIN_ROWS:
        raise InvalidParameterError(f"max_rows must be at least {_MIN_ROWS}; got {max_rows}.")
    if not isinstance(verbose, bool):
        raise InvalidTypeError(f"verbose must be True or False; got {verbose!r}.")


def _rows(X: pd.DataFrame, max_rows, random_state) -> pd.DataFrame:
    """Rows with a missing value dropped (with a warning), then a seeded subsample."""
    missing = X.isna()
    if missing.to_numpy().any():
        cols = [c for c in X.columns if missing[c].any()]
        X = X.loc[~missing.any(axis=1)]
        warnings.warn(
            f"columns {cols!r} have missing values; discovery uses only the {len(X)} complete "
            "rows. Impute or drop those columns first to use every row.",
            stacklevel=3,
        )
    if len(X) < _MIN_ROWS:
        raise DataValidationError(
            f"discovery needs at least {_MIN_ROWS} complete rows; X has {len(X)}. "
            "Impute or drop the columns with missing values, or give the graph yourself."
        )
    if max_rows is not None and len(X) > max_rows:
        rng = np.random.default_rng(random_state)
        X = X.iloc[np.sort(rng.choice(len(X), size=max_rows, replace=False))]
    return X


def discover_graph(
    X: pd.DataFrame,
    method: str = "pc",
    alpha: float = 0.01,
    *,
    sensitive: str | Sequence[str] | None = None,
    target: str | None = None,
    required: Iterable[tuple[str, str]] | None = None,
    forbidden: Iterable[tuple[str, str]] | None = None,
    tiers: Sequence[Sequence[str]] | None = None,
    max_rows: int | None = 20_000,
    random_state: int | np.random.Generator | None = None,
    verbose: bool = False,
    ci_test: str = "auto",
) -> CausalGraph:
    """Discover a causal DAG over the columns of ``X`` with causal-learn.

    Parameters
    ----------
    X : pandas.DataFrame
        Numeric and categorical (``category``, string, ``object``, ``bool``)
        columns, named by strings.
    method : {"pc", "fci", "ges"}, default="pc"
        PC and FCI are constraint-based and take the background knowledge
        during the search; GES (score-based, BIC) takes none in causal-learn,
        so the knowledge is applied to its result (see Notes).
    alpha : float, default=0.01
        Significance level of the independence tests (PC, FCI).
    sensitive : str or list of str, optional
        Protected attributes: they get no parents.
    target : str, optional
        The outcome: it gets no children.
    required : list of (str, str), optional
        Edges the result must contain, in this direction.
    forbidden : list of (str, str), optional
        Directed edges the result must not contain (the reverse stays allowed).
    tiers : list of list of str, optional
        Temporal order: no edge from a column in a later tier to a column in an
        earlier one; edges within a tier are allowed. Columns in no tier are
        unconstrained.
    max_rows : int or None, default=20_000
        Use at most this many (complete) rows, drawn without replacement.
        ``None`` uses every row.
    random_state : int, numpy Generator or None, default=None
        Seeds the row subsample (the only randomness).
    verbose : bool, default=False
        Show causal-learn's progress bars and warnings, and print a summary.
        When False nothing is printed.
    ci_test : {"auto", "mixed", "fisherz", "gsq"}, default="auto"
        How columns enter the tests (see Notes). ``"auto"`` is ``"gsq"`` when
        every column is categorical and ``"mixed"`` otherwise. For GES,
        ``"gsq"`` selects the BDeu score on the same discretised data; the
        others the BIC score.

    Returns
    -------
    CausalGraph
        A DAG over all columns of ``X`` in their order that respects the
        background knowledge. :attr:`CausalGraph.origins` labels every edge:
        ``"data"`` (its direction follows from the v-structures the data
        showed), ``"background"`` (required, oriented because the other
        direction is forbidden, or oriented by the search propagating such
        knowledge) or ``"rule"`` (adjacent by the data, oriented by the
        DAG-extension rule).

    Raises
    ------
    InvalidTypeError
        ``X`` is not a DataFrame, or an argument has the wrong type (a
        ``TypeError``).
    InvalidParameterError
        Unknown ``method`` or ``ci_test``, ``alpha`` outside (0, 1), or
        ``max_rows`` below 10 (a ``ValueError``).
    UnknownColumnError
        A knowledge argument names a column ``X`` lacks (a ``GraphError``).
    GraphError
        A column is in two tiers,
        the target is also sensitive, or a required edge contradicts the other
        knowledge (it is forbidden, enters a sensitive attribute, leaves the
        target, goes against the tiers) or required edges form a cycle.
    DataValidationError
        Fewer than 10 complete rows (see :func:`~debiasgen.core.encoding.validate_frame`
        for the other checks on ``X``).

    Warns
    -----
    UserWarning
        Rows with missing values are dropped for discovery (the warning names
        the columns); two columns are one-to-one recodings of each other.

    Notes
    -----
    **Mixed data.** causal-learn has no test for numeric and categorical
    columns together. With ``ci_test="mixed"`` (the default unless every
    column is categorical), numeric columns are
    replaced by rank-based normal scores (a Gaussian copula; robust to skew
    and outliers), categorical columns by dummies (levels with fewer than
    max(20, 0.5% of rows) rows pooled, the most frequent level dropped), and
    a Gaussian likelihood-ratio test between the blocks of dummies is
    registered with causal-learn (a "degenerate Gaussian" test, Andrews,
    Ramsey & Cooper 2019). For GES, whose scores need one column per variable,
    categorical columns enter as normal scores of their sorted category codes.
    ``"fisherz"`` is the naive baseline (category codes used as numbers);
    ``"gsq"`` cuts numeric columns into 4 quantile bins and uses the G-square
    test (exact for all-categorical data, where the dummy-based test misses
    interactions; benchmarks/discovery.py measures both). A column that is a
    one-to-one recoding of another (Adult's ``education`` and
    ``education-num``) makes each a perfect proxy of the other, so tests
    conditioned on one cannot see the other's edges: drop one.

    **Background knowledge.** PC and FCI receive it through causal-learn's
    ``BackgroundKnowledge`` (a pair forbidden both ways is never adjacent; a
    pair forbidden one way is oriented the other way). causal-learn's skeleton
    search may still remove a required edge, and GES ignores knowledge, so the
    orientation step below enforces it on every method's output: the result
    always has every required edge and no forbidden one.

    **Orientation.** The CPDAG (PC, GES) or PAG (FCI) is turned into one DAG:
    knowledge first, then the data's orientations, then a Dor-Tarsi consistent
    extension of the undirected (and FCI's bidirected, i.e. confounded) edges
    that avoids new v-structures where possible. Ties go to the node latest in
    column order becoming the child.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=2000); b = a + rng.normal(size=2000)
    >>> c = b + rng.normal(size=2000)
    >>> X = pd.DataFrame({"a": a, "b": b, "c": c})
    >>> g = discover_graph(X, sensitive="a")
    >>> g.edges
    (('a', 'b'), ('b', 'c'))
    >>> g.origins  # the knowledge orients a -> b; PC propagates it to b -> c
    {('a', 'b'): 'background', ('b', 'c'): 'background'}
    """
    X = validate_frame(X)
    _check_options(method, alpha, max_rows, ci_test, verbose)
    columns = list(X.columns)
    knowledge = check_knowledge(
        columns, sensitive=sensitive, target=target, required=required, forbidden=forbidden,
        tiers=tiers,
    )
    start = time.perf_counter()
    rows = _rows(X, max_rows, random_state)
    if ci_test == "auto":
        all_categorical = all(is_categorical(rows[c].dtype) for c in columns)
        ci_test = "gsq" if all_categorical else "mixed"
    _warn_recodings(rows)
    data, extra = encode(rows, ci_test)
    marks = _run(method, data, extra, columns, float(alpha), knowledge, ci_test, verbose)
    graph = to_dag(columns, *edge_kinds(marks, columns), knowledge, method != "ges")
    if verbose:
        counts = pd.Series(graph.origins, dtype=object).value_counts().to_dict()
        print(
            f"discover_graph: {method} on {len(rows)} rows x {len(columns)} columns in "
            f"{time.perf_counter() - start:.1f} s; {len(graph.edges)} edges by origin {counts}"
        )
    return graph


def _warn_recodings(rows: pd.DataFrame, max_levels: int = 100) -> None:
    """Warn about pairs of columns that are one-to-one recodings of each other."""
    codes = {}
    limit = min(max_levels, len(rows) // 5)  # levels must repeat for a recoding to show
    for name in rows.columns:
        values, uniques = pd.factorize(rows[name])
        if 1 < len(uniques) <= limit:
            codes[name] = (values, len(uniques))
    names = list(codes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            (va, ka), (vb, kb) = codes[a], codes[b]
            if ka == kb and len(np.unique(va * kb + vb)) == ka:
                warnings.warn(
                    f"columns {a!r} and {b!r} are one-to-one recodings of each other; "
                    "independence tests cannot separate their effects. Drop one of them.",
                    stacklevel=3,
                )

"""Causal structure discovery with causal-learn, returning a :class:`CausalGraph`.

This module is the only place that imports causal-learn, and it does so inside
functions, so ``import debiasgen`` stays cheap. It converts at the boundary:
the user's column names go in (never causal-learn's ``X1..Xn``), a
:class:`~debiasgen.graph.CausalGraph` over those names comes out (never an
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
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy import special, stats

from debiasgen.encoding import _is_categorical, validate_frame
from debiasgen.exceptions import DataValidationError, GraphError
from debiasgen.graph import CausalGraph

__all__ = ["DISCOVERY_METHODS", "CI_TESTS", "discover_graph"]

DISCOVERY_METHODS = ("pc", "fci", "ges")
"""The structure-discovery algorithms :func:`discover_graph` accepts."""

CI_TESTS = ("auto", "mixed", "fisherz", "gsq")
"""The data models :func:`discover_graph` accepts as ``ci_test``."""

_MIXED_TEST = "debiasgen_mixed_lr"  # name under which our test is registered in causal-learn
_RIDGE = 1e-6  # added to the correlation matrix: one-hot blocks and recodings make it singular
_MIN_LEVEL_ROWS = 20  # categories rarer than this (or 0.5% of rows) are pooled for the test
_MIN_LEVEL_SHARE = 0.005
_GSQ_BINS = 4  # quantile bins of a numeric column for the discrete (G-square / BDeu) model
_MIN_ROWS = 10


# --- background knowledge ----------------------------------------------------------------


@dataclass(frozen=True)
class _Knowledge:
    """Validated background knowledge over the column names.

    ``forbidden`` holds every forbidden directed pair, whatever rule forbids it;
    ``why`` says which rule forbids a pair (for error messages).
    """

    columns: tuple[str, ...]
    sensitive: tuple[str, ...]
    target: str | None
    tiers: tuple[tuple[str, ...], ...]
    required: frozenset[tuple[str, str]]
    explicit_forbidden: frozenset[tuple[str, str]]

    def why_forbidden(self, parent: str, child: str) -> str | None:
        """Which rule forbids ``parent -> child`` (``None`` if it is allowed)."""
        if (parent, child) in self.explicit_forbidden:
            return "it is in forbidden"
        if child in self.sensitive:
            return f"sensitive attribute {child!r} gets no parents"
        if parent == self.target:
            return f"the target {parent!r} gets no children"
        tier = {name: k for k, names in enumerate(self.tiers) for name in names}
        if parent in tier and child in tier and tier[parent] > tier[child]:
            return (
                f"tiers put {parent!r} (tier {tier[parent]}) after {child!r} (tier {tier[child]})"
            )
        return None

    def forbidden(self) -> frozenset[tuple[str, str]]:
        """All forbidden directed pairs of columns."""
        cols = self.columns
        return frozenset(
            (p, c) for p in cols for c in cols if p != c and self.why_forbidden(p, c) is not None
        )


def _name_list(value, argument: str, columns: Sequence[str]) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if isinstance(names, (bytes, dict)) or not isinstance(names, Iterable):
        raise TypeError(f"{argument} must be a column name or a list of them; got {value!r}.")
    names = list(names)
    for name in names:
        _check_column(name, argument, columns)
    return tuple(dict.fromkeys(names))


def _check_column(name, argument: str, columns: Sequence[str]) -> str:
    if not isinstance(name, str) or name not in columns:
        raise GraphError(
            f"{argument} names {name!r}, which is not a column of X; columns are {list(columns)!r}."
        )
    return name


def _pairs(value, argument: str, columns: Sequence[str]) -> frozenset[tuple[str, str]]:
    if value is None:
        return frozenset()
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise TypeError(f"{argument} must be a list of (parent, child) pairs; got {value!r}.")
    pairs = []
    for item in value:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise TypeError(
                f"each entry of {argument} must be a (parent, child) pair; got {item!r}."
            )
        parent = _check_column(item[0], argument, columns)
        child = _check_column(item[1], argument, columns)
        if parent == child:
            raise GraphError(f"{argument} has the self-loop {parent!r} -> {parent!r}; remove it.")
        pairs.append((parent, child))
    return frozenset(pairs)


def _knowledge(columns, sensitive, target, required, forbidden, tiers) -> _Knowledge:
    """Validate the background-knowledge arguments against the columns."""
    sens = () if sensitive is None else _name_list(sensitive, "sensitive", columns)
    if target is not None:
        _check_column(target, "target", columns)
        if target in sens:
            raise GraphError(
                f"{target!r} is both the target and a sensitive attribute; name it only once."
            )
    tier_list: list[tuple[str, ...]] = []
    if tiers is not None:
        if isinstance(tiers, (str, bytes, dict)) or not isinstance(tiers, Iterable):
            raise TypeError(f"tiers must be a list of lists of column names; got {tiers!r}.")
        seen: dict[str, int] = {}
        for k, tier in enumerate(tiers):
            if isinstance(tier, str):
                raise TypeError(
                    f"tiers[{k}] is the string {tier!r}; each tier must be a list of column "
                    f"names, e.g. [[{tier!r}], [...]]."
                )
            names = _name_list(tier, f"tiers[{k}]", columns)
            for name in names:
                if name in seen:
                    raise GraphError(
                        f"tiers put {name!r} in tier {seen[name]} and in tier {k}; "
                        "give each column at most one tier."
                    )
                seen[name] = k
            tier_list.append(names)
    knowledge = _Knowledge(
        columns=tuple(columns),
        sensitive=sens,
        target=target,
        tiers=tuple(tier_list),
        required=_pairs(required, "required", columns),
        explicit_forbidden=_pairs(forbidden, "forbidden", columns),
    )
    for parent, child in sorted(knowledge.required):
        why = knowledge.why_forbidden(parent, child)
        if why is not None:
            raise GraphError(
                f"required edge {parent!r} -> {child!r} contradicts the background knowledge: "
                f"{why}. Drop the edge from required or relax the other rule."
            )
    CausalGraph(sorted(knowledge.required), nodes=columns)  # a CycleError names a cycle
    return knowledge


def _background_knowledge(knowledge: _Knowledge):
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
    tier = {name: k for k, names in enumerate(knowledge.tiers) for name in names}
    for parent, child in sorted(knowledge.forbidden()):
        if not (parent in tier and child in tier and tier[parent] > tier[child]):
            bk.add_forbidden_by_node(node[parent], node[child])  # not already a tier rule
    for parent, child in sorted(knowledge.required):
        bk.add_required_by_node(node[parent], node[child])
    return bk


# --- data preparation ----------------------------------------------------------------------


def _normal_scores(values: np.ndarray) -> np.ndarray:
    """Rank-based normal scores (average ranks for ties): a Gaussian-copula transform."""
    ranks = stats.rankdata(values)
    return special.ndtri(ranks / (len(values) + 1.0))


def _one_hot(col: pd.Series) -> np.ndarray:
    """Dummies of a categorical column, rare levels pooled, most frequent level dropped."""
    codes, _ = pd.factorize(col, sort=True)
    counts = np.bincount(codes)
    floor = max(_MIN_LEVEL_ROWS, _MIN_LEVEL_SHARE * len(codes))
    rare = counts < floor
    if rare.sum() >= 1:
        codes = np.where(rare[codes], len(counts), codes)  # one pooled "other" level
        counts = np.bincount(codes)
    levels = np.flatnonzero(counts)
    keep = levels[levels != np.argmax(counts)]
    return (codes[:, None] == keep[None, :]).astype(float)


def _encode(frame: pd.DataFrame, ci_test: str) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """The matrix causal-learn sees (one column per variable) and, for "mixed", the
    expanded matrix's column blocks of each variable."""
    per_column, blocks, parts, start = [], [], [], 0
    for name in frame.columns:
        col = frame[name]
        categorical = _is_categorical(col.dtype)
        codes = pd.factorize(col, sort=True)[0].astype(float) if categorical else None
        if ci_test == "mixed":
            part = _one_hot(col) if categorical else _normal_scores(col.to_numpy(float))[:, None]
            parts.append(part)
            blocks.append(np.arange(start, start + part.shape[1]))
            start += part.shape[1]
            per_column.append(_normal_scores(codes) if categorical else part[:, 0])
        elif ci_test == "fisherz":  # naive: category codes used as numbers
            per_column.append(codes if categorical else col.to_numpy(float))
        else:  # gsq: numeric columns cut into quantile bins
            if categorical:
                per_column.append(codes)
            else:
                binned = pd.qcut(col.rank(method="first"), _GSQ_BINS, labels=False)
                per_column.append(binned.to_numpy(float))
    data = np.column_stack(per_column)
    if ci_test != "mixed":
        return data, None
    expanded = np.column_stack(parts)
    return data, [expanded, blocks]


def _mixed_test_class():
    """Register (once) and return the mixed-data CI test with causal-learn."""
    from causallearn.utils import cit

    if _MIXED_TEST in cit._custom_ci_tests:
        return cit._custom_ci_tests[_MIXED_TEST]

    class BlockGaussianLR(cit.CIT_Base):
        """Likelihood-ratio test of X independent of Y given Z between blocks of columns.

        Each variable is a block: one column (normal scores) for a numeric
        variable, its dummies for a categorical one. Under a joint Gaussian model
        of the expanded columns (a "degenerate Gaussian", Andrews, Ramsey &
        Cooper 2019), with R the correlation matrix,
        ``LR = n' [log|R_xz| + log|R_yz| - log|R_xyz| - log|R_z|]`` is
        chi-square with ``dim(x) * dim(y)`` degrees of freedom, where
        ``n' = n - dim(z) - (dim(x) + dim(y) + 3) / 2`` (Bartlett's correction).
        """

        def __init__(self, data, expanded=None, **kwargs):
            super().__init__(data, **kwargs)
            self.check_cache_method_consistent(_MIXED_TEST, cit.NO_SPECIFIED_PARAMETERS_MSG)
            matrix, self.blocks = expanded
            corr = np.atleast_2d(np.corrcoef(matrix, rowvar=False))
            self.corr = corr + _RIDGE * np.eye(len(corr))
            self.n = matrix.shape[0]
            self._memo: dict[tuple, float] = {}

        def _conditional_logdet(self, given: list[int], var: int) -> float:
            """``log|R_{var | given}|`` (variables, not columns), memoised: the same
            pair recurs across the tests of one search."""
            key = (tuple(given), var)
            if key not in self._memo:
                self._memo[key] = self._compute_logdet(given, var)
            return self._memo[key]

        def _compute_logdet(self, given_vars: list[int], var: int) -> float:
            given = np.concatenate([self.blocks[v] for v in given_vars] + [np.empty(0, int)])
            index = np.concatenate([given, self.blocks[var]])
            sub = self.corr[np.ix_(index, index)]
            try:
                diag = np.diagonal(np.linalg.cholesky(sub))[len(given) :]
                return 2.0 * float(np.log(diag).sum())
            except np.linalg.LinAlgError:  # not positive definite despite the ridge
                whole = np.linalg.slogdet(sub)[1]
                head = np.linalg.slogdet(sub[: len(given), : len(given)])[1] if len(given) else 0
                return float(whole - head)

        def __call__(self, X, Y, condition_set=None):
            xs, ys, zs, key = self.get_formatted_XYZ_and_cachekey(X, Y, condition_set)
            if key in self.pvalue_cache:
                return self.pvalue_cache[key]
            a = self.blocks[xs[0]]
            b = self.blocks[ys[0]]
            c = np.concatenate([self.blocks[z] for z in zs]) if zs else np.empty(0, int)
            df = len(a) * len(b)
            if df == 0:  # a constant column carries no information
                p = 1.0
            else:
                # log|R_xz| + log|R_yz| - log|R_xyz| - log|R_z| = log|R_y|z| - log|R_y|xz|
                stat = self._conditional_logdet(zs, ys[0]) - self._conditional_logdet(
                    sorted([*zs, xs[0]]), ys[0]
                )
                n_eff = max(self.n - len(c) - (len(a) + len(b) + 3) / 2.0, 1.0)
                p = float(special.chdtrc(df, max(stat, 0.0) * n_eff))
            self.pvalue_cache[key] = p
            return p

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


def _edge_kinds(marks: np.ndarray, names: Sequence[str]):
    """Split an endpoint matrix into directed, undirected and bidirected name pairs.

    causal-learn writes the mark at ``i`` of the edge ``i - j`` in ``marks[i, j]``:
    -1 tail, 1 arrowhead, 2 circle (PAGs), 0 no edge. An arrowhead at one end
    only is a directed edge (``i o-> j`` included: the arrowhead says ``j`` is
    not an ancestor of ``i``); arrowheads at both ends are bidirected; none is
    undirected (``-``, ``o-o``, ``o-``).
    """
    directed, undirected, bidirected = set(), set(), set()
    for i, j in zip(*np.nonzero(np.triu(marks != 0, 1))):
        arrow_i, arrow_j = marks[i, j] == 1, marks[j, i] == 1
        a, b = names[i], names[j]
        if arrow_j and not arrow_i:
            directed.add((a, b))
        elif arrow_i and not arrow_j:
            directed.add((b, a))
        elif arrow_i and arrow_j:
            bidirected.add((a, b))
        else:
            undirected.add((a, b))
    return directed, undirected, bidirected


# --- from an equivalence class to one DAG --------------------------------------------------


def _violations(x, undirected, adjacent, remaining) -> int:
    """Pairs (undirected neighbour y, other neighbour z) of ``x`` with y, z not adjacent."""
    near = [y for y in adjacent[x] if y in remaining]
    return sum(1 for y in undirected for z in near if z != y and z not in adjacent[y])


def _compelled_by_data(directed, undirected, bidirected) -> set[tuple[str, str]]:
    """Directions implied by the data alone: the discovered graph's unshielded colliders,
    closed under Meek's rules 1-3 on its skeleton (knowledge-propagated arrows excluded)."""
    adjacent: dict[str, set[str]] = {}
    for a, b in (*directed, *undirected, *bidirected):
        adjacent.setdefault(a, set()).add(b)
        adjacent.setdefault(b, set()).add(a)
    parents: dict[str, set[str]] = {}
    for a, b in directed:
        parents.setdefault(b, set()).add(a)
    arrows = {
        (a, c)
        for c, ps in parents.items()
        for a in ps
        if any(b not in adjacent[a] for b in ps - {a})
    }

    def is_open(a, b):
        return (a, b) not in arrows and (b, a) not in arrows

    changed = True
    while changed:
        changed = False
        for a, b in list(arrows):
            for c in adjacent[b]:
                # rule 1: a -> b - c with a, c not adjacent gives b -> c
                if c != a and c not in adjacent[a] and is_open(b, c):
                    arrows.add((b, c))
                    changed = True
                # rule 2: a -> b -> c with a - c gives a -> c
                if (b, c) in arrows and c in adjacent[a] and is_open(a, c):
                    arrows.add((a, c))
                    changed = True
        for a in adjacent:
            for b in adjacent[a]:
                # rule 3: a - c -> b <- d - a, c and d not adjacent, a - b gives a -> b
                if not is_open(a, b):
                    continue
                into = [c for c in adjacent[a] if (c, b) in arrows and is_open(a, c)]
                if any(d not in adjacent[c] for c in into for d in into if d != c):
                    arrows.add((a, b))
                    changed = True
    return arrows


def _to_dag(
    columns, directed, undirected, bidirected, knowledge: _Knowledge, searched_with: bool
) -> CausalGraph:
    """One DAG from a CPDAG or PAG, respecting ``knowledge``; each edge labelled.

    The rule, in order:

    1. Background knowledge first. Required edges are added (origin
       ``"background"``) even where the data left the pair unconnected; a pair
       forbidden in both directions is dropped; a pair with one direction
       forbidden takes the other (``"background"``), whatever the data said.
    2. Edges the search oriented keep their direction: ``"data"`` if the
       discovered graph's unshielded colliders imply it (Meek's rules), else
       ``"background"`` when the search used background knowledge
       (``searched_with``: PC, FCI), whose orientations the search propagates.
       If one would
       close a directed cycle with the edges already placed (a conflict in the
       data's orientations), it is reversed (``"rule"``); a knowledge-forced
       edge that would close a cycle is dropped with a warning (possible only
       when explicit forbidden pairs orient a cycle).
    3. Undirected and bidirected edges are oriented by a consistent DAG
       extension (Dor & Tarsi 1992), origin ``"rule"``: repeatedly take a node
       with no outgoing placed edge whose undirected neighbours are all adjacent
       to its other neighbours (so no new v-structure appears), point its
       undirected edges into it and remove it. Where no node qualifies, the one
       with fewest non-adjacent neighbour pairs is taken. Ties go to the node
       latest in column order, so earlier columns tend to become parents.

    Every step places edges into a sink of what remains, so the result is
    acyclic, and no step places a forbidden direction.
    """
    forbidden = knowledge.forbidden()
    index = {name: i for i, name in enumerate(columns)}
    placed = nx.DiGraph()
    placed.add_nodes_from(columns)
    origins: dict[tuple[str, str], str] = {}
    open_pairs: set[frozenset] = set()
    adjacent: dict[str, set[str]] = {name: set() for name in columns}

    def place(parent, child, origin) -> bool:
        if nx.has_path(placed, child, parent):
            return False
        placed.add_edge(parent, child)
        origins[(parent, child)] = origin
        return True

    forced, by_data = [], []
    pairs = {frozenset(e) for e in (*directed, *undirected, *bidirected)}
    pairs |= {frozenset(e) for e in knowledge.required}
    for pair in sorted(pairs, key=lambda p: sorted(index[n] for n in p)):
        a, b = sorted(pair, key=index.get)
        ab_ok, ba_ok = (a, b) not in forbidden, (b, a) not in forbidden
        if (a, b) in knowledge.required or (b, a) in knowledge.required:
            forced.append((a, b) if (a, b) in knowledge.required else (b, a))
        elif not ab_ok and not ba_ok:
            continue
        elif ab_ok != ba_ok:
            forced.append((a, b) if ab_ok else (b, a))
        elif (a, b) in directed or (b, a) in directed:
            by_data.append((a, b) if (a, b) in directed else (b, a))
        else:
            open_pairs.add(pair)
        adjacent[a].add(b)
        adjacent[b].add(a)

    required_first = sorted(forced, key=lambda e: e not in knowledge.required)
    for parent, child in required_first:
        if not place(parent, child, "background"):
            adjacent[parent].discard(child)
            adjacent[child].discard(parent)
            warnings.warn(
                f"background knowledge orients {parent!r} -> {child!r}, which closes a directed "
                "cycle with other knowledge-oriented edges; the edge is dropped. Check the "
                "forbidden pairs.",
                stacklevel=3,
            )
    from_data = _compelled_by_data(directed, undirected, bidirected)
    has_knowledge = searched_with and bool(knowledge.forbidden() or knowledge.required)
    for parent, child in by_data:
        label = "background" if has_knowledge and (parent, child) not in from_data else "data"
        if not place(parent, child, label):
            place(child, parent, "rule")  # cannot fail: parent ~> child would already be a cycle

    remaining = set(columns)
    while open_pairs:
        undirected_of = {
            x: {y for y in adjacent[x] if y in remaining and frozenset((x, y)) in open_pairs}
            for x in remaining
        }

        sinks = [x for x in remaining if not any(c in remaining for c in placed.successors(x))]
        sink = min(
            sinks, key=lambda x: (_violations(x, undirected_of[x], adjacent, remaining), -index[x])
        )
        for y in sorted(undirected_of[sink], key=index.get):
            placed.add_edge(y, sink)
            origins[(y, sink)] = "rule"
            open_pairs.discard(frozenset((y, sink)))
        remaining.discard(sink)

    edges = sorted(placed.edges, key=lambda e: (index[e[0]], index[e[1]]))
    return CausalGraph(edges, nodes=columns, origins=origins)


# --- the public function -------------------------------------------------------------------


def _check_options(method, alpha, max_rows, ci_test, verbose) -> None:
    if method not in DISCOVERY_METHODS:
        raise ValueError(f"method must be one of {list(DISCOVERY_METHODS)!r}; got {method!r}.")
    if ci_test not in CI_TESTS:
        raise ValueError(f"ci_test must be one of {list(CI_TESTS)!r}; got {ci_test!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1; got {alpha!r}.")
    if max_rows is not None and (
        isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer))
    ):
        raise TypeError(f"max_rows must be an int or None; got {max_rows!r}.")
    if max_rows is not None and max_rows < _MIN_ROWS:
        raise ValueError(f"max_rows must be at least {_MIN_ROWS}; got {max_rows}.")
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be True or False; got {verbose!r}.")


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
            f"discovery needs at least {_MIN_ROWS} complete rows; X has {len(X)}."
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
    TypeError
        ``X`` is not a DataFrame, or an argument has the wrong type.
    ValueError
        Unknown ``method`` or ``ci_test``, ``alpha`` outside (0, 1), or
        ``max_rows`` below 10.
    GraphError
        A knowledge argument names an unknown column, a column is in two tiers,
        the target is also sensitive, or a required edge contradicts the other
        knowledge (it is forbidden, enters a sensitive attribute, leaves the
        target, goes against the tiers) or required edges form a cycle.
    DataValidationError
        Fewer than 10 complete rows (see :func:`~debiasgen.encoding.validate_frame`
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
    knowledge = _knowledge(columns, sensitive, target, required, forbidden, tiers)
    start = time.perf_counter()
    rows = _rows(X, max_rows, random_state)
    if ci_test == "auto":
        all_categorical = all(_is_categorical(rows[c].dtype) for c in columns)
        ci_test = "gsq" if all_categorical else "mixed"
    _warn_recodings(rows)
    data, extra = _encode(rows, ci_test)
    marks = _run(method, data, extra, columns, float(alpha), knowledge, ci_test, verbose)
    graph = _to_dag(columns, *_edge_kinds(marks, columns), knowledge, method != "ges")
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

"""Causal graphs over the columns of a table.

A :class:`CausalGraph` is an immutable directed acyclic graph whose node names
are the DataFrame's own column names (strings), so graphs, errors and reports
speak the user's names. A graph may mention only some of the data's columns:
data columns the graph does not mention are handled by the synthesizer
(``CCGMSynthesizer``'s ``unmentioned`` option), not by this module; here
:meth:`CausalGraph.check_columns` only checks that every node is a column.

networkx does the graph work internally; it is handed out only as a fresh
copy (:meth:`CausalGraph.to_networkx`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from debiasgen.core.presets import CRITERIA, PRESETS
from debiasgen.exceptions import CycleError, GraphError, InvalidParameterError, InvalidTypeError

__all__ = ["EDGE_ORIGINS", "CausalGraph", "structural_hamming_distance"]


EDGE_ORIGINS = ("given", "data", "background", "rule", "learned")
"""The labels an edge's origin may carry (see ``CausalGraph(origins=...)``):

* ``"given"``: stated by the user as part of a graph;
* ``"data"``: present and oriented as structure discovery found it in the data;
* ``"background"``: present or oriented because background knowledge says so
  (a required edge, or the reverse direction is forbidden);
* ``"rule"``: found adjacent by the data but oriented by a rule (the DAG
  extension of an undirected or conflicting edge);
* ``"learned"``: learned inside the model (the causal layer's trainable edges).
"""


def _duplicates(items: Iterable[Hashable]) -> list:
    """Items seen more than once, each listed once, in order of second sighting."""
    seen, dups = set(), []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups


def _check_name(name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise InvalidTypeError(
            f"node names must be strings (the DataFrame's column names); got {name!r} "
            f"of type {type(name).__name__} in {where}."
        )
    return name


def _check_iterable(obj: Any, what: str) -> None:
    if isinstance(obj, (str, bytes, Mapping)) or not isinstance(obj, Iterable):
        raise InvalidTypeError(f"{what} must be an iterable (a list or tuple); got {obj!r}.")


def _check_pair(item: Any) -> tuple[str, str]:
    if not (isinstance(item, (tuple, list)) and len(item) == 2):
        raise InvalidTypeError(
            f"each edge must be a (parent, child) pair of strings; got {item!r}."
        )
    return _check_name(item[0], f"edge {item!r}"), _check_name(item[1], f"edge {item!r}")


def _check_origins(origins: Any, edges: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Validate an ``origins`` mapping against the graph's edges; return a plain dict."""
    if not isinstance(origins, Mapping):
        raise InvalidTypeError(
            f"origins must be a mapping from (parent, child) edges to labels; got {origins!r}."
        )
    checked = {}
    for key, label in origins.items():
        pair = _check_pair(key)
        if pair not in edges:
            raise GraphError(
                f"origins labels {pair[0]!r} -> {pair[1]!r}, which is not an edge of the graph; "
                "label only the graph's edges."
            )
        if label not in EDGE_ORIGINS:
            raise GraphError(
                f"origin of {pair[0]!r} -> {pair[1]!r} is {label!r}; use one of "
                f"{list(EDGE_ORIGINS)!r}."
            )
        checked[pair] = label
    return checked


class CausalGraph:
    """An immutable causal DAG over column names.

    Parameters
    ----------
    edges : iterable of (str, str), default=()
        The ``(parent, child)`` edges.
    nodes : iterable of str, optional
        All node names, in the order to use. Allows isolated nodes; the edges
        may then only name these nodes. By default the nodes are those named by
        ``edges``, in order of first appearance.
    origins : mapping of (str, str) to str, optional
        Where edges came from: ``{(parent, child): label}`` with a label from
        :data:`EDGE_ORIGINS` (``"given"``, ``"data"``, ``"background"``,
        ``"rule"``, ``"learned"``). Edges may be left unlabelled. Labels are
        bookkeeping: they are kept by :meth:`remove_edges`, :meth:`add_nodes`,
        :meth:`to_dict` / :meth:`from_dict` and pickling, but equality and
        hashing compare structure only (nodes and edges).

    Raises
    ------
    TypeError
        A name is not a string, an edge is not a ``(parent, child)`` pair, or
        ``origins`` is not a mapping.
    GraphError
        A self-loop, a duplicate edge, a duplicate name in ``nodes``, an edge
        naming a node missing from ``nodes``, or an ``origins`` key that is not
        an edge or a label not in :data:`EDGE_ORIGINS`.
    CycleError
        The edges contain a directed cycle (the message shows one).

    Examples
    --------
    >>> g = CausalGraph([("sex", "education"), ("education", "income"), ("sex", "income")])
    >>> g
    CausalGraph(nodes=3, edges=3)
    >>> g.parents("income")
    ('sex', 'education')
    >>> g.topological_levels()
    [('sex',), ('education',), ('income',)]
    >>> h = CausalGraph([("sex", "income")], origins={("sex", "income"): "given"})
    >>> h.origin("sex", "income")
    'given'
    """

    __slots__ = ("_nodes", "_edges", "_index", "_graph", "_order", "_origins")

    def __init__(
        self,
        edges: Iterable[tuple[str, str]] = (),
        nodes: Iterable[str] | None = None,
        origins: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        _check_iterable(edges, "edges")
        pairs = [_check_pair(item) for item in edges]
        if nodes is None:
            names = list(dict.fromkeys(name for pair in pairs for name in pair))
        else:
            _check_iterable(nodes, "nodes")
            names = [_check_name(n, "nodes") for n in nodes]
            dups = _duplicates(names)
            if dups:
                raise GraphError(f"nodes lists {dups!r} more than once; list each node once.")
            known = set(names)
            unknown = list(dict.fromkeys(n for pair in pairs for n in pair if n not in known))
            if unknown:
                raise GraphError(
                    f"edges name {unknown!r}, which are not in nodes ({names!r}); "
                    "add them to nodes or drop those edges."
                )
        for parent, child in pairs:
            if parent == child:
                raise GraphError(f"self-loop on {parent!r}: a node cannot be its own parent.")
        dup_edges = _duplicates(pairs)
        if dup_edges:
            parent, child = dup_edges[0]
            raise GraphError(f"edge {parent!r} -> {child!r} is given more than once.")
        graph = nx.DiGraph()
        graph.add_nodes_from(names)
        graph.add_edges_from(pairs)
        if not nx.is_directed_acyclic_graph(graph):
            cycle = [u for u, _ in nx.find_cycle(graph)]
            path = " -> ".join([*cycle, cycle[0]])
            raise CycleError(f"the edges contain a directed cycle: {path}; remove an edge of it.")
        labels = {} if origins is None else _check_origins(origins, set(pairs))
        index = {name: i for i, name in enumerate(names)}
        set_ = object.__setattr__
        set_(self, "_nodes", tuple(names))
        set_(self, "_index", index)
        set_(self, "_edges", tuple(sorted(pairs, key=lambda e: (index[e[0]], index[e[1]]))))
        set_(self, "_graph", graph)
        set_(self, "_order", tuple(nx.lexicographical_topological_sort(graph, key=index.get)))
        set_(self, "_origins", {e: labels[e] for e in self._edges if e in labels})

    @classmethod
    def from_networkx(cls, graph: nx.DiGraph) -> CausalGraph:
        """Build from a networkx ``DiGraph`` (its node order is kept; attributes are dropped).

        Raises ``TypeError`` for an undirected graph or a multigraph.
        """
        if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
            raise InvalidTypeError(
                f"graph must be a directed networkx.DiGraph; got {type(graph).__name__}, "
                "which cannot be a causal graph. Convert it first, e.g. nx.DiGraph(g)."
            )
        return cls(list(graph.edges), nodes=list(graph.nodes))

    @classmethod
    def from_adjacency(cls, frame: pd.DataFrame) -> CausalGraph:
        """Build from an adjacency DataFrame: index = parents, columns = children.

        Index and columns hold the same labels (``GraphError`` otherwise); a
        nonzero or ``True`` entry is an edge; node order is the index order.
        """
        if not isinstance(frame, pd.DataFrame):
            raise InvalidTypeError(
                f"from_adjacency needs a pandas DataFrame; got {type(frame).__name__}."
            )
        rows, cols = list(frame.index), list(frame.columns)
        dups = _duplicates(rows) or _duplicates(cols)
        if dups:
            raise GraphError(f"the adjacency frame repeats the labels {dups!r}; list each once.")
        if set(rows) != set(cols):
            only_rows = [r for r in rows if r not in set(cols)]
            only_cols = [c for c in cols if c not in set(rows)]
            raise GraphError(
                "the adjacency frame's index (parents) and columns (children) must hold the "
                f"same labels; only in the index: {only_rows!r}, only in the columns: "
                f"{only_cols!r}."
            )
        values = frame.loc[:, rows]
        for col in rows:
            dtype = values[col].dtype
            if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
                raise GraphError(
                    f"adjacency column {col!r} has dtype {dtype}; use 0/1 or True/False entries."
                )
        missing = values.isna()
        if missing.to_numpy().any():
            row, col = next((r, c) for r in rows for c in rows if missing.at[r, c])
            raise GraphError(f"adjacency entry [{row!r}, {col!r}] is missing; use 0 or 1.")
        adjacent = values.astype(float).to_numpy() != 0
        edges = [(p, c) for i, p in enumerate(rows) for j, c in enumerate(rows) if adjacent[i, j]]
        return cls(edges, nodes=rows)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CausalGraph:
        """Build from ``{"nodes": [...], "edges": [[p, c], ...]}`` (see :meth:`to_dict`).

        An optional ``"origins"`` key holds ``[[parent, child, label], ...]``;
        dicts written before origins existed load unchanged.
        """
        if not isinstance(data, Mapping):
            raise InvalidTypeError(
                f"from_dict needs a dict with keys 'nodes' and 'edges'; got {data!r}."
            )
        keys = set(data)
        if keys not in ({"nodes", "edges"}, {"nodes", "edges", "origins"}):
            raise GraphError(
                "from_dict needs exactly the keys 'nodes' and 'edges' (and optionally "
                f"'origins'); got {sorted(map(str, keys))!r}."
            )
        origins = {}
        triples = data.get("origins", [])
        _check_iterable(triples, "origins")
        for item in triples:
            if not (isinstance(item, (tuple, list)) and len(item) == 3):
                raise InvalidTypeError(
                    f"each entry of 'origins' must be [parent, child, label]; got {item!r}."
                )
            origins[(item[0], item[1])] = item[2]
        return cls(data["edges"], nodes=data["nodes"], origins=origins)

    @classmethod
    def coerce(cls, obj: Any) -> CausalGraph:
        """Turn any accepted graph description into a :class:`CausalGraph`.

        Parameters
        ----------
        obj : CausalGraph, networkx.DiGraph, pandas.DataFrame or iterable of pairs
            A graph (returned as is), a directed networkx graph, an adjacency
            frame (see :meth:`from_adjacency`) or ``(parent, child)`` edges;
            anything else raises ``TypeError``.
        """
        if isinstance(obj, CausalGraph):
            return obj
        if isinstance(obj, nx.Graph):
            return cls.from_networkx(obj)
        if isinstance(obj, pd.DataFrame):
            return cls.from_adjacency(obj)
        if isinstance(obj, (str, bytes, Mapping)) or not isinstance(obj, Iterable):
            hint = " (use CausalGraph.from_dict for a dict)" if isinstance(obj, Mapping) else ""
            raise InvalidTypeError(
                "a causal graph must be a CausalGraph, a networkx.DiGraph, an adjacency "
                f"DataFrame or an iterable of (parent, child) pairs; got {obj!r}{hint}."
            )
        return cls(obj)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"CausalGraph is immutable; cannot set {name!r}. Build a new graph instead "
            "(remove_edges, add_nodes or the constructor)."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"CausalGraph is immutable; cannot delete {name!r}.")

    def __reduce__(self):
        return (type(self), (self._edges, self._nodes, self._origins or None))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CausalGraph):
            return NotImplemented
        return set(self._nodes) == set(other._nodes) and set(self._edges) == set(other._edges)

    def __hash__(self) -> int:
        return hash((frozenset(self._nodes), frozenset(self._edges)))

    def __repr__(self) -> str:
        return f"CausalGraph(nodes={len(self._nodes)}, edges={len(self._edges)})"

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node: object) -> bool:
        try:
            return node in self._index
        except TypeError:  # unhashable: certainly not a node
            return False

    @property
    def nodes(self) -> tuple[str, ...]:
        """The node names, in node order."""
        return self._nodes

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """The ``(parent, child)`` edges, sorted by parent then child in node order."""
        return self._edges

    @property
    def origins(self) -> dict[tuple[str, str], str]:
        """A new dict ``{(parent, child): label}`` of the labelled edges, in edge order."""
        return dict(self._origins)

    def origin(self, parent: str, child: str) -> str | None:
        """The origin label of the edge ``parent -> child`` (``None`` if unlabelled).

        Raises ``GraphError`` if ``parent -> child`` is not an edge.
        """
        if not self.has_edge(parent, child):
            raise GraphError(
                f"{parent!r} -> {child!r} is not an edge of the graph; it has no origin."
            )
        return self._origins.get((parent, child))

    @property
    def roots(self) -> tuple[str, ...]:
        """The nodes without parents, in node order."""
        return tuple(n for n in self._nodes if self._graph.in_degree(n) == 0)

    def _check_node(self, node: Any) -> None:
        if node not in self:
            raise GraphError(
                f"{node!r} is not a node of the graph; nodes are: {list(self._nodes)!r}."
            )

    def _sorted(self, names: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=self._index.__getitem__))

    def parents(self, node: str) -> tuple[str, ...]:
        """The parents of ``node`` in node order; ``GraphError`` if it is not a node."""
        self._check_node(node)
        return self._sorted(self._graph.predecessors(node))

    def children(self, node: str) -> tuple[str, ...]:
        """The children of ``node`` in node order; ``GraphError`` if it is not a node."""
        self._check_node(node)
        return self._sorted(self._graph.successors(node))

    def ancestors(self, node: str) -> tuple[str, ...]:
        """All nodes with a directed path to ``node``, in node order."""
        self._check_node(node)
        return self._sorted(nx.ancestors(self._graph, node))

    def descendants(self, node: str) -> tuple[str, ...]:
        """All nodes reachable from ``node`` by a directed path, in node order."""
        self._check_node(node)
        return self._sorted(nx.descendants(self._graph, node))

    def has_edge(self, parent: str, child: str) -> bool:
        """Whether ``parent -> child`` is an edge (``False`` for unknown names)."""
        return parent in self and child in self and self._graph.has_edge(parent, child)

    def topological_order(self) -> tuple[str, ...]:
        """A topological order; among nodes ready at the same time, node order wins."""
        return self._order

    def topological_levels(self) -> list[tuple[str, ...]]:
        """Nodes grouped by the length (in edges) of their longest path from a root.

        Level 0 holds the roots; each level is in node order, and every parent
        is in an earlier level than its children.
        """
        depth: dict[str, int] = {}
        for node in self._order:
            depth[node] = 1 + max((depth[p] for p in self._graph.predecessors(node)), default=-1)
        n_levels = max(depth.values(), default=-1) + 1
        return [tuple(n for n in self._nodes if depth[n] == k) for k in range(n_levels)]

    def to_networkx(self) -> nx.DiGraph:
        """A new networkx ``DiGraph`` (nodes in node order); changing it leaves this graph alone."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self._nodes)
        graph.add_edges_from(self._edges)
        return graph

    def to_adjacency(self) -> pd.DataFrame:
        """The 0/1 adjacency matrix: index ``"parent"``, columns ``"child"``, in node order."""
        matrix = nx.to_numpy_array(self._graph, nodelist=self._nodes, dtype="int64", weight=None)
        return pd.DataFrame(
            matrix,
            index=pd.Index(self._nodes, name="parent", dtype=object),
            columns=pd.Index(self._nodes, name="child", dtype=object),
        )

    def to_dict(self) -> dict[str, list]:
        """A JSON-friendly ``{"nodes": [...], "edges": [[parent, child], ...]}``.

        A graph with labelled edges adds ``"origins": [[parent, child, label], ...]``.
        """
        out = {"nodes": list(self._nodes), "edges": [[p, c] for p, c in self._edges]}
        if self._origins:
            out["origins"] = [[p, c, label] for (p, c), label in self._origins.items()]
        return out

    def remove_edges(self, edges: Iterable[tuple[str, str]]) -> CausalGraph:
        """A new graph with the same nodes and without ``edges`` (each must be an edge)."""
        _check_iterable(edges, "edges")
        drop = set()
        for item in edges:
            parent, child = _check_pair(item)
            if not self.has_edge(parent, child):
                msg = f"cannot remove {parent!r} -> {child!r}: it is not an edge of the graph"
                if child in self:
                    msg += f"; {child!r} has parents {list(self.parents(child))!r}"
                raise GraphError(msg + ".")
            drop.add((parent, child))
        kept = [e for e in self._edges if e not in drop]
        origins = {e: label for e, label in self._origins.items() if e not in drop}
        return CausalGraph(kept, nodes=self._nodes, origins=origins)

    def add_nodes(self, names: Iterable[str]) -> CausalGraph:
        """A new graph with ``names`` appended as isolated nodes (names present are kept once)."""
        _check_iterable(names, "names")
        extra = [_check_name(n, "names") for n in names]
        nodes = list(dict.fromkeys([*self._nodes, *extra]))
        return CausalGraph(self._edges, nodes=nodes, origins=self._origins)

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise ``GraphError`` listing the nodes that are not in ``columns``, if any."""
        available = list(columns)
        present = set(available)
        missing = [n for n in self._nodes if n not in present]
        if missing:
            raise GraphError(
                f"the graph names {missing!r}, which are not columns of the data; available "
                f"columns: {available!r}. Rename the nodes to match the column names."
            )

    def fairness_edges(
        self, sensitive: str, target: str, criterion: str
    ) -> tuple[tuple[str, str], ...]:
        """The edges into ``target`` to remove for a fairness criterion.

        Parameters
        ----------
        sensitive, target : str
            The sensitive attribute and the outcome; two different nodes.
        criterion : {"ftu", "cf", "dp"}
            A key of :data:`debiasgen.core.presets.PRESETS`.  ``"ftu"``: the
            direct edge ``sensitive -> target`` if present.  ``"cf"`` and ``"dp"``:
            every edge ``(p, target)`` where ``p`` is ``sensitive`` or a descendant
            of it, in edge order (``"dp"`` also decouples ``sensitive`` from the
            other roots when generating, which is not an edge).

        Returns
        -------
        tuple of (str, str)
            The edges to remove; possibly empty.

        Raises
        ------
        ValueError
            Unknown ``criterion``.
        GraphError
            ``sensitive`` or ``target`` is not a node, or they are the same node.
        """
        if criterion not in PRESETS:
            raise InvalidParameterError(
                f"criterion must be one of {list(CRITERIA)!r}; got {criterion!r}."
            )
        self._check_node(sensitive)
        self._check_node(target)
        if sensitive == target:
            raise GraphError(f"sensitive and target are both {sensitive!r}; name two nodes.")
        if PRESETS[criterion].paths == "all":
            upstream = {sensitive, *self.descendants(sensitive)}
            return tuple((p, target) for p in self.parents(target) if p in upstream)
        return ((sensitive, target),) if self.has_edge(sensitive, target) else ()


def structural_hamming_distance(a: CausalGraph, b: CausalGraph) -> int:
    """The structural Hamming distance between two DAGs over the same nodes.

    The number of node pairs whose edge differs: an edge present in one graph
    and absent in the other counts 1, and an edge present in both but with
    opposite directions counts 1 (Tsamardinos, Brown & Aliferis 2006, on
    DAGs). It is symmetric, zero exactly for equal edge sets, and at most the
    number of node pairs.

    Parameters
    ----------
    a, b : CausalGraph
        Graphs over the same set of nodes (node order may differ).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        ``a`` or ``b`` is not a :class:`CausalGraph`.
    GraphError
        The graphs have different node sets (the message lists the difference).

    Examples
    --------
    >>> truth = CausalGraph([("a", "b"), ("b", "c")])
    >>> found = CausalGraph([("b", "a"), ("a", "c")], nodes=["a", "b", "c"])
    >>> structural_hamming_distance(truth, found)  # a-b reversed, b-c missing, a-c extra
    3
    """
    for name, graph in (("a", a), ("b", b)):
        if not isinstance(graph, CausalGraph):
            raise InvalidTypeError(f"{name} must be a CausalGraph; got {type(graph).__name__}.")
    if set(a.nodes) != set(b.nodes):
        only_a = [n for n in a.nodes if n not in b]
        only_b = [n for n in b.nodes if n not in a]
        raise GraphError(
            "structural_hamming_distance needs graphs over the same nodes; only in a: "
            f"{only_a!r}, only in b: {only_b!r}. Compare subgraphs over shared nodes."
        )
    edges_a, edges_b = set(a.edges), set(b.edges)
    pairs_a = {frozenset(e) for e in edges_a}
    pairs_b = {frozenset(e) for e in edges_b}
    reversed_ = sum(1 for p, c in edges_a if (c, p) in edges_b)
    return len(pairs_a ^ pairs_b) + reversed_

"""Background knowledge about the causal graph: one validator, one object, one set of rules.

:func:`check_knowledge` checks the ``sensitive``, ``target``, ``required``,
``forbidden`` and ``tiers`` arguments (of
:func:`~debiasgen.structure.discovery.discover_graph` and of
``CCGMSynthesizer.fit``) against the column names, with errors that name the
argument and the column, and returns a :class:`Knowledge`.  Structure discovery,
the orientation step, edge learning and ``fit`` all read that one object;
:meth:`Knowledge.why_forbidden` is the one statement of which directed edges the
knowledge rules out, and :func:`require_edges` puts the required edges into a
graph the user gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import networkx as nx

from debiasgen.core.graph import CausalGraph
from debiasgen.exceptions import CycleError, GraphError, InvalidTypeError, UnknownColumnError

__all__ = ["Knowledge", "check_knowledge", "require_edges"]


@dataclass(frozen=True)
class Knowledge:
    """Validated background knowledge over the column names (build it with
    :func:`check_knowledge`).

    Attributes
    ----------
    columns : tuple of str
        The columns the knowledge was checked against, in order.
    sensitive : tuple of str
        Sensitive attributes: they get no parents.
    target : str or None
        The outcome: it gets no children.
    tiers : tuple of tuple of str
        Temporal order: no edge from a later tier into an earlier one.
    required : frozenset of (str, str)
        Edges the graph must contain.
    explicit_forbidden : frozenset of (str, str)
        The pairs given as ``forbidden`` (:meth:`forbidden` adds those that the
        other rules forbid).
    """

    columns: tuple[str, ...]
    sensitive: tuple[str, ...] = ()
    target: str | None = None
    tiers: tuple[tuple[str, ...], ...] = ()
    required: frozenset[tuple[str, str]] = frozenset()
    explicit_forbidden: frozenset[tuple[str, str]] = frozenset()

    @cached_property
    def tier_of(self) -> dict[str, int]:
        """The tier of each column that has one."""
        return {name: k for k, names in enumerate(self.tiers) for name in names}

    def why_forbidden(self, parent: str, child: str) -> str | None:
        """Which rule forbids ``parent -> child`` (``None`` if it is allowed).

        The one statement of the rules, shared by discovery and edge learning: an
        explicitly forbidden pair, an edge into a sensitive attribute, an edge out of
        the target, an edge from a later tier to an earlier one.
        """
        if (parent, child) in self.explicit_forbidden:
            return "it is in forbidden"
        if child in self.sensitive:
            return f"sensitive attribute {child!r} gets no parents"
        if parent == self.target:
            return f"the target {parent!r} gets no children"
        tier = self.tier_of
        if parent in tier and child in tier and tier[parent] > tier[child]:
            return (
                f"tiers put {parent!r} (tier {tier[parent]}) after {child!r} "
                f"(tier {tier[child]})"
            )
        return None

    def forbidden(self) -> frozenset[tuple[str, str]]:
        """All forbidden directed pairs of columns, whatever rule forbids them."""
        return self._forbidden

    @cached_property
    def _forbidden(self) -> frozenset[tuple[str, str]]:
        cols = self.columns
        return frozenset(
            (p, c) for p in cols for c in cols if p != c and self.why_forbidden(p, c) is not None
        )


# --- the validator ----------------------------------------------------------------------------


def _names(value, argument: str) -> list:
    """``value`` as a list: one column name, or an iterable of them (not yet checked)."""
    names = [value] if isinstance(value, str) else value
    if isinstance(names, (bytes, dict)) or not isinstance(names, Iterable):
        raise InvalidTypeError(
            f"{argument} must be a column name or a list of them; got {value!r}."
        )
    return list(names)


def _pairs(value, argument: str) -> list[tuple]:
    """``value`` as a list of (parent, child) pairs (names not yet checked)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidTypeError(
            f"{argument} must be a list of (parent, child) pairs; got {value!r}."
        )
    pairs = []
    for item in value:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise InvalidTypeError(
                f"{argument} must hold (parent, child) pairs: each entry of {argument} must be "
                f"a (parent, child) pair such as ('a', 'b'); got {item!r}."
            )
        pairs.append((item[0], item[1]))
    return pairs


def _tiers(tiers) -> list[list]:
    """``tiers`` as a list of lists of names (names not yet checked)."""
    if tiers is None:
        return []
    if isinstance(tiers, (str, bytes, dict)) or not isinstance(tiers, Iterable):
        raise InvalidTypeError(f"tiers must be a list of lists of column names; got {tiers!r}.")
    out = []
    for k, tier in enumerate(tiers):
        if isinstance(tier, str):
            raise InvalidTypeError(
                f"tiers[{k}] is the string {tier!r}; each tier must be a list of column "
                f"names, e.g. [[{tier!r}], [...]]."
            )
        out.append(_names(tier, f"tiers[{k}]"))
    return out


def check_knowledge(
    columns: Sequence[str],
    *,
    sensitive=None,
    target=None,
    required=None,
    forbidden=None,
    tiers=None,
) -> Knowledge:
    """Validate background knowledge against ``columns``; the one validator.

    Parameters
    ----------
    columns : sequence of str
        The column names of the data.
    sensitive : str or list of str, optional
        Sensitive attributes (they get no parents).
    target : str, optional
        The outcome (it gets no children).
    required, forbidden : list of (str, str), optional
        Edges the graph must, or must not, contain.
    tiers : list of list of str, optional
        Temporal order: no edge from a later tier into an earlier one.

    Returns
    -------
    Knowledge

    Raises
    ------
    InvalidTypeError
        An argument has the wrong shape (``target`` not one name, an entry of
        ``required`` or ``forbidden`` not a pair, a tier given as a string).
    UnknownColumnError
        A name that is not one of ``columns`` (also a ``GraphError``).
    GraphError
        A column in two tiers, the target also sensitive, a self-loop, a required
        edge that another rule forbids; :class:`CycleError` if the required edges
        form a cycle.
    """
    columns = tuple(columns)
    # 1. shapes, argument by argument
    sens = [] if sensitive is None else _names(sensitive, "sensitive")
    if target is not None and not isinstance(target, str):
        raise InvalidTypeError(f"target must be one column name; got {target!r}.")
    tier_lists = _tiers(tiers)
    req = _pairs(required, "required")
    forb = _pairs(forbidden, "forbidden")
    # 2. every name is a column (all unknown names in one message)
    named = [("sensitive", n) for n in sens] + ([("target", target)] if target is not None else [])
    named += [(f"tiers[{k}]", n) for k, names in enumerate(tier_lists) for n in names]
    named += [("required", n) for pair in req for n in pair]
    named += [("forbidden", n) for pair in forb for n in pair]
    bad = [(arg, n) for arg, n in named if not isinstance(n, str) or n not in columns]
    if bad:
        where = "; ".join(
            dict.fromkeys(f"{arg} names {n!r}, which is not a column of X" for arg, n in bad)
        )
        unknown = ", ".join(dict.fromkeys(repr(n) for _, n in bad))
        raise UnknownColumnError(
            f"{where} (background knowledge names columns the data lacks: [{unknown}]); "
            f"the columns are {list(columns)!r}. Fix the spelling or drop the name."
        )
    # 3. the knowledge is consistent
    seen: dict[str, int] = {}
    for k, names in enumerate(tier_lists):
        for name in dict.fromkeys(names):
            if name in seen:
                raise GraphError(
                    f"column {name!r} is in more than one tier: tiers put {name!r} in tier "
                    f"{seen[name]} and in tier {k}; give each column at most one tier."
                )
            seen[name] = k
    sens = tuple(dict.fromkeys(sens))
    if target is not None and target in sens:
        raise GraphError(
            f"{target!r} is both the target and a sensitive attribute; name it only once."
        )
    for argument, pairs in (("required", req), ("forbidden", forb)):
        for parent, child in pairs:
            if parent == child:
                raise GraphError(
                    f"{argument} has the self-loop {parent!r} -> {parent!r}; remove it."
                )
    knowledge = Knowledge(
        columns=columns,
        sensitive=sens,
        target=target,
        tiers=tuple(tuple(dict.fromkeys(names)) for names in tier_lists),
        required=frozenset(req),
        explicit_forbidden=frozenset(forb),
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


# --- required edges in a given graph -------------------------------------------------------


def require_edges(graph: CausalGraph, knowledge: Knowledge, *, add: bool) -> CausalGraph:
    """``graph`` with every edge of ``knowledge.required``.

    Parameters
    ----------
    graph : CausalGraph
        A graph over (some of) ``knowledge.columns``.
    knowledge : Knowledge
    add : bool
        Add the required edges ``graph`` lacks, as fixed edges with origin
        ``"background"``; when False a missing required edge is an error.

    Returns
    -------
    CausalGraph
        ``graph`` itself when it already has every required edge.

    Raises
    ------
    GraphError
        ``add`` is False and a required edge is missing (the message names it).
    CycleError
        A required edge would close a cycle with ``graph``'s edges.
    """
    missing = sorted(e for e in knowledge.required if not graph.has_edge(*e))
    if not missing:
        return graph
    if not add:
        shown = ", ".join(f"{p!r} -> {c!r}" for p, c in missing)
        edges = "edge" if len(missing) == 1 else "edges"
        raise GraphError(
            f"required {edges} {shown} {'is' if len(missing) == 1 else 'are'} not in graph "
            f"(learn_edges=False keeps graph as given); add the {edges} to graph, drop them "
            "from required, or pass learn_edges=True to add them as fixed edges."
        )
    dag = graph.to_networkx()
    dag.add_edges_from(missing)
    if not nx.is_directed_acyclic_graph(dag):
        cycle = [u for u, _ in nx.find_cycle(dag)]
        path = " -> ".join([*cycle, cycle[0]])
        closing = [e for e in zip(cycle, [*cycle[1:], cycle[0]]) if e in set(missing)]
        shown = ", ".join(f"{p!r} -> {c!r}" for p, c in closing)
        raise CycleError(
            f"required edge {shown} closes the cycle {path} with graph's edges; drop it from "
            "required or remove an edge of the cycle from graph."
        )
    nodes = [*graph.nodes, *(n for n in knowledge.columns if n not in graph
                             and any(n in e for e in missing))]
    return CausalGraph(
        graph.edges + tuple(missing), nodes=nodes,
        origins={**graph.origins, **dict.fromkeys(missing, "background")},
    )

"""Which edges may be learned, and which are, around a fixed causal graph.

Used by ``CCGMSynthesizer.fit(..., learn_edges=True)``: the given graph's edges
stay; the model may add an edge ``(j, c)`` only when it

* is not in the graph and would not close a cycle with the graph's edges;
* is allowed by the background knowledge (the rules of
  :meth:`~debiasgen.structure.knowledge.Knowledge.why_forbidden`, the same ones
  discovery obeys): not into a ``sensitive`` column, not out of the ``target``,
  not ``forbidden``, not from a later tier to an earlier one;
* does not point from a root of the graph into another root that has children:
  the association between roots is already modelled by the joint root block (a
  literature graph rarely names the common causes of its roots) and would
  otherwise be turned into a causal edge.  An isolated column (no edges at all)
  can still get parents.

:func:`select_edges` keeps the strongest open gates without closing a cycle, and
:func:`orient_by_colliders` turns a kept edge round where a collider in the data
says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from debiasgen.core.graph import CausalGraph
from debiasgen.structure.knowledge import Knowledge, check_knowledge

# check_knowledge (the one validator, in structure.knowledge) is importable from here too:
# its Knowledge is what candidate_edges reads.
__all__ = ["candidate_edges", "check_knowledge", "orient_by_colliders", "select_edges"]


def candidate_edges(graph: CausalGraph, knowledge: Knowledge) -> list[tuple[str, str]]:
    """The edges the model may add to ``graph`` (see the module docstring); ``knowledge``
    comes from :func:`~debiasgen.structure.knowledge.check_knowledge`."""
    roots = set(graph.roots)
    placed_roots = {r for r in roots if graph.children(r)}
    out = []
    for child in graph.nodes:
        below = set(graph.descendants(child))
        for parent in graph.nodes:
            if (parent == child or parent in below
                    or (parent in roots and child in placed_roots)
                    or graph.has_edge(parent, child)
                    or knowledge.why_forbidden(parent, child) is not None):
                continue
            out.append((parent, child))
    return out


def select_edges(graph: CausalGraph, scored: Iterable[tuple[tuple[str, str], float]],
                 threshold: float = 0.5) -> list[tuple[str, str]]:
    """Candidates scoring above ``threshold``, strongest first, each added only if the
    graph stays acyclic."""
    import networkx as nx

    dag = graph.to_networkx()
    kept = []
    for (p, c), score in sorted(scored, key=lambda item: -item[1]):
        if score <= threshold or nx.has_path(dag, c, p):
            continue
        dag.add_edge(p, c)
        kept.append((p, c))
    return kept


def orient_by_colliders(graph: CausalGraph, learned: list[tuple[str, str]],
                        allowed: set[tuple[str, str]], X, alpha: float = 0.01
                        ) -> list[tuple[str, str]]:
    """Learned edges, strongest first, each turned round where the data's colliders
    say so; the list stops after the first edge turned round (the weaker edges were
    learned to make up for its wrong direction: learn again with it fixed).

    The gates decide *whether* two columns are joined more reliably than *which
    way*: both directions start half open and the acyclicity penalty shuts one,
    not always the right one.  A collider settles it: the edge ``j - c`` must be
    ``j -> c`` when ``c`` has another parent ``k``, not adjacent to ``j``, with
    ``j`` independent of ``k`` but dependent on it given ``c`` (the v-structure
    ``j -> c <- k``; with ``c -> j`` instead, ``j`` would be independent of
    ``k`` given ``c``).  Tested with the mixed-data likelihood-ratio test of
    :mod:`debiasgen.structure.independence`.  An edge is turned only when the data imply the
    reverse and not its own direction, the reverse is ``allowed``, and it closes
    no cycle.
    """
    import networkx as nx

    from debiasgen.structure.independence import BlockGaussianStats, encode

    dag = graph.to_networkx()  # the graph without the learned edges
    column = {name: k for k, name in enumerate(X.columns)}
    stats = {}

    def independent(a, b, given):
        names = sorted({a, b, *given}, key=column.get)
        key = tuple(names)
        if key not in stats:
            rows = X[names].dropna()
            if len(rows) < 20:
                return None
            stats[key] = BlockGaussianStats(*encode(rows, "mixed")[1])
        pos = {n: k for k, n in enumerate(key)}
        return stats[key].pvalue(pos[a], pos[b], [pos[g] for g in given]) > alpha

    def collider_into(child, parent):
        """True when some other parent of ``child`` forms a v-structure with ``parent``."""
        for k in dag.predecessors(child):
            if k == parent or dag.has_edge(k, parent) or dag.has_edge(parent, k):
                continue
            if independent(parent, k, []) and independent(parent, k, [child]) is False:
                return True
        return False

    out = []
    for p, c in learned:  # strongest first, each tested against the edges before it
        flip = ((c, p) in allowed and not collider_into(c, p) and collider_into(p, c)
                and not nx.has_path(dag, p, c))
        edge = (c, p) if flip else (p, c)
        dag.add_edge(*edge)
        out.append(edge)
        if flip:  # the weaker edges were learned around the wrong direction
            break
    return out

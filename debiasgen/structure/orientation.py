"""From causal-learn's search result to one DAG over the column names.

:func:`edge_kinds` reads causal-learn's endpoint matrix as named directed,
undirected and bidirected edges; :func:`to_dag` turns that equivalence class
(CPDAG or PAG) into one DAG that respects the background knowledge, labelling
each edge with its origin. Nothing here imports causal-learn.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import networkx as nx
import numpy as np

from debiasgen.core.graph import CausalGraph
from debiasgen.structure.knowledge import Knowledge


def edge_kinds(marks: np.ndarray, names: Sequence[str]):
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


def to_dag(
    columns, directed, undirected, bidirected, knowledge: Knowledge, searched_with: bool
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

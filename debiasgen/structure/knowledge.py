"""Background knowledge for structure discovery: validated against the column names.

:func:`validate_knowledge` checks the ``sensitive``, ``target``, ``required``,
``forbidden`` and ``tiers`` arguments of :func:`~debiasgen.structure.discovery.discover_graph`
with errors that name the argument and the column; :class:`Knowledge` holds the
result and says which rule forbids a directed pair.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from debiasgen.core.graph import CausalGraph
from debiasgen.exceptions import GraphError


@dataclass(frozen=True)
class Knowledge:
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
        tier = {name: k for k, names in enumerate(self.tiers) for name in names}
        return why_forbidden(
            parent, child, self.sensitive, self.target, tier, self.explicit_forbidden
        )

    def forbidden(self) -> frozenset[tuple[str, str]]:
        """All forbidden directed pairs of columns."""
        cols = self.columns
        return frozenset(
            (p, c) for p in cols for c in cols if p != c and self.why_forbidden(p, c) is not None
        )


def why_forbidden(
    parent: str,
    child: str,
    sensitive: Collection[str],
    target: str | None,
    tier: Mapping[str, int],
    forbidden: Collection[tuple[str, str]],
) -> str | None:
    """Which rule forbids ``parent -> child`` (``None`` if it is allowed).

    The one statement of the rules, shared by discovery and edge learning: an
    explicitly forbidden pair, an edge into a sensitive attribute, an edge out of
    the target, an edge from a later tier (``tier`` maps a column to its tier) to
    an earlier one.
    """
    if (parent, child) in forbidden:
        return "it is in forbidden"
    if child in sensitive:
        return f"sensitive attribute {child!r} gets no parents"
    if parent == target:
        return f"the target {parent!r} gets no children"
    if parent in tier and child in tier and tier[parent] > tier[child]:
        return f"tiers put {parent!r} (tier {tier[parent]}) after {child!r} (tier {tier[child]})"
    return None


def as_names(value, argument: str) -> list:
    """``value`` as a list: one column name, or an iterable of them (not yet checked)."""
    names = [value] if isinstance(value, str) else value
    if isinstance(names, (bytes, dict)) or not isinstance(names, Iterable):
        raise TypeError(f"{argument} must be a column name or a list of them; got {value!r}.")
    return list(names)


def name_list(value, argument: str, columns: Sequence[str]) -> tuple[str, ...]:
    names = as_names(value, argument)
    for name in names:
        check_column(name, argument, columns)
    return tuple(dict.fromkeys(names))


def check_column(name, argument: str, columns: Sequence[str]) -> str:
    if not isinstance(name, str) or name not in columns:
        raise GraphError(
            f"{argument} names {name!r}, which is not a column of X; columns are {list(columns)!r}."
        )
    return name


def edge_pairs(value, argument: str, columns: Sequence[str]) -> frozenset[tuple[str, str]]:
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
        parent = check_column(item[0], argument, columns)
        child = check_column(item[1], argument, columns)
        if parent == child:
            raise GraphError(f"{argument} has the self-loop {parent!r} -> {parent!r}; remove it.")
        pairs.append((parent, child))
    return frozenset(pairs)


def validate_knowledge(columns, sensitive, target, required, forbidden, tiers) -> Knowledge:
    """Validate the background-knowledge arguments against the columns."""
    sens = () if sensitive is None else name_list(sensitive, "sensitive", columns)
    if target is not None:
        check_column(target, "target", columns)
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
            names = name_list(tier, f"tiers[{k}]", columns)
            for name in names:
                if name in seen:
                    raise GraphError(
                        f"tiers put {name!r} in tier {seen[name]} and in tier {k}; "
                        "give each column at most one tier."
                    )
                seen[name] = k
            tier_list.append(names)
    knowledge = Knowledge(
        columns=tuple(columns),
        sensitive=sens,
        target=target,
        tiers=tuple(tier_list),
        required=edge_pairs(required, "required", columns),
        explicit_forbidden=edge_pairs(forbidden, "forbidden", columns),
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

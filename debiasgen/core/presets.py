"""The fairness presets: one table, read by ``CausalGraph.fairness_edges``,
``CCGMSynthesizer.debias``, ``DebiasedClassifier``, ``DebiasSampler`` and the command
line (``--criterion``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CRITERIA", "PRESETS", "Preset"]


@dataclass(frozen=True)
class Preset:
    """What a criterion removes, given a sensitive attribute and a target.

    ``paths``: ``"direct"`` removes the edge ``sensitive -> target``; ``"all"``
    removes every edge into ``target`` from ``sensitive`` or one of its descendants.
    ``decouple``: also draw ``sensitive`` independently of the other roots (its
    association with them would otherwise reach the target); it must then be a root.
    """

    paths: str
    decouple: bool
    description: str


PRESETS: dict[str, Preset] = {
    "ftu": Preset("direct", False,
                  "fairness through unawareness: removes the direct edge sensitive -> target"),
    "dp": Preset("all", True,
                 "demographic parity: removes every causal path from sensitive to target "
                 "and draws sensitive independently of the other roots, so the target is "
                 "independent of sensitive"),
    "cf": Preset("all", False,
                 "removes every causal path from sensitive to target (each edge into the "
                 "target from sensitive or a descendant of it); associations through the "
                 "joint root block stay"),
}

CRITERIA: tuple[str, ...] = tuple(PRESETS)

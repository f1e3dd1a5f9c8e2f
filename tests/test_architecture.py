"""The import rules of ARCHITECTURE.md, checked on the source.

Every ``import`` statement in ``debiasgen/`` (at module level or inside a function)
is read with ``ast``; the rules below fail with the file, line and rule it breaks.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "debiasgen"

# Layers, lowest first: a package may import its own modules and any lower layer,
# never a package of its own layer or above.
LAYERS = {
    "exceptions": 0, "_version": 0,
    "core": 1,
    "nn": 2, "structure": 2, "evaluation": 2, "datasets": 2, "io": 2,
    "model": 3,
    "fairness": 4,
    "integrations": 5,
    "__init__": 6,
}
# Third-party packages that only one part of the house may import.
OWNERS = {
    "torch": ("nn",),
    "causallearn": ("structure/discovery.py",),
    "imblearn": ("integrations",),
    "dask": ("integrations",),
}


def _part(path: Path) -> str:
    """The top-level part of ``debiasgen`` a source file belongs to."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.stem != "__init__" \
        else "__init__"


def _imports(path: Path, source: str | None = None):
    """``(line, module, names)`` of every import in ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text() if source is None else source, filename=str(path))
    here = ["debiasgen", *path.relative_to(PACKAGE).with_suffix("").parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = here[: len(here) - node.level]
                module = ".".join([*base, module] if module else base)
            yield node.lineno, module, [a.name for a in node.names]


def violations(path: Path, source: str | None = None) -> list[str]:
    """Every import in ``path`` that breaks a rule, as ``"line N: why"``."""
    part = _part(path)
    rel = str(path.relative_to(PACKAGE))
    broken = []
    for line, module, names in _imports(path, source):
        top = module.split(".")[0]
        if top in OWNERS and not any(rel == o or rel.startswith(o + "/") for o in OWNERS[top]):
            broken.append(f"line {line}: imports {module}, which only {OWNERS[top]} may import")
        if top != "debiasgen":
            continue
        pieces = module.split(".")
        if len(pieces) == 1:  # `from debiasgen import x`: the public face, for users only
            if part != "__init__":
                broken.append(f"line {line}: imports the top-level debiasgen package")
            continue
        target = pieces[1]
        if target not in LAYERS:
            broken.append(f"line {line}: imports unknown part {module}")
            continue
        if target != part and LAYERS[target] >= LAYERS[part]:
            broken.append(f"line {line}: {part} (layer {LAYERS[part]}) imports {module} "
                          f"(layer {LAYERS[target]})")
        if target != part and target != "_version":
            private = [p for p in pieces[2:] if p.startswith("_") and p != "__init__"]
            private += [n for n in names if n.startswith("_")]
            if private:
                broken.append(f"line {line}: imports private {private} across packages "
                              f"({part} -> {module})")
    return broken


SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))


def test_the_rules_see_every_part():
    parts = {_part(p) for p in SOURCES}
    assert parts <= set(LAYERS), f"unknown parts {parts - set(LAYERS)}: add them to LAYERS"
    assert {"core", "nn", "model", "structure", "integrations"} <= parts


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    broken = violations(path)
    assert not broken, f"{path.relative_to(PACKAGE)}:\n" + "\n".join(broken)


def test_rules_catch_a_violation():
    """The checker is not vacuous: a module breaking each rule is reported."""
    fake = PACKAGE / "core" / "fake.py"  # never written: the source is given
    source = ("import torch\n"
              "def f():\n    from debiasgen.model.synthesizer import CCGMSynthesizer\n"
              "from debiasgen.nn.generate import _step\n"
              "from ..structure import discovery\n")
    found = "\n".join(violations(fake, source))
    assert "line 1: imports torch, which only ('nn',) may import" in found
    assert "line 3: core (layer 1) imports debiasgen.model.synthesizer (layer 3)" in found
    assert "line 4: imports private ['_step']" in found
    assert "line 5: core (layer 1) imports debiasgen.structure (layer 2)" in found
    assert violations(PACKAGE / "model" / "fake.py",
                      "from debiasgen.core.graph import CausalGraph\n") == []


def test_importing_debiasgen_loads_neither_torch_nor_causal_learn():
    code = ("import sys, debiasgen; "
            "print(any(m == 'torch' or m.startswith('torch.') for m in sys.modules), "
            "any(m.startswith('causallearn') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]

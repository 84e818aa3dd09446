"""The package's layers (docs/architecture.md): a module imports only from its own layer or
below, and never both ways within a layer."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "dustscene"
LAYER = {
    "io": 0, "_jax": 0, "fitconfig": 0, "sersic": 0, "training": 0,
    "sed": 1, "config": 1,
    "scene": 2, "mocks": 2,
    "inference": 3, "priors": 3, "spectra": 3, "sedflow": 3,
    "hallucination": 4, "validation": 4,
    "plots": 5,
}
IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:dustscene\.([a-z_]+)|\.\.([a-z_]+))", re.M)


def _imports() -> set[tuple[str, str]]:
    """(importing package, imported package) over every module, package-internal ones left out."""
    pairs = set()
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        pkg = parts[0] if len(parts) > 1 else path.stem
        if pkg == "__init__":
            continue
        for m in IMPORT.finditer(path.read_text()):
            dep = m.group(1) or m.group(2)
            if dep != pkg:
                pairs.add((pkg, dep))
    return pairs


def test_every_package_has_a_layer() -> None:
    pkgs = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    pkgs |= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    assert pkgs <= set(LAYER), sorted(pkgs - set(LAYER))


def test_no_upward_import_and_no_cycle_within_a_layer() -> None:
    pairs = _imports()
    upward = sorted((a, b) for a, b in pairs if LAYER[b] > LAYER[a])
    assert not upward, upward
    both_ways = sorted((a, b) for a, b in pairs if (b, a) in pairs)
    assert not both_ways, both_ways

"""Components: spectrum x morphology, optionally attenuated by dust (`scene.dust.Dust`)."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .dust import Dust
from .frame import Frame


def _same_structure(components) -> list[list]:
    """Components grouped by PyTree structure and leaf shapes, in order of first appearance."""
    groups: dict = {}
    for i, comp in enumerate(components):
        leaves, tree = jax.tree.flatten(comp)
        if all(isinstance(x, jax.Array | np.ndarray | float | int) for x in leaves):
            key = (tree, tuple((jnp.shape(x), jnp.result_type(x)) for x in leaves))
        else:  # a non-array leaf (e.g. an activation function) cannot be stacked: alone
            key = ("unstackable", i)
        groups.setdefault(key, []).append(comp)
    return list(groups.values())


def render_sum(components, frame: Frame, *, dust: bool = True) -> Float[Array, "band y x"]:
    """Sum of the components' cubes. Components of identical structure (two Sersic galaxies, a
    bulge and a disk) render in one vmapped call: one copy in the compiled program instead of one
    per component, which shortens XLA compilation."""
    cube = jnp.zeros((frame.n_bands, *frame.shape))
    for group in _same_structure(components):
        if len(group) == 1:
            cube = cube + group[0](frame, dust=dust)
            continue
        stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *group)
        cube = cube + jnp.sum(jax.vmap(lambda c: c(frame, dust=dust))(stacked), axis=0)
    return cube


class Component(eqx.Module):
    """One emitter: `spectrum()` [band] times `morphology(frame)` [y, x], times the dust's
    transmission if dusty."""

    spectrum: Any
    morphology: Any
    dust: Dust | None = None

    def __call__(self, frame: Frame, *, dust: bool = True) -> Float[Array, "band y x"]:
        cube = self.spectrum()[:, None, None] * self.morphology(frame)[None]
        if dust and self.dust is not None:
            cube = cube * self.dust.transmission(frame)
        return cube


def with_dust(component: Component, dust: Dust) -> Component:
    """The same component behind a dust screen."""
    return Component(component.spectrum, component.morphology, dust)


class Source(eqx.Module):
    """Several (spectrum, morphology) parts behind one dust screen, e.g. bulge + disk.

    `shared_center`: every part's morphology that has a centre uses the first part's (the others'
    centre parameters are fixed and ignored), so a bulge and a disk cannot drift apart.
    `part_dust`: per part, None or a screen in front of that part's light only, inside the
    source's screen: the birth clouds of young stars (Charlot & Fall 2000), which dim a galaxy's
    star-forming clumps but not the older disk around them.
    """

    spectra: tuple
    morphologies: tuple
    dust: Dust | None = None
    part_dust: tuple = ()
    shared_center: bool = eqx.field(static=True, default=False)

    def __init__(self, spectra, morphologies, dust: Dust | None = None, *, shared_center=False,
                 part_dust=None):
        import dataclasses

        if part_dust is not None and len(part_dust) != len(spectra):
            raise ValueError(f"Source: {len(part_dust)} part_dust entries for {len(spectra)} parts")
        self.part_dust = tuple(part_dust) if part_dust is not None else (None,) * len(spectra)
        morphs = list(morphologies)
        if shared_center:
            for k in range(1, len(morphs)):
                if not hasattr(morphs[k], "center"):  # free pixels have no centre to tie
                    continue
                c = morphs[k].center
                morphs[k] = eqx.tree_at(
                    lambda m: m.center, morphs[k], dataclasses.replace(c, fixed=True)
                )
        self.spectra = tuple(spectra)
        self.morphologies = tuple(morphs)
        self.dust = dust
        self.shared_center = bool(shared_center)

    def parts(self) -> list[Component]:
        """Each part as a Component behind its own `part_dust` only, not the source's screen
        (centres tied if `shared_center`)."""
        morphs = list(self.morphologies)
        if self.shared_center:
            c = morphs[0].center
            morphs = [morphs[0]] + [
                eqx.tree_at(lambda m: m.center, m, c) if hasattr(m, "center") else m
                for m in morphs[1:]
            ]
        return [Component(s, m, d)
                for s, m, d in zip(self.spectra, morphs, self.part_dust, strict=True)]

    def __call__(self, frame: Frame, *, dust: bool = True) -> Float[Array, "band y x"]:
        cube = render_sum(self.parts(), frame, dust=dust)
        if dust and self.dust is not None:
            cube = cube * self.dust.transmission(frame)
        return cube


def parts(component: Component | Source) -> list[Component]:
    """The (spectrum, morphology) parts of a component or source, as Components without the
    source's screen (a part keeps its own `part_dust`; render with dust=False for its light)."""
    if isinstance(component, Source):
        return component.parts()
    return [Component(component.spectrum, component.morphology)]

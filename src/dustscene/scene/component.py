"""Components: spectrum x morphology, optionally attenuated by a dust screen exp(-s_d m_d)."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .dust import Dust
from .frame import Frame


class Component(eqx.Module):
    """One emitter: `spectrum()` [band] times `morphology(frame)` [y, x], times exp(-tau)
    if dusty."""

    spectrum: Any
    morphology: Any
    dust: Dust | None = None

    def __call__(self, frame: Frame, *, dust: bool = True) -> Float[Array, "band y x"]:
        cube = self.spectrum()[:, None, None] * self.morphology(frame)[None]
        if dust and self.dust is not None:
            cube = cube * jnp.exp(-self.dust.tau(frame))
        return cube


def with_dust(component: Component, dust: Dust) -> Component:
    """The same component behind a dust screen."""
    return Component(component.spectrum, component.morphology, dust)

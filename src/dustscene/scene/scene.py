"""A scene: the frame, its components and a per-band sky, as one value to build and pass around."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from dustscene.sed.dust import MAG_PER_TAU

from .component import Component, render_sum
from .frame import Frame
from .parameters import Parameter, Real, value


class Sky(eqx.Module):
    """A constant background per band, added in the observation after the PSF."""

    levels: Parameter

    def __init__(self, levels: ArrayLike | Parameter, *, step: float | None = None):
        if isinstance(levels, Parameter):
            self.levels = levels
        else:
            lv = np.asarray(levels, dtype=float)
            self.levels = Parameter(lv, Real(), step=step or 1e-3)

    def __call__(self) -> Float[Array, " band"]:
        return value(self.levels)


class Scene(eqx.Module):
    """Sum of components on a model frame, plus an optional sky."""

    frame: Frame
    components: tuple[Component, ...]
    sky: Sky | None = None

    def __call__(self, *, dust: bool = True) -> Float[Array, "band y x"]:
        """The model cube (model PSF, no sky); `dust=False` drops every dust screen."""
        return render_sum(self.components, self.frame, dust=dust)

    def sky_levels(self) -> Float[Array, " band"]:
        return jnp.zeros(self.frame.n_bands) if self.sky is None else self.sky()

    def ebv_map(self) -> tuple[Float[Array, "y x"], bool]:
        """Dust map on the pixel grid (flux-weighted over dusty components) and whether it is
        E(B-V). A law-calibrated component reports its effective E(B-V), the least-squares screen
        sum_b k_b A_b / sum_b k_b^2 of its attenuation (the definition of the mocks'
        `truth/ebv_effective`); for a full screen that is its map."""
        dusty = [c for c in self.components if c.dust is not None]
        if not dusty:
            return jnp.zeros(self.frame.shape), True
        maps, weights = [], []
        for comp in dusty:
            if comp.dust.calibrated:
                k = comp.dust.opacity() * MAG_PER_TAU
                ebv = jnp.tensordot(k, _attenuation(comp, self.frame), 1) / jnp.sum(k * k)
            else:
                ebv = comp.dust.map(self.frame)
            maps.append(ebv)
            weights.append(jnp.sum(comp(self.frame, dust=False), axis=0))
        calibrated = all(c.dust.calibrated for c in dusty)
        if len(dusty) == 1:
            return maps[0], calibrated
        num = sum(w * m for w, m in zip(weights, maps, strict=True))
        den = sum(weights)
        return jnp.where(den > 0, num / jnp.where(den > 0, den, 1.0), 0.0), calibrated


def _attenuation(comp, frame: Frame) -> Float[Array, "band y x"]:
    """A_b per pixel of a dusty component: its screen's, or, where parts sit behind their own
    screens too (birth clouds), -2.5 log10(light / dust-free light) of the whole component."""
    if not any(d is not None for d in getattr(comp, "part_dust", ())):
        return comp.dust.attenuation(frame)
    att, free = comp(frame), comp(frame, dust=False)
    ok = (att > 0) & (free > 0)
    ratio = jnp.where(ok, att, 1.0) / jnp.where(ok, free, 1.0)
    return -MAG_PER_TAU * jnp.log(ratio)

"""Dust in front of a component: tau_b(x) = s_d,b m_d(x), applied as a screen exp(-tau) or a
partially covering screen (1 - c) + c exp(-tau), with s_d fixed by an attenuation law
(m_d = E(B-V)) or free."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from dustscene.sed.dust import MAG_PER_TAU, k_lambda

from .frame import Frame
from .parameters import Interval, Parameter, Positive, value

GEOMETRIES = ("screen", "partial")


def law_k(law: str, wave_aa: ArrayLike) -> np.ndarray:
    """k(lambda) = A_lambda / E(B-V) of `law` at rest-frame wavelengths `wave_aa` (Angstrom)."""
    return np.asarray(k_lambda(law, np.asarray(wave_aa, dtype=float)), dtype=float)


class Dust(eqx.Module):
    """A dust screen: per-band opacity s_d (law-fixed, or free except band `reference` = 1) times
    m_d >= 0; `covering` (None: a full screen) is the covered fraction c of a partial screen.

    With c < 1 the uncovered light escapes: the attenuation saturates at -2.5 log10(1 - c), the
    grey attenuation of optically thick clumps and lanes mixed with stars (Natta & Panagia 1984;
    Calzetti et al. 1994)."""

    s_d: Parameter
    ebv: Any  # any morphology-like module returning a non-negative (y, x) map
    covering: Parameter | None
    calibrated: bool = eqx.field(static=True)
    reference: int = eqx.field(static=True)

    def __init__(
        self,
        s_d: ArrayLike | Parameter,
        ebv: Any,
        *,
        free: bool = False,
        reference: int = 2,
        covering: float | Parameter | None = None,
    ):
        s = s_d if isinstance(s_d, Parameter) else None
        arr = np.asarray(value(s_d) if s is not None else s_d, dtype=float)
        if s is None:
            if free:
                rest = np.delete(arr / arr[reference], reference)
                s = Parameter(rest, Positive(), step=0.02)
            else:
                s = Parameter(arr, Positive(), fixed=True)
        self.s_d = s
        self.ebv = ebv
        if covering is None or isinstance(covering, Parameter):
            self.covering = covering
        else:
            self.covering = Parameter(covering, Interval(0.0, 1.0), step=0.3)
        self.calibrated = not free
        self.reference = int(reference)

    @classmethod
    def from_law(
        cls, k_bands: ArrayLike, ebv: Any, *, free: bool = False, covering: float | None = None
    ) -> Dust:
        """s_d,b = k_b / 1.0857 so that the map is E(B-V) in magnitudes (k_b: `sed.dust.band_k`)."""
        s = np.asarray(k_bands, dtype=float) / MAG_PER_TAU
        return cls(s, ebv, free=free, covering=covering)

    def opacity(self) -> Float[Array, " band"]:
        s = value(self.s_d)
        if self.calibrated:
            return s
        # only the product s_d m_d is identified: the reference band is pinned to 1
        return jnp.insert(s, self.reference, 1.0)

    def map(self, frame: Frame) -> Float[Array, "y x"]:
        return jnp.maximum(self.ebv(frame), 0.0)

    def tau(self, frame: Frame) -> Float[Array, "band y x"]:
        return self.opacity()[:, None, None] * self.map(frame)[None]

    def transmission(self, frame: Frame) -> Float[Array, "band y x"]:
        """The fraction of each band's light that escapes: exp(-tau), or (1 - c) + c exp(-tau)."""
        t = jnp.exp(-self.tau(frame))
        if self.covering is None:
            return t
        c = value(self.covering)
        return (1.0 - c) + c * t

    def attenuation(self, frame: Frame) -> Float[Array, "band y x"]:
        """A_b = -2.5 log10(transmission) per band and pixel (magnitudes)."""
        return -MAG_PER_TAU * jnp.log(self.transmission(frame))

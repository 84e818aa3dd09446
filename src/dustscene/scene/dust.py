"""Dust screens: tau_b(x) = s_d,b m_d(x), with s_d fixed by an attenuation law (m_d = E(B-V)) or
free.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .frame import Frame
from .parameters import Parameter, Positive, value

MAG_PER_TAU = 1.0857  # 2.5 / ln 10: A_lambda = 1.0857 tau_lambda

# Calzetti (2000) k at HSC grizy pivot wavelengths, the fallback when dustscene.sed is absent
_CALZETTI_HSC = {"g": 4.66, "r": 3.53, "i": 2.69, "z": 2.22, "y": 1.94}
_ALIASES = {"calzetti": "calzetti00", "ccm": "ccm89", "cardelli": "ccm89", "cf00": "charlot_fall"}


def law_k(law: str, wave_aa: ArrayLike, bands: tuple[str, ...] | None = None) -> np.ndarray:
    """k(lambda) = A_lambda / E(B-V) of `law` at wavelengths `wave_aa` (Angstrom)."""
    try:
        from dustscene.sed.dust import k_lambda

        name = _ALIASES.get(law, law)
        return np.asarray(k_lambda(name, np.asarray(wave_aa, dtype=float)), dtype=float)
    except ImportError:
        if (
            law in ("calzetti", "calzetti00")
            and bands is not None
            and all(b in _CALZETTI_HSC for b in bands)
        ):
            return np.array([_CALZETTI_HSC[b] for b in bands])
        raise


class Dust(eqx.Module):
    """A dust screen: per-band opacity s_d (law-fixed, or free except band `reference` = 1) times
    m_d >= 0.
    """

    s_d: Parameter
    ebv: Any  # any morphology-like module returning a non-negative (y, x) map
    calibrated: bool = eqx.field(static=True)
    reference: int = eqx.field(static=True)

    def __init__(
        self, s_d: ArrayLike | Parameter, ebv: Any, *, free: bool = False, reference: int = 2
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
        self.calibrated = not free
        self.reference = int(reference)

    @classmethod
    def from_law(cls, law: str, wave_aa: ArrayLike, ebv: Any, bands=None) -> Dust:
        """s_d,b = k(lambda_b) / 1.0857 so that the map is E(B-V) in magnitudes."""
        return cls(law_k(law, wave_aa, bands) / MAG_PER_TAU, ebv, free=False)

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

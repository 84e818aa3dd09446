"""Dust attenuation laws k(lambda) = A_lambda / E(B-V) as pure, differentiable jnp functions.

All wavelengths are in Angstrom (rest frame). Every law is finite and non-negative over
900 A - 3 um so it can be applied to a whole SSP table without masking.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

WAVE_V = 5500.0  # Angstrom: the V-band reference of every tau_V in this package
MAG_PER_TAU = 2.5 / math.log(10.0)  # A_lambda = 1.0857 tau_lambda: magnitudes per optical depth
WAVE_B = 4400.0  # Angstrom: B-band reference used to define R_V of a pure power law


def _calzetti_uv(x: Array) -> Array:
    return 2.659 * (-2.156 + 1.509 * x - 0.198 * x**2 + 0.011 * x**3)


def _calzetti_ir(x: Array) -> Array:
    return 2.659 * (-1.857 + 1.040 * x)


def calzetti00(wave: Float[ArrayLike, "*w"], r_v: float = 4.05) -> Float[Array, "*w"]:
    """Calzetti et al. (2000) starburst k(lambda); linear extrapolation outside 0.12-2.2 um.

    The extrapolation follows sedpy.attenuation.calzetti (slopes at 1200-1300 A and
    2.19-2.20 um) so that the 900 A end of the SSP table stays finite; clipped at k >= 0.
    """
    wave = jnp.asarray(wave, dtype=float)
    x = 1e4 / wave
    k_uv = _calzetti_uv(x) + r_v
    k_ir = _calzetti_ir(x) + r_v
    # edge values and slopes (per Angstrom) for the extrapolations
    kuv0 = _calzetti_uv(1e4 / 1200.0) + r_v
    kuv1 = _calzetti_uv(1e4 / 1300.0) + r_v
    kir0 = _calzetti_ir(1e4 / 21900.0) + r_v
    kir1 = _calzetti_ir(1e4 / 22000.0) + r_v
    k_xuv = kuv0 + (wave - 1200.0) * (kuv1 - kuv0) / 100.0
    k_fir = kir1 + (wave - 22000.0) * (kir1 - kir0) / 100.0
    k = jnp.where(wave < 6300.0, k_uv, k_ir)
    k = jnp.where(wave < 1200.0, k_xuv, k)
    k = jnp.where(wave > 22000.0, k_fir, k)
    return jnp.maximum(k, 0.0)


def ccm89(wave: Float[ArrayLike, "*w"], r_v: float = 3.1) -> Float[Array, "*w"]:
    """Cardelli, Clayton & Mathis (1989) Milky-Way k(lambda) = R_V (a(x) + b(x)/R_V).

    Valid 0.3 <= x <= 10 /um (1000 A - 3.3 um); beyond 3.3 um the IR power law is continued.
    """
    wave = jnp.asarray(wave, dtype=float)
    x = 1e4 / wave
    # infrared, x < 1.1
    a_ir = 0.574 * x**1.61
    b_ir = -0.527 * x**1.61
    # optical/NIR, 1.1 <= x < 3.3
    y = x - 1.82
    a_op = (
        1.0 + 0.17699 * y - 0.50447 * y**2 - 0.02427 * y**3 + 0.72085 * y**4
        + 0.01979 * y**5 - 0.77530 * y**6 + 0.32999 * y**7
    )
    b_op = (
        1.41338 * y + 2.28305 * y**2 + 1.07233 * y**3 - 5.38434 * y**4
        - 0.62251 * y**5 + 5.30260 * y**6 - 2.09002 * y**7
    )
    # ultraviolet, 3.3 <= x < 8 (with the far-UV curvature terms above 5.9 /um)
    dx = jnp.maximum(x - 5.9, 0.0)
    fa = jnp.where(x >= 5.9, -0.04473 * dx**2 - 0.009779 * dx**3, 0.0)
    fb = jnp.where(x >= 5.9, 0.2130 * dx**2 + 0.1207 * dx**3, 0.0)
    a_uv = 1.752 - 0.316 * x - 0.104 / ((x - 4.67) ** 2 + 0.341) + fa
    b_uv = -3.090 + 1.825 * x + 1.206 / ((x - 4.62) ** 2 + 0.263) + fb
    # far ultraviolet, 8 <= x <= 10
    z = x - 8.0
    a_fuv = -1.073 - 0.628 * z + 0.137 * z**2 - 0.070 * z**3
    b_fuv = 13.670 + 4.257 * z - 0.420 * z**2 + 0.374 * z**3

    a = jnp.where(x < 1.1, a_ir, jnp.where(x < 3.3, a_op, jnp.where(x < 8.0, a_uv, a_fuv)))
    b = jnp.where(x < 1.1, b_ir, jnp.where(x < 3.3, b_op, jnp.where(x < 8.0, b_uv, b_fuv)))
    return r_v * a + b


def charlot_fall(wave: Float[ArrayLike, "*w"], slope: float = -0.7) -> Float[Array, "*w"]:
    """Charlot & Fall (2000) power law tau_lambda / tau_V = (lambda / 5500 A)^slope."""
    wave = jnp.asarray(wave, dtype=float)
    return (wave / WAVE_V) ** slope


def _charlot_fall_k(wave: Float[ArrayLike, "*w"]) -> Float[Array, "*w"]:
    """Charlot & Fall as k(lambda): a pure power law has R_V = 1 / (r(B) - r(V)) ~ 5.92."""
    r_v = 1.0 / (charlot_fall(WAVE_B) - 1.0)
    return r_v * charlot_fall(wave)


def drude(wave: Float[ArrayLike, "*w"], x0: float = 4.59, gamma: float = 0.9) -> Float[Array, "*w"]:
    """Drude profile of the 2175 A bump in inverse microns, peak normalised to 1 (as sedpy)."""
    x = 1e4 / jnp.asarray(wave, dtype=float)
    return (x * gamma) ** 2 / ((x**2 - x0**2) ** 2 + (x * gamma) ** 2)


def kriek_conroy(
    wave: Float[ArrayLike, "*w"], delta: Float[ArrayLike, "*d"] = 0.0
) -> Float[Array, "*w"]:
    """Kriek & Conroy (2013) / Noll (2009) law: (k_Calz + E_b D(lambda)) (lambda/5500)^delta.

    The bump strength tracks the slope, E_b = 0.85 - 1.9 delta (KC13); D is the sedpy Drude
    profile. `delta` broadcasts against `wave` (pass shape (n, 1) for a batch).
    """
    wave = jnp.asarray(wave, dtype=float)
    delta = jnp.asarray(delta, dtype=float)
    e_bump = 0.85 - 1.9 * delta
    return (calzetti00(wave) + e_bump * drude(wave)) * (wave / WAVE_V) ** delta


LAWS: dict[str, Callable[[Float[ArrayLike, "*w"]], Float[Array, "*w"]]] = {
    "calzetti00": calzetti00,
    "ccm89": ccm89,
    "charlot_fall": _charlot_fall_k,
    "kriek_conroy": kriek_conroy,
}


ALIASES = {"calzetti": "calzetti00", "ccm": "ccm89", "cardelli": "ccm89", "cf00": "charlot_fall"}


def _law(law: str) -> Callable[[Float[ArrayLike, "*w"]], Float[Array, "*w"]]:
    try:
        return LAWS[ALIASES.get(law, law)]
    except KeyError:
        raise ValueError(
            f"unknown attenuation law {law!r}; valid laws: {sorted(LAWS)}"
        ) from None


def k_lambda(law: str, wave: Float[ArrayLike, "*w"]) -> Float[Array, "*w"]:
    """k(lambda) = A_lambda / E(B-V) of a registered law at its default parameters."""
    return _law(law)(wave)


def tau_ratio(law: str, wave: Float[ArrayLike, "*w"]) -> Float[Array, "*w"]:
    """tau_lambda / tau_V = k(lambda) / k(5500 A): multiply by a V-band optical depth."""
    fn = _law(law)
    return fn(wave) / fn(WAVE_V)


@functools.lru_cache(maxsize=32)
def _band_wavelengths(survey: str, bands: tuple[str, ...]) -> tuple[float, ...]:
    """Observed-frame photon-weighted effective wavelengths (cached: filter loading ~0.2 s)."""
    from .filters import effective_wavelength, load_filters

    return tuple(float(w) for w in np.asarray(effective_wavelength(load_filters(survey, bands))))


def band_wavelengths(survey: str, bands: Sequence[str], redshift: float = 0.0) -> np.ndarray:
    """Rest-frame wavelengths (Angstrom) at which every band's attenuation is evaluated: the
    photon-weighted effective wavelength divided by 1 + z (the dust sits in the galaxy)."""
    return np.asarray(_band_wavelengths(survey, tuple(bands))) / (1.0 + float(redshift))


def band_k(
    law: str, survey: str, bands: Sequence[str], redshift: float = 0.0
) -> tuple[np.ndarray, float]:
    """k_b = A_b / E(B-V) of `law` at the bands' rest-frame wavelengths, and k_V (5500 A).

    The one evaluation of a law for broad bands: mocks, scene fits, hallucination maps and
    validation all take k_b from here."""
    wave = band_wavelengths(survey, bands, redshift)
    k_b = np.asarray(k_lambda(law, wave), dtype=np.float64)
    k_v = float(np.asarray(k_lambda(law, np.asarray([WAVE_V])))[0])
    return k_b, k_v

"""Broad-band filter curves (speclite) resampled onto fixed-length grids for batched JAX use."""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

N_WAVE = 128  # samples per filter curve (see tests for the speclite agreement)

# The one survey -> (speclite filter group, bands) map; config checks and the scene read it here.
SURVEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hsc": ("hsc2017", ("g", "r", "i", "z", "y")),
    "sdss": ("sdss2010", ("u", "g", "r", "i", "z")),
}


class FilterSet(eqx.Module):
    """Transmission curves of a set of bands, each on its own grid of common length."""

    names: tuple[str, ...] = eqx.field(static=True)
    wave: Float[Array, "band nw"]  # observed-frame wavelength, Angstrom
    trans: Float[Array, "band nw"]  # dimensionless throughput (photon response)


def survey_bands(survey: str) -> tuple[str, ...]:
    """The bands of `survey`; ValueError on an unknown survey."""
    if survey not in SURVEYS:
        raise ValueError(f"unknown survey {survey!r}; valid surveys: {sorted(SURVEYS)}")
    return SURVEYS[survey][1]


def speclite_names(survey: str, bands: Sequence[str]) -> list[str]:
    """Map (survey, bands) to speclite filter names; ValueError on an unknown survey or band."""
    valid = survey_bands(survey)
    group = SURVEYS[survey][0]
    bad = [b for b in bands if b not in valid]
    if bad:
        raise ValueError(
            f"unknown band(s) {bad} for survey {survey!r}; valid bands: {list(valid)}"
        )
    return [f"{group}-{b}" for b in bands]


def load_filters(survey: str, bands: Sequence[str], n_wave: int = N_WAVE) -> FilterSet:
    """Load speclite curves for `bands` of `survey` ("hsc": grizy, "sdss": ugriz)."""
    import speclite.filters

    names = speclite_names(survey, bands)
    waves, trans = [], []
    for name in names:
        resp = speclite.filters.load_filter(name)
        w = np.asarray(resp.wavelength, dtype=float)
        r = np.asarray(resp.response, dtype=float)
        nz = np.flatnonzero(r > 0)  # trim zero-response tails (sdss u has a 3500 A one)
        lo, hi = max(nz[0] - 1, 0), min(nz[-1] + 1, w.size - 1)
        grid = np.linspace(w[lo], w[hi], n_wave)
        waves.append(grid)
        trans.append(np.interp(grid, w, r, left=0.0, right=0.0))
    return FilterSet(
        names=tuple(bands), wave=jnp.asarray(np.stack(waves)), trans=jnp.asarray(np.stack(trans))
    )


def _trapz(y: Array, x: Array) -> Array:
    return jnp.sum(0.5 * (y[..., 1:] + y[..., :-1]) * jnp.diff(x, axis=-1), axis=-1)


def pivot_wavelength(fs: FilterSet) -> Float[Array, " band"]:
    """Pivot wavelength sqrt(int T lam dlam / int T dlam/lam), Angstrom (f_nu <-> f_lam)."""
    return jnp.sqrt(_trapz(fs.trans * fs.wave, fs.wave) / _trapz(fs.trans / fs.wave, fs.wave))


def effective_wavelength(fs: FilterSet) -> Float[Array, " band"]:
    """Photon-weighted mean wavelength int lam^2 T dlam / int lam T dlam, Angstrom (speclite's)."""
    return _trapz(fs.trans * fs.wave**2, fs.wave) / _trapz(fs.trans * fs.wave, fs.wave)


def ab_weights(fs: FilterSet) -> Float[Array, "band nw"]:
    """Quadrature weights w with sum(w * f_nu) = photon-counting band average of f_nu.

    Band flux = int f_nu T dlam/lam / int T dlam/lam (trapezoid rule on each filter grid).
    """
    dw = jnp.diff(fs.wave, axis=-1)
    half = jnp.zeros_like(fs.wave)
    half = half.at[..., 1:].add(0.5 * dw).at[..., :-1].add(0.5 * dw)
    w = half * fs.trans / fs.wave
    return w / jnp.sum(w, axis=-1, keepdims=True)

"""Spectra: the per-band amplitudes of a component, free or a black body through filter curves."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .parameters import Interval, Parameter, Positive, Real, value

HC_OVER_K = 1.438777e8  # h c / k_B in Angstrom Kelvin


class FreeSpectrum(eqx.Module):
    """One free flux per band (positive by default)."""

    fluxes: Parameter

    def __init__(self, fluxes: ArrayLike | Parameter, *, positive: bool = True, prior=None):
        if isinstance(fluxes, Parameter):
            self.fluxes = fluxes
        else:
            f = np.asarray(fluxes, dtype=float)
            if positive:
                self.fluxes = Parameter(
                    np.maximum(f, 1e-6 * max(np.abs(f).max(), 1e-12)),
                    Positive(),
                    step=0.05,
                    prior=prior,
                )
            else:
                step = 0.05 * max(float(np.abs(f).max()), 1e-12)
                self.fluxes = Parameter(f, Real(), step=step, prior=prior)

    def __call__(self) -> Float[Array, " band"]:
        return value(self.fluxes)


class BlackBodySpectrum(eqx.Module):
    """Black body B_nu(T) averaged over filter curves; `amplitude` is the flux in band
    `reference`."""

    temperature: Parameter
    amplitude: Parameter
    wave: Float[Array, "band nw"]
    trans: Float[Array, "band nw"]
    reference: int = eqx.field(static=True)

    def __init__(
        self,
        temperature: float | Parameter,
        amplitude: float | Parameter,
        wave: Float[ArrayLike, "band nw"],
        trans: Float[ArrayLike, "band nw"],
        *,
        reference: int = 0,
        t_bounds: tuple[float, float] = (1000.0, 60000.0),
    ):
        self.temperature = (
            temperature
            if isinstance(temperature, Parameter)
            else Parameter(temperature, Interval(*t_bounds), step=0.1)
        )
        self.amplitude = (
            amplitude
            if isinstance(amplitude, Parameter)
            else Parameter(amplitude, Positive(), step=0.05)
        )
        self.wave = jnp.asarray(wave, dtype=float)
        self.trans = jnp.asarray(trans, dtype=float)
        self.reference = int(reference)

    def band_means(self, temperature: Array) -> Float[Array, " band"]:
        """<B_nu> per band, weighted by T(lambda) dlambda / lambda (AB convention), arbitrary
        units.
        """
        x = HC_OVER_K / (self.wave * temperature)
        b_nu = self.wave**-3 / jnp.expm1(x)
        w = self.trans / self.wave
        return jnp.trapezoid(b_nu * w, self.wave, axis=-1) / jnp.trapezoid(w, self.wave, axis=-1)

    def __call__(self) -> Float[Array, " band"]:
        m = self.band_means(value(self.temperature))
        return value(self.amplitude) * m / m[self.reference]


def filter_curves(
    bands: tuple[str, ...] | list[str], survey: str = "hsc"
) -> tuple[np.ndarray, np.ndarray]:
    """(wave [band, nw] Angstrom, transmission [band, nw]) of `bands` from dustscene.sed."""
    from dustscene.sed.filters import load_filters

    fs = load_filters(survey, list(bands))
    return np.asarray(fs.wave, dtype=float), np.asarray(fs.trans, dtype=float)

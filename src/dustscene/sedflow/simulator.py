"""SED simulator for SEDflow: theta + redshift -> noisy photometry via dustscene.sed, exactly.

Noiseless fluxes are `dustscene.sed.photometry(theta_to_params(theta, z), table, filters)` (nJy),
the code the mocks use; noise comes from `noise.NoiseModel`. theta is drawn uniform in the box
of `parameters.theta_bounds` (equal in law to `dustscene.sed.sample_prior`), z uniform in the
prior's redshift range. All randomness derives from (seed, shard).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float
from numpy.typing import NDArray

from dustscene.sed import DEFAULT_RANGES, FilterSet, SSPTable, photometry
from dustscene.sed.model import BandSpectra, photometry_at_redshift

from .noise import NoiseModel, features, observe
from .parameters import N_THETA, theta_bounds, theta_to_params

F64 = NDArray[np.float64]
CHUNK = 2048  # galaxies per photometry call (one compiled shape; the last chunk is padded)


@dataclasses.dataclass(frozen=True)
class Simulation:
    """A batch of simulated galaxies: parameters, condition, fluxes (nJy) and features x."""

    theta: F64  # (n, 10), THETA_NAMES order
    redshift: F64  # (n,)
    flux_true: F64  # (n, band) noiseless, nJy
    flux: F64  # (n, band) observed, nJy
    sigma: F64  # (n, band) 1-sigma, nJy
    x: F64  # (n, 2 band + 1) conditioning features


def rng_for(seed: int, shard: int) -> np.random.Generator:
    """Independent numpy stream for (seed, shard)."""
    return np.random.default_rng([int(seed), int(shard), 0x5EDF])


def draw_theta(
    rng: np.random.Generator, n: int, ranges: Mapping[str, tuple[float, float]] | None = None
) -> tuple[F64, F64]:
    """(theta (n, 10), redshift (n,)) uniform in the prior box and redshift range."""
    lo, hi = theta_bounds(ranges)
    theta = lo + (hi - lo) * rng.random((n, N_THETA))
    z_lo, z_hi = {**DEFAULT_RANGES, **(ranges or {})}["redshift"]
    return theta, rng.uniform(z_lo, z_hi, size=n)


def noiseless_flux(
    theta: F64, redshift: F64, table: SSPTable, filters: FilterSet
) -> F64:
    """Noiseless band fluxes (n, band) in nJy: dustscene.sed.photometry in fixed-size chunks."""
    n = theta.shape[0]
    out = np.empty((n, len(filters.names)))
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        pad = CHUNK - (stop - start) if n > CHUNK else 0
        t = np.concatenate([theta[start:stop], np.repeat(theta[stop - 1 : stop], pad, 0)])
        z = np.concatenate([redshift[start:stop], np.repeat(redshift[stop - 1 : stop], pad)])
        params = theta_to_params(jnp.asarray(t), jnp.asarray(z))
        out[start:stop] = np.asarray(photometry(params, table, filters))[: stop - start]
    return out


def simulate(
    rng: np.random.Generator,
    n: int,
    table: SSPTable,
    filters: FilterSet,
    noise: NoiseModel,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> Simulation:
    """Draw n galaxies from the prior and observe them through the noise model."""
    theta, z = draw_theta(rng, n, ranges)
    return observe_theta(rng, theta, z, table, filters, noise)


def observe_theta(
    rng: np.random.Generator,
    theta: F64,
    redshift: F64,
    table: SSPTable,
    filters: FilterSet,
    noise: NoiseModel,
) -> Simulation:
    """Noisy photometry and features for given theta (n, 10) and redshift (n,)."""
    if tuple(noise.bands) != tuple(filters.names):
        raise ValueError(f"noise bands {noise.bands} != filter bands {filters.names}")
    flux_true = noiseless_flux(theta, redshift, table, filters)
    flux, sigma = observe(noise, flux_true, rng)
    x = features(noise, flux, sigma, redshift)
    return Simulation(theta, redshift, flux_true, flux, sigma, x)


def photometry_band_jax(
    theta: Float[Array, "n 10"], band: BandSpectra, table: SSPTable, filters: FilterSet
) -> Float[Array, "n band"]:
    """Differentiable noiseless fluxes (nJy) of galaxies at `band.redshift` for NUTS: the
    `photometry` model from the table pre-interpolated at that redshift's filter samples
    (`band_spectra`), which makes a gradient ~1.3x cheaper than `photometry`'s."""
    z = jnp.broadcast_to(band.redshift, theta.shape[:1])
    return photometry_at_redshift(theta_to_params(theta, z), table, band, filters)

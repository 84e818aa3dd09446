"""Rest-frame spectrum -> observed AB band fluxes (nJy), magnitudes and image counts."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .cosmology import ln_luminosity_distance_cm
from .filters import FilterSet, ab_weights

C_AA_S = 2.99792458e18  # speed of light, Angstrom / s
NJY_PER_CGS = 1e32  # 1 erg/s/cm^2/Hz = 1e23 Jy = 1e32 nJy
AB_ZP_NJY = 2.5 * math.log10(3631e9)  # m_AB = AB_ZP_NJY - 2.5 log10(f / nJy) ~ 31.4


def mag_ab(flux_njy: Float[ArrayLike, "*s"]) -> Float[Array, "*s"]:
    """AB magnitude of a flux density in nJy (3631 Jy -> 0)."""
    return AB_ZP_NJY - 2.5 * jnp.log10(jnp.asarray(flux_njy))


def nJy_to_counts(  # noqa: N802 - the unit's capitalisation is the point
    flux_njy: Float[ArrayLike, "*s"], zeropoint: float = 27.0
) -> Float[Array, "*s"]:
    """Image counts for a magnitude zero point: counts = 10^(-0.4 (m_AB - zeropoint))."""
    return jnp.asarray(flux_njy) * 10.0 ** (-0.4 * (AB_ZP_NJY - zeropoint))


def log_grid_index(
    wave: Float[Array, " w"], query: Float[Array, "n q"]
) -> tuple[Array, Array, Array]:
    """(lower index, fraction, inside mask) of `query` on a log-uniform `wave` grid (no search)."""
    n_w = wave.shape[0]
    lw0 = jnp.log(wave[0])
    dlw = (jnp.log(wave[-1]) - lw0) / (n_w - 1)
    pos = (jnp.log(query) - lw0) / dlw
    i = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, n_w - 2)
    inside = (pos >= 0.0) & (pos <= n_w - 1)
    return i, pos - i, inside


def take_interp(
    values: Float[Array, "n w"], index: tuple[Array, Array, Array]
) -> Float[Array, "n q"]:
    """Linear interpolation of `values` at a `log_grid_index` result; 0 outside the grid."""
    i, frac, inside = index
    lo = jnp.take_along_axis(values, i, axis=1, mode="promise_in_bounds")
    hi = jnp.take_along_axis(values, i + 1, axis=1, mode="promise_in_bounds")
    return jnp.where(inside, lo + (hi - lo) * frac, 0.0)


def interp_log_grid(
    wave: Float[Array, " w"], values: Float[Array, "n w"], query: Float[Array, "n q"]
) -> Float[Array, "n q"]:
    """Linear interpolation on a log-uniform `wave` grid (no search); 0 outside the grid."""
    return take_interp(values, log_grid_index(wave, query))


L_REF = 1e36  # erg/s/A: scale of unit-mass SSP spectra, so L / L_REF stays O(1) in float32


def rest_query_wave(
    redshift: Float[Array, " n"], filters: FilterSet
) -> Float[Array, "n bq"]:
    """Rest-frame wavelengths (Angstrom) seen by every filter sample: lambda_obs / (1+z)."""
    return filters.wave.reshape(1, -1) / (1.0 + redshift)[:, None]


def integrate_bands(
    l_rest: Float[Array, "n bq"],
    redshift: Float[Array, " n"],
    filters: FilterSet,
    ln_scale: Float[Array, " n"] | None = None,
    h0: float = 70.0,
    om0: float = 0.3,
) -> Float[Array, "n band"]:
    """AB band fluxes (nJy) from L_lambda (erg/s/A) sampled at `rest_query_wave` points.

    f_lambda,obs = L / (4 pi dL^2 (1+z)), f_nu = f_lambda lambda_obs^2 / c, band flux =
    int f_nu T dlam/lam / int T dlam/lam; L is multiplied by exp(ln_scale) when given
    (keeps huge luminosities out of float32).
    """
    ln_fac = (
        -math.log(4.0 * math.pi) - 2.0 * ln_luminosity_distance_cm(redshift, h0, om0)
        - jnp.log1p(redshift) + math.log(NJY_PER_CGS / C_AA_S)
    )
    if ln_scale is not None:
        ln_fac = ln_fac + ln_scale
    # L (~1e34 erg/s/A per M_sun) x lambda^2 (~1e8 A^2) overflows float32: the matmul runs on
    # L / L_REF and the constant joins the exponent
    ln_fac = ln_fac + math.log(L_REF)
    weights = ab_weights(filters) * filters.wave**2  # lambda^2 of f_nu folded in, (band, nw)
    # block-diagonal (band*nw, band) matrix: a plain matmul is much faster on CPU than the
    # equivalent batched einsum, into which XLA fuses the whole dust computation
    n_band = weights.shape[0]
    block = (weights[:, :, None] * jnp.eye(n_band, dtype=weights.dtype)[:, None, :]).reshape(
        -1, n_band
    )
    return ((l_rest / L_REF) @ block) * jnp.exp(ln_fac)[:, None]


def band_fluxes(
    wave: Float[Array, " w"],
    l_lambda: Float[Array, "n w"],
    redshift: Float[Array, " n"],
    filters: FilterSet,
    ln_scale: Float[Array, " n"] | None = None,
    h0: float = 70.0,
    om0: float = 0.3,
) -> Float[Array, "n band"]:
    """Observed AB band fluxes (nJy) of rest-frame spectra L_lambda (erg/s/A).

    `wave`: rest-frame Angstrom, log-uniform (e.g. SSPTable.wave); see `integrate_bands`.
    """
    l_rest = interp_log_grid(wave, l_lambda, rest_query_wave(redshift, filters))
    return integrate_bands(l_rest, redshift, filters, ln_scale, h0, om0)


def fnu_band_average(
    fnu: Float[Array, "n band nw"], filters: FilterSet
) -> Float[Array, "n band"]:
    """Photon-counting band average of f_nu sampled on each filter grid (units of f_nu)."""
    return jnp.einsum("nbq,bq->nb", fnu, ab_weights(filters))

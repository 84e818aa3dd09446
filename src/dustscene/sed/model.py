"""PROVABGS-like batched SED model: SFH basis + burst, metallicity, two-component dust.

Dust (Charlot & Fall 2000 two-component, as in PROVABGS, Hahn et al. 2023):
  young stars (age < 10 Myr): exp(-tau_bc (lambda/5500)^-0.7) birth-cloud attenuation,
  all stars: exp(-tau_ism r_KC(lambda; n_dust)) diffuse ISM attenuation, with
  r_KC = k_KC(lambda; delta) / k_KC(5500 A; delta) the Kriek & Conroy (2013) law and
  n_dust its slope delta (delta = 0: Calzetti with a bump; delta < 0: steeper).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .cosmology import age_of_universe_gyr
from .dust import WAVE_V, charlot_fall, kriek_conroy
from .filters import FilterSet
from .photometry import (
    integrate_bands,
    interp_log_grid,
    log_grid_index,
    nJy_to_counts,
    rest_query_wave,
    take_interp,
)
from .sfh import basis_masses, burst_masses, metallicity_weights
from .ssp import SSPTable


class SEDParams(eqx.Module):
    """Batched physical parameters of n galaxies (every field has leading axis n)."""

    log_mass: Float[Array, " n"]  # log10 stellar mass formed / M_sun
    sfh_weights: Float[Array, "n basis"]  # simplex weights over sfh.BASIS_NAMES
    f_burst: Float[Array, " n"]  # fraction of mass formed in the burst, [0, 1]
    t_burst: Float[Array, " n"]  # burst look-back time, Gyr (clipped to t_H(z))
    log_z: Float[Array, " n"]  # log10 Z / Z_sun (clipped to [log 0.005, log 5])
    tau_bc: Float[Array, " n"]  # birth-cloud V-band optical depth (ages < 10 Myr)
    tau_ism: Float[Array, " n"]  # diffuse-ISM V-band optical depth
    n_dust: Float[Array, " n"]  # Kriek & Conroy slope delta of the ISM law
    redshift: Float[Array, " n"]


def sfh_mass_per_age(
    params: SEDParams, table: SSPTable, h0: float = 70.0, om0: float = 0.3
) -> Float[Array, "n age"]:
    """Stellar mass formed (M_sun) in each table age bin: basis mixture plus burst."""
    return _unit_mass_per_age(params, table, h0, om0) * (10.0 ** params.log_mass)[:, None]


def _unit_mass_per_age(
    params: SEDParams, table: SSPTable, h0: float, om0: float
) -> Float[Array, "n age"]:
    t_h = age_of_universe_gyr(params.redshift, h0, om0)
    smooth = jnp.einsum("nb,nba->na", params.sfh_weights, basis_masses(table.age_edges, t_h))
    burst = burst_masses(params.t_burst, table.age_mid, t_h)
    f = params.f_burst[:, None]
    return (1.0 - f) * smooth + f * burst


def _young_old(
    params: SEDParams, table: SSPTable, h0: float, om0: float,
    spectra: Float[Array, "z age w"] | None = None,
) -> tuple[Float[Array, "n w"], Float[Array, "n w"]]:
    """Unit-mass spectra (erg/s/A per M_sun formed) of ages below / above 10 Myr, mixed from
    `spectra` (default: the table's, on table.wave; or `band_spectra`'s)."""
    spectra = table.spectra if spectra is None else spectra
    w_z = metallicity_weights(params.log_z, table.log_z)  # (n, z)
    m_age = _unit_mass_per_age(params, table, h0, om0)  # (n, age)
    ny = table.n_young
    n = w_z.shape[0]
    weights = w_z[:, :, None] * m_age[:, None, :]  # (n, z, age)
    n_w = spectra.shape[-1]
    young = weights[:, :, :ny].reshape(n, -1) @ spectra[:, :ny].reshape(-1, n_w)
    old = weights[:, :, ny:].reshape(n, -1) @ spectra[:, ny:].reshape(-1, n_w)
    return young, old


def _attenuate(
    params: SEDParams, wave: Float[Array, "#n wave"], young: Array, old: Array
) -> Float[Array, "n wave"]:
    """Two-component dust on spectra sampled at rest `wave` (Angstrom, shared or per galaxy)."""
    delta = params.n_dust[:, None]
    r_ism = kriek_conroy(wave, delta) / kriek_conroy(WAVE_V, delta)
    att_ism = jnp.exp(-params.tau_ism[:, None] * r_ism)
    att_bc = jnp.exp(-params.tau_bc[:, None] * charlot_fall(wave))
    return (young * att_bc + old) * att_ism


def rest_spectrum_nodust(
    params: SEDParams, table: SSPTable, h0: float = 70.0, om0: float = 0.3
) -> Float[Array, "n wave"]:
    """Dust-free rest-frame L_lambda (erg/s/A) on table.wave (Angstrom)."""
    young, old = _young_old(params, table, h0, om0)
    return (young + old) * (10.0 ** params.log_mass)[:, None]


def rest_spectrum(
    params: SEDParams, table: SSPTable, h0: float = 70.0, om0: float = 0.3
) -> Float[Array, "n wave"]:
    """Dust-attenuated rest-frame L_lambda (erg/s/A) on table.wave (Angstrom)."""
    young, old = _young_old(params, table, h0, om0)
    return _attenuate(params, table.wave[None, :], young, old) * (10.0 ** params.log_mass)[:, None]


@eqx.filter_jit
def photometry(
    params: SEDParams,
    table: SSPTable,
    filters: FilterSet,
    cosmology_h0: float = 70.0,
    om0: float = 0.3,
) -> Float[Array, "n band"]:
    """Observed AB band fluxes in nJy (m_AB = 31.4 - 2.5 log10 f) of n galaxies; jit-compiled."""
    young, old = _young_old(params, table, cosmology_h0, om0)  # per M_sun formed
    # dust is applied only where the filters sample the spectrum: the exps dominate the cost
    query = rest_query_wave(params.redshift, filters)
    index = log_grid_index(table.wave, query)
    return _observe(params, query, take_interp(young, index), take_interp(old, index), filters,
                    cosmology_h0, om0)


def _observe(
    params: SEDParams, query: Float[Array, "#n bq"], young: Float[Array, "n bq"],
    old: Float[Array, "n bq"], filters: FilterSet, h0: float, om0: float,
) -> Float[Array, "n band"]:
    """Band fluxes (nJy) of unit-mass young / old spectra sampled at the filters' rest `query`
    wavelengths: dust, mass and the band integrals."""
    spec = _attenuate(params, query, young, old)
    ln_mass = params.log_mass * math.log(10.0)
    return integrate_bands(spec, params.redshift, filters, ln_mass, h0, om0)


class BandSpectra(eqx.Module):
    """The table's unit-mass spectra interpolated at the rest wavelengths that the filters
    sample at one redshift (`band_spectra`)."""

    redshift: Float[Array, ""]
    query: Float[Array, "1 bq"]  # rest-frame Angstrom
    spectra: Float[Array, "z age bq"]


def band_spectra(
    table: SSPTable, redshift: Float[ArrayLike, ""], filters: FilterSet
) -> BandSpectra:
    """Interpolate the table once at one redshift's filter samples (bq = bands x samples, 640
    for HSC against 1500 table wavelengths): photometry at that redshift then mixes the smaller
    grid (`photometry_at_redshift`). Interpolation is linear, so it commutes with the mixing."""
    z = jnp.asarray(redshift, dtype=table.spectra.dtype)
    query = rest_query_wave(z[None], filters)
    n_z, n_age, n_w = table.spectra.shape
    # every (metallicity, age) spectrum is a row, all rows read at the same points
    rows = table.spectra.reshape(-1, n_w)
    at = jnp.broadcast_to(query, (rows.shape[0], query.shape[-1]))
    spectra = interp_log_grid(table.wave, rows, at).reshape(n_z, n_age, -1)
    return BandSpectra(z, query, spectra)


def photometry_at_redshift(
    params: SEDParams,
    table: SSPTable,
    band: BandSpectra,
    filters: FilterSet,
    cosmology_h0: float = 70.0,
    om0: float = 0.3,
) -> Float[Array, "n band"]:
    """`photometry` of galaxies all at `band.redshift` (params.redshift must equal it), from
    the pre-interpolated `band` spectra: what a sampler of one galaxy evaluates at every step."""
    young, old = _young_old(params, table, cosmology_h0, om0, spectra=band.spectra)
    return _observe(params, band.query, young, old, filters, cosmology_h0, om0)


def photometry_counts(
    params: SEDParams,
    table: SSPTable,
    filters: FilterSet,
    zeropoint: float = 27.0,
    cosmology_h0: float = 70.0,
    om0: float = 0.3,
) -> Float[Array, "n band"]:
    """Band fluxes as image counts for an AB zero point (HSC coadds: 27)."""
    return nJy_to_counts(photometry(params, table, filters, cosmology_h0, om0), zeropoint)


def stack_params(params: list[SEDParams]) -> SEDParams:
    """Concatenate several SEDParams batches along the galaxy axis."""
    return jax.tree.map(lambda *xs: jnp.concatenate(xs, axis=0), *params)

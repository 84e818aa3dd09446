"""Photometry: AB zero point, agreement with speclite, counts, and physical behaviour."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import speclite.filters
from astropy import units as u
from astropy.cosmology import FlatLambdaCDM

from dustscene.sed import (
    band_fluxes,
    mag_ab,
    nJy_to_counts,
    photometry,
    photometry_counts,
    rest_spectrum,
    rest_spectrum_nodust,
    sample_prior,
    sfh_mass_per_age,
)
from dustscene.sed.cosmology import ln_luminosity_distance_cm
from dustscene.sed.model import band_spectra, photometry_at_redshift
from dustscene.sed.photometry import C_AA_S


def test_flat_fnu_3631jy_is_mag_zero(hsc):
    """A flat 3631 Jy source through the redshift + band-integration path gives m_AB = 0."""
    z = jnp.array([0.0, 0.1, 0.7])
    wave = jnp.geomspace(1000.0, 20000.0, 40000)  # fine log grid: interpolation error << 1e-6
    lam_obs = wave[None, :] * (1 + z[:, None])
    f_lam = 3631e-23 * C_AA_S / lam_obs**2  # erg/s/cm^2/A of f_nu = 3631 Jy
    # L = 4 pi dL^2 (1+z) f_lam, passed as exp(ln_scale) to stay finite
    ln_scale = jnp.log(4 * jnp.pi) + 2 * ln_luminosity_distance_cm(z) + jnp.log1p(z)
    mags = np.asarray(mag_ab(band_fluxes(wave, f_lam, z, hsc, ln_scale)))
    np.testing.assert_allclose(mags, 0.0, atol=1e-6)


def test_counts_zero_point():
    assert float(nJy_to_counts(3631e9 * 10 ** (-0.4 * 27.0))) == pytest.approx(1.0, rel=1e-12)
    assert float(mag_ab(3631e9)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("z", [0.03, 0.25])
def test_matches_speclite(params, table, hsc, z):
    p = params(1, redshift=z, tau_bc=0.7, tau_ism=0.5, n_dust=-0.3, f_burst=0.1,
                    t_burst=0.05, log_z=-0.3)
    ours = np.asarray(mag_ab(photometry(p, table, hsc)))[0]
    lum = np.asarray(rest_spectrum(p, table))[0]  # erg/s/A
    d_l = FlatLambdaCDM(H0=70, Om0=0.3).luminosity_distance(z).to_value("cm")
    wave_obs = np.asarray(table.wave) * (1 + z)
    f_lam = lum / (4 * np.pi * d_l**2 * (1 + z))
    # speclite integrates on the spectrum's own grid (22 A bins at 1 um, coarser than the
    # 10 A filter knots: 6 mmag error in y), so hand it the same linear spectrum on 1 A steps
    fine = np.arange(3000.0, 12000.0, 1.0)
    f_fine = np.interp(fine, wave_obs, f_lam)
    seq = speclite.filters.load_filters(*[f"hsc2017-{b}" for b in "grizy"])
    maggies = seq.get_ab_maggies(f_fine * u.erg / u.s / u.cm**2 / u.AA, fine * u.AA)
    ref = -2.5 * np.log10([maggies[c][0] for c in maggies.colnames])
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_mass_scaling(params, table, hsc):
    p = params(3, log_mass=jnp.array([9.0, 10.5, 10.0]))
    f = np.asarray(photometry(p, table, hsc))
    np.testing.assert_allclose(f[1] / f[0], 10**1.5, rtol=1e-10)
    counts = np.asarray(photometry_counts(p, table, hsc))
    np.testing.assert_allclose(counts, f * 10 ** (-0.4 * (31.4 - 27.0)), rtol=1e-4)
    m = np.asarray(sfh_mass_per_age(p, table))
    np.testing.assert_allclose(m.sum(axis=1), [1e9, 10**10.5, 1e10], rtol=1e-10)


def test_zero_tau_is_dust_free(params, table):
    p = params(1, tau_bc=0.0, tau_ism=0.0, n_dust=-0.7)
    np.testing.assert_allclose(
        np.asarray(rest_spectrum(p, table)), np.asarray(rest_spectrum_nodust(p, table)),
        rtol=1e-14,
    )


def test_dust_dims_blue_bands_more(params, table, hsc):
    clean = np.asarray(mag_ab(photometry(params(1), table, hsc)))[0]
    for kw in ({"tau_ism": 0.8}, {"tau_ism": 0.5, "n_dust": -0.6}, {"tau_bc": 1.0}):
        p = params(1, sfh=(0.0, 0.0, 0.2, 0.8), **kw)
        ref = np.asarray(mag_ab(photometry(params(1, sfh=(0.0, 0.0, 0.2, 0.8)), table, hsc)))
        dusty = np.asarray(mag_ab(photometry(p, table, hsc)))[0]
        a_b = dusty - ref[0]
        assert np.all(a_b > 0), (kw, a_b)
        assert np.all(np.diff(a_b) < 0), (kw, a_b)
    assert np.all(np.isfinite(clean))


def test_younger_sfh_is_bluer(params, table, hsc):
    old = mag_ab(photometry(params(1, sfh=(1.0, 0.0, 0.0, 0.0)), table, hsc))[0]
    const = mag_ab(photometry(params(1, sfh=(0.0, 0.0, 1.0, 0.0)), table, hsc))[0]
    young = mag_ab(photometry(params(1, sfh=(0.0, 0.0, 0.0, 1.0)), table, hsc))[0]
    gr = [float(m[0] - m[1]) for m in (old, const, young)]
    assert gr[0] > gr[1] > gr[2], gr
    assert 0.5 < gr[0] < 1.0  # old solar population at z = 0.05: g - r ~ 0.75


def test_batched_equals_single(table, hsc):
    p = sample_prior(jax.random.key(1), 3)
    batch = np.asarray(photometry(p, table, hsc))
    for i in (0, 1, 2):
        one = jax.tree.map(lambda x, i=i: x[i : i + 1], p)
        np.testing.assert_allclose(np.asarray(photometry(one, table, hsc))[0], batch[i],
                                   rtol=1e-12)


def test_photometry_at_one_redshift_equals_photometry(table, hsc):
    # interpolating the table at the filter samples before mixing the ages and metallicities
    # (what NUTS does for its one galaxy) commutes with mixing: same fluxes and gradients
    p = sample_prior(jax.random.key(2), 4)
    for z in (0.01, 0.1, 0.3):
        q = eqx_replace(p, redshift=jnp.full(4, z))
        band = band_spectra(table, z, hsc)
        np.testing.assert_allclose(photometry_at_redshift(q, table, band, hsc),
                                   photometry(q, table, hsc), rtol=1e-12)

        def total(tau, q, fn):
            return jnp.sum(jnp.log(fn(eqx_replace(q, tau_ism=tau))))

        g_band = jax.grad(total)(q.tau_ism, q, partial(photometry_at_redshift, table=table,
                                                        band=band, filters=hsc))
        g_full = jax.grad(total)(q.tau_ism, q, partial(photometry, table=table, filters=hsc))
        np.testing.assert_allclose(g_band, g_full, rtol=1e-10)


def test_gradients_match_finite_differences(params, table, hsc):
    p = params(3, log_mass=jnp.array([9.5, 10.0, 11.0]), tau_ism=jnp.array([0.3, 1.0, 2.0]),
                    tau_bc=0.5, n_dust=-0.3, redshift=jnp.array([0.03, 0.1, 0.2]))

    def loss(log_mass, tau_ism):
        q = eqx_replace(p, log_mass=log_mass, tau_ism=tau_ism)
        return jnp.sum(mag_ab(photometry(q, table, hsc)))

    g_m, g_t = jax.grad(loss, argnums=(0, 1))(p.log_mass, p.tau_ism)
    assert np.all(np.isfinite(g_m)) and np.all(np.isfinite(g_t))
    h = 1e-5
    for i in range(3):
        e = jnp.zeros(3).at[i].set(h)
        fd_m = (loss(p.log_mass + e, p.tau_ism) - loss(p.log_mass - e, p.tau_ism)) / (2 * h)
        fd_t = (loss(p.log_mass, p.tau_ism + e) - loss(p.log_mass, p.tau_ism - e)) / (2 * h)
        assert float(g_m[i]) == pytest.approx(float(fd_m), rel=1e-6)
        assert float(g_t[i]) == pytest.approx(float(fd_t), rel=1e-6)
    # -2.5 log10 10^logM per band: d(sum of 5 mags)/d log_mass = -12.5
    np.testing.assert_allclose(np.asarray(g_m), -12.5, rtol=1e-10)


def eqx_replace(p, **kw):
    import equinox as eqx

    return eqx.tree_at(lambda q: [getattr(q, k) for k in kw], p, list(kw.values()))


def test_float32_photometry_of_a_young_massive_component_stays_finite(ssp_table_path) -> None:
    """L x lambda^2 of young populations exceeds float32's range unless rescaled first."""
    from dustscene.sed import SEDParams, load_filters, load_ssp_table

    vals = ([8.17], [[0.0175, 0.0443, 0.194, 0.744]], [0.593], [0.0105], [-0.04],
            [0.0], [0.0], [0.0], [0.164])

    def run(dtype):
        t, f = load_ssp_table(ssp_table_path), load_filters("hsc", list("grizy"))
        p = SEDParams(*[jnp.asarray(v, dtype=dtype) for v in vals])
        return np.asarray(photometry(p, t, f), dtype=np.float64)

    with jax.enable_x64(False):
        f32 = run(jnp.float32)
    f64 = run(jnp.float64)
    assert np.all(np.isfinite(f32))
    np.testing.assert_allclose(f32, f64, rtol=1e-4)

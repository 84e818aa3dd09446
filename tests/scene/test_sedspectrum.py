"""Dust-free SED-model spectra of scene components: the shared SED model at tau = 0, the
population priors a mock suite defines, and how much of a uniform reddening they can absorb."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize as so

from dustscene.config import load_yaml
from dustscene.scene.parameters import from_vector, log_prior, to_vector
from dustscene.scene.sedspectrum import (
    YOUNG,
    SEDSpectrum,
    SFHDirichlet,
    population,
    sed_spectrum_from_fluxes,
)
from dustscene.sed import build_ssp_table, load_filters
from dustscene.sed.dust import band_k
from dustscene.sed.model import SEDParams, photometry_counts
from dustscene.sed.ssp import load_ssp_table

BANDS = ("g", "r", "i", "z", "y")
Z = 0.15
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    path = build_ssp_table(tmp_path_factory.mktemp("ssp") / "ssp.h5", n_wave=300, n_age=12)
    return load_ssp_table(path), load_filters("hsc", list(BANDS))


def test_counts_are_the_sed_model_at_zero_dust(setup):
    table, filters = setup
    s = SEDSpectrum(table, filters, Z, log_mass=10.3, sfh_logits=(1.0, 0.0, -0.5, 0.2),
                    f_burst=0.1, log_t_burst=-1.0, log_z=-0.2)
    w = np.exp([1.0, 0.0, -0.5, 0.2])
    p = SEDParams(log_mass=jnp.array([10.3]), sfh_weights=jnp.asarray(w / w.sum())[None],
                  f_burst=jnp.array([0.1]), t_burst=jnp.array([0.1]), log_z=jnp.array([-0.2]),
                  tau_bc=jnp.zeros(1), tau_ism=jnp.zeros(1), n_dust=jnp.zeros(1),
                  redshift=jnp.array([Z]))
    np.testing.assert_allclose(s(), photometry_counts(p, table, filters)[0], rtol=1e-10)
    # twice the mass, twice the light; the colours unchanged
    np.testing.assert_allclose(s.scaled(2.0)(), 2.0 * s(), rtol=1e-10)


def test_sfh_dirichlet_peaks_at_the_mean_weights():
    """sum alpha_i log w_i is maximised at w = alpha / sum(alpha) (the Dirichlet density times
    the softmax Jacobian), whatever the logits' common offset."""
    alpha = (8.0, 2.0, 0.5, 0.2)
    prior = SFHDirichlet(alpha)
    best = so.minimize(lambda x: -float(prior.log_prob(jnp.asarray(x))), np.zeros(4),
                       jac=lambda x: -np.asarray(jax.grad(prior.log_prob)(jnp.asarray(x))),
                       method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(jax.nn.softmax(best.x), np.array(alpha) / sum(alpha), atol=1e-5)
    assert abs(best.x.mean()) < 1e-5  # the proper part pins the offset softmax cannot see


def test_population_is_the_suite_block():
    sed = load_yaml(ROOT / "simulations" / "nihao_like.yaml")["sed"]
    bulge = population(sed, "bulge")
    assert bulge.sfh_alpha == tuple(sed["bulge"]["sfh_alpha"])
    assert bulge.ranges["log_t_burst"] == pytest.approx(np.log10(sed["bulge"]["t_burst_gyr"]))
    assert bulge.ranges["log_z"] == tuple(sed["bulge"]["log_z"])
    with pytest.raises(ValueError, match="'halo'"):
        population(sed, "halo")


def test_population_prior_is_in_the_fit_density(setup):
    table, filters = setup
    pop = population(load_yaml(ROOT / "simulations" / "nihao_like.yaml")["sed"], "disk")
    s = sed_spectrum_from_fluxes(np.array([1.0, 1.5, 1.8, 2.0, 2.1]), table, filters, Z,
                                 ranges=pop.ranges, sfh_alpha=pop.sfh_alpha)
    lo, hi = pop.ranges["log_z"]
    assert lo < float(s.log_z.value) < hi
    assert float(log_prior(s)) == pytest.approx(float(SFHDirichlet(pop.sfh_alpha).log_prob(
        s.sfh_logits.value)))


def _best_rms_mag(start: SEDSpectrum, target: np.ndarray) -> float:
    """rms magnitude residual of the dust-free population in `start`'s box closest to `target`."""
    def loss(u):
        return jnp.sum((2.5 * jnp.log10(from_vector(start, u)() / target)) ** 2)

    vg = jax.jit(jax.value_and_grad(loss))
    res = so.minimize(lambda u: [np.asarray(v, float) for v in vg(jnp.asarray(u))],
                      np.asarray(to_vector(start)), jac=True, method="L-BFGS-B")
    return float(np.sqrt(res.fun / len(target)))


def test_a_uniform_reddening_is_not_absorbed_by_young_spectra(setup):
    """Free per-band spectra absorb any E(B-V) offset exactly (exp(-k dE) is one more factor per
    band). A dust-free star-forming population cannot turn 0.2 mag of E(B-V) into colours: the
    closest one misses by > 0.03 mag rms, ten times the photometric error of a bright clump
    (S/N 300 per band), while the undisturbed colours are matched to < 0.01 mag."""
    table, filters = setup
    k = np.asarray(band_k("calzetti00", "hsc", BANDS, Z)[0])
    truth = SEDSpectrum(table, filters, Z, sfh_logits=(-1.0, -0.5, 0.0, 1.5), f_burst=0.5,
                        log_t_burst=-1.7, log_z=-0.3, ranges=YOUNG)
    f0 = np.asarray(truth())
    # a fit that puts E - dE in the dust map needs intrinsic fluxes f0 * 10^(0.4 k dE)
    rms = {}
    for d_e in (0.0, 0.2):
        target = f0 * 10 ** (0.4 * k * d_e)
        start = sed_spectrum_from_fluxes(target, table, filters, Z, ranges=YOUNG)
        rms[d_e] = _best_rms_mag(start, target)
    assert rms[0.0] < 0.01
    assert rms[0.2] > 0.03

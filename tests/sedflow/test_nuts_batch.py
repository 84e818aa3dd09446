"""Vectorised NUTS over galaxies x chains: one compile, samples in the box, near the truth."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer.util import potential_energy

from dustscene.sed.model import band_spectra
from dustscene.sedflow.noise import default_noise_model
from dustscene.sedflow.nuts import _box_potential, _model, run_nuts_batch
from dustscene.sedflow.parameters import theta_bounds
from dustscene.sedflow.simulator import noiseless_flux


def test_batched_potential_is_the_numpyro_models_density(table, filters) -> None:
    # the batched sampler writes the density out by hand: it must equal run_nuts's numpyro
    # model up to a constant (normalisations), i.e. the same gradient everywhere
    low, high = theta_bounds()
    truth = np.array([[10.2, 0.4, 0.5, 0.6, 0.1, 1.0, -0.3, 0.5, 0.4, -0.1]])
    z = jnp.asarray(0.1)
    flux = jnp.asarray(noiseless_flux(truth, np.array([0.1]), table, filters)[0]) * 1.03
    sigma = 0.05 * flux
    lo, hi = jnp.asarray(low), jnp.asarray(high)
    band = band_spectra(table, z, filters)
    args = (flux, sigma, band, lo, hi, table, filters)

    def numpyro_u(u):
        return potential_energy(_model, args, {}, {"theta": u})

    def batched_u(u):
        return _box_potential(u, flux, sigma, band, lo, hi, table, filters)

    offsets = []
    for seed in range(3):
        u = jax.random.normal(jax.random.key(seed), (10,))
        np.testing.assert_allclose(jax.grad(batched_u)(u), jax.grad(numpyro_u)(u),
                                   rtol=1e-8, atol=1e-8)
        offsets.append(float(batched_u(u) - numpyro_u(u)))
    np.testing.assert_allclose(offsets, offsets[0], rtol=0, atol=1e-8)


@pytest.mark.slow
def test_batched_nuts_recovers_a_bright_galaxy(table, filters) -> None:
    low, high = theta_bounds()
    truth = np.array([[10.5, 0.5, 0.5, 0.5, 0.1, 2.0, 0.0, 0.3, 0.5, -0.2],
                      [10.0, 0.3, 0.6, 0.4, 0.05, 1.0, -0.5, 0.8, 0.2, 0.0]])
    z = np.array([0.08, 0.12])
    flux = noiseless_flux(truth, z, table, filters)
    sigma = 0.02 * flux  # noiseless data: the posterior is centred near the truth
    assert default_noise_model("hsc", list("grizy")).bands == tuple(filters.names)
    rng = np.random.default_rng(0)
    init = np.clip(truth[:, None] + 0.05 * (high - low) * rng.standard_normal((2, 2, 10)),
                   low + 1e-3, high - 1e-3)
    res = run_nuts_batch(flux, sigma, z, low, high, table, filters, seed=0, init=init,
                         num_warmup=150, num_samples=150)
    assert res.samples.shape == (2, 2, 150, 10)
    assert np.all((res.samples >= low) & (res.samples <= high))
    post = res.samples.reshape(2, -1, 10)
    # log mass is well constrained by 2 % photometry: within 3 posterior sd of the truth
    mean, sd = post[..., 0].mean(1), post[..., 0].std(1)
    assert np.all(np.abs(mean - truth[:, 0]) < 3 * sd + 0.05)
    assert np.all(np.isfinite(res.max_rhat)) and np.all(res.mean_steps >= 1)


def test_thinning_removes_the_autocorrelation_tell_from_c2st() -> None:
    """Strongly autocorrelated chains of the right distribution look 'different' to a C2ST
    classifier (neighbouring draws); thinned to ~one draw per effective sample they do not."""
    import numpyro

    from dustscene.sedflow.calibration import c2st_accuracy
    from dustscene.sedflow.nuts import NutsBatch

    rng = np.random.default_rng(0)
    rho, chains, draws, dim = 0.98, 4, 1500, 3
    x = np.zeros((chains, draws, dim))
    x[:, 0] = rng.standard_normal((chains, dim))
    for t in range(1, draws):  # AR(1) with a standard normal stationary law
        x[:, t] = rho * x[:, t - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((chains, dim))
    ess = float(np.min(numpyro.diagnostics.effective_sample_size(x)))
    nb = NutsBatch(x[None], np.zeros(1, np.int64), np.array([ess]), np.array([1.0]),
                   np.ones(1), np.ones(1))
    thin = nb.thinned(0)
    assert ess < thin.shape[0] <= 2 * ess + chains  # about one draw per effective sample
    iid = rng.standard_normal((chains * draws, dim))
    raw_acc, thin_acc = c2st_accuracy(iid, x.reshape(-1, dim), 0), c2st_accuracy(iid, thin, 0)

    def chance(n: int) -> float:
        # cross-validated accuracy of a classifier that cannot tell 2n draws apart: 0.5 with a
        # binomial sd of 0.5 / sqrt(2n); 3 sd above it is chance only once in ~700
        return 0.5 + 3 * 0.5 / np.sqrt(2 * n)

    assert raw_acc > chance(chains * draws), raw_acc  # the raw chains do carry a tell
    assert thin_acc < chance(thin.shape[0]), (thin_acc, thin.shape)  # thinned: chance level

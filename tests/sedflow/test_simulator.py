"""The SEDflow simulator is dustscene.sed exactly; theta <-> SEDParams; seeded shards."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import kstest

from dustscene.sed import photometry, sample_prior
from dustscene.sedflow import merge_shards, params_to_theta, simulate_shard, theta_to_params
from dustscene.sedflow.dataset import file_sha256, read_simulation
from dustscene.sedflow.noise import default_noise_model
from dustscene.sedflow.simulator import rng_for, simulate


def test_simulator_flux_is_sed_photometry_exactly(table, filters) -> None:
    noise = default_noise_model("hsc", list("grizy"))
    sim = simulate(rng_for(1, 0), 64, table, filters, noise)
    direct = photometry(theta_to_params(jnp.asarray(sim.theta), jnp.asarray(sim.redshift)),
                        table, filters)
    np.testing.assert_array_equal(sim.flux_true, np.asarray(direct))
    assert np.all(sim.flux_true > 0) and np.all(np.isfinite(sim.x))


def test_theta_roundtrip_and_photometry_of_sample_prior(table, filters) -> None:
    params = sample_prior(jax.random.key(0), 200)
    back = theta_to_params(params_to_theta(params), params.redshift)
    np.testing.assert_allclose(back.sfh_weights, params.sfh_weights, atol=1e-12)
    np.testing.assert_allclose(photometry(back, table, filters), photometry(params, table, filters),
                               rtol=1e-10)


def test_stick_breaking_coordinates_are_uniform_under_flat_dirichlet() -> None:
    theta = np.asarray(params_to_theta(sample_prior(jax.random.key(1), 4000)))
    for k in (1, 2, 3):
        assert kstest(theta[:, k], "uniform").pvalue > 1e-3


def test_shards_are_seeded_and_merge_in_order(tmp_path, ssp_path) -> None:
    kw = {"ssp_path": ssp_path, "seed": 5, "n": 50, "survey": "hsc", "bands": list("grizy")}
    simulate_shard(out_path=tmp_path / "a.h5", shard=0, **kw)
    simulate_shard(out_path=tmp_path / "b.h5", shard=0, **kw)
    simulate_shard(out_path=tmp_path / "c.h5", shard=1, **kw)
    assert file_sha256(tmp_path / "a.h5") == file_sha256(tmp_path / "b.h5")
    a, _ = read_simulation(tmp_path / "a.h5")
    c, _ = read_simulation(tmp_path / "c.h5")
    assert not np.allclose(a.theta, c.theta)
    merge_shards([tmp_path / "a.h5", tmp_path / "c.h5"], tmp_path / "m.h5")
    m, attrs = read_simulation(tmp_path / "m.h5")
    np.testing.assert_array_equal(m.theta, np.concatenate([a.theta, c.theta]))
    assert attrs["n"] == 100 and attrs["shards"] == 2


def test_merge_refuses_inconsistent_shards(tmp_path, ssp_path) -> None:
    kw = {"ssp_path": ssp_path, "n": 10, "survey": "hsc", "bands": list("grizy"), "shard": 0}
    simulate_shard(out_path=tmp_path / "a.h5", seed=1, **kw)
    simulate_shard(out_path=tmp_path / "b.h5", seed=2, **kw)
    with pytest.raises(ValueError, match="differ"):
        merge_shards([tmp_path / "a.h5", tmp_path / "b.h5"], tmp_path / "m.h5")


def test_reported_sigma_hides_true_colours_and_matches_the_noise(table, filters) -> None:
    """Sigma comes from the observed flux: for floor-dominated galaxies sigma_g / sigma_r must
    not reveal the true r-i colour better than the noisy fluxes do (a floor on the true flux
    did, 0.007 vs 0.045 mag, which no Gaussian likelihood / NUTS reproduces), and the
    z-scores (flux - f_true) / sigma are standard normal."""
    noise = default_noise_model("hsc", list("grizy"))
    sim = simulate(rng_for(2, 0), 3000, table, filters, noise,
                   {"log_mass": (7.0, 11.5), "f_burst": (0.0, 1.0)})
    sky_frac = noise.sky_sigma_njy[None] ** 2 / sim.sigma**2
    bright = (sky_frac < 0.1).all(axis=1)
    assert bright.sum() > 200
    true_col = -2.5 * np.log10(sim.flux_true[bright, 1] / sim.flux_true[bright, 2])
    flux_col = -2.5 * np.log10(sim.flux[bright, 1] / sim.flux[bright, 2])
    sigma_col = -2.5 * np.log10(sim.sigma[bright, 1] / sim.sigma[bright, 2])
    assert np.std(sigma_col - true_col) > 0.7 * np.std(flux_col - true_col)
    zs = (sim.flux - sim.flux_true) / sim.sigma
    assert abs(zs.mean()) < 0.03 and abs(zs.std() - 1.0) < 0.03

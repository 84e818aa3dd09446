"""Training spectra: determinism, normalisation, grids and the redshift transform."""

from __future__ import annotations

import h5py
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.spectra import (
    SpectrumGrid,
    load_spectra,
    merge_spectra_shards,
    simulate_spectra_shard,
)
from dustscene.spectra.data import observed_to_rest, resample_rest_to_observed


def test_same_seed_same_spectra(spectra_ssp, spectra_grid, tmp_path):
    a = simulate_spectra_shard(spectra_ssp, tmp_path / "a.h5", seed=5, shard=1, n=40,
                               grid=spectra_grid)
    b = simulate_spectra_shard(spectra_ssp, tmp_path / "b.h5", seed=5, shard=1, n=40,
                               grid=spectra_grid)
    c = simulate_spectra_shard(spectra_ssp, tmp_path / "c.h5", seed=5, shard=2, n=40,
                               grid=spectra_grid)
    with h5py.File(a) as fa, h5py.File(b) as fb, h5py.File(c) as fc:
        assert np.array_equal(fa["observed"][()], fb["observed"][()])
        assert not np.allclose(fa["rest"][()], fc["rest"][()])


def test_normalisation_and_noise(spectra_set):
    d = load_spectra(spectra_set)
    np.testing.assert_allclose(d.rest.mean(axis=1), 1.0, rtol=1e-10)
    np.testing.assert_allclose(np.median(d.observed_clean, axis=1), 1.0, rtol=1e-10)
    pull = (d.observed - d.observed_clean) * np.sqrt(d.ivar)
    assert abs(pull.std() - 1.0) < 0.02 and abs(pull.mean()) < 0.01
    assert np.all(d.rest > 0)
    # dust reddens: at fixed everything else the highest-tau_ism quartile is redder (4500 vs 8000 A)
    blue = d.rest[:, np.argmin(np.abs(d.wave_rest - 4500))]
    red = d.rest[:, np.argmin(np.abs(d.wave_rest - 8000))]
    tau = d.physical["tau_ism"]
    col = np.log(blue / red)
    dusty, clear = tau > np.quantile(tau, 0.75), tau < np.quantile(tau, 0.25)
    assert np.median(col[dusty]) < np.median(col[clear])


def test_observed_grid_inside_rest_grid_at_every_z():
    g = SpectrumGrid(3000.0, 11000.0, 64, 0.02, 0.3)
    for z in (g.z_min, g.z_max):
        q = g.observed / (1 + z)
        assert q.min() >= g.rest.min() * (1 - 1e-12) and q.max() <= g.rest.max() * (1 + 1e-12)
    with pytest.raises(ValueError, match="redshift range too wide"):
        SpectrumGrid(3000.0, 4000.0, 64, 0.0, 0.5)


def test_redshift_transform_round_trip():
    g = SpectrumGrid(3000.0, 11000.0, 400, 0.02, 0.3)
    rest = 1.0 + 0.3 * np.sin(g.rest / 700.0)[None]
    z = jnp.array([0.17])
    obs = resample_rest_to_observed(g.rest, rest, g.observed, z)
    back, mask = observed_to_rest(g.observed, obs, g.rest, z)
    inside = np.asarray(mask[0]) > 0
    assert inside.sum() > 300
    np.testing.assert_allclose(np.asarray(back[0])[inside], rest[0][inside], rtol=2e-3)


def test_merge_refuses_mismatched_grid(spectra_ssp, spectra_grid, tmp_path):
    import dataclasses

    other = dataclasses.replace(spectra_grid, z_max=0.25)  # same rest grid, other observed one
    a = simulate_spectra_shard(spectra_ssp, tmp_path / "a.h5", seed=1, shard=0, n=8,
                               grid=spectra_grid)
    b = simulate_spectra_shard(spectra_ssp, tmp_path / "b.h5", seed=1, shard=1, n=8, grid=other)
    with pytest.raises(ValueError, match="b.h5"):
        merge_spectra_shards([a, b], tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()


def test_load_refuses_corrupt_file(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="bad.h5"):
        load_spectra(bad)


def test_coverage_options_dust_free_and_log_burst_age():
    """dust_free_fraction zeroes both optical depths of that fraction (seeded), log_t_burst
    makes log10 t_burst uniform in the range; both leave every other parameter alone."""
    import jax

    from dustscene.sed import sample_prior
    from dustscene.spectra.data import _coverage

    box = {"t_burst": (0.003, 10.0)}
    p = sample_prior(jax.random.key(0), 20000, box)
    q = _coverage(p, np.random.default_rng(1), box, 0.25, True)
    free = (np.asarray(q.tau_bc) == 0) & (np.asarray(q.tau_ism) == 0)
    assert abs(free.mean() - 0.25) < 0.01
    np.testing.assert_array_equal(np.asarray(q.tau_ism)[~free], np.asarray(p.tau_ism)[~free])
    lt = np.log10(np.asarray(q.t_burst))
    assert lt.min() >= np.log10(0.003) and lt.max() <= 1.0
    assert abs(np.mean(lt < np.log10(0.05)) - np.log10(0.05 / 0.003) / np.log10(10 / 0.003)) < 0.01
    np.testing.assert_array_equal(np.asarray(q.log_z), np.asarray(p.log_z))
    same = _coverage(p, np.random.default_rng(1), box, 0.0, False)
    np.testing.assert_array_equal(np.asarray(same.t_burst), np.asarray(p.t_burst))
    with pytest.raises(ValueError, match="dust_free_fraction"):
        simulate_spectra_shard("unused.h5", "x.h5", seed=0, shard=0, n=4, grid=SpectrumGrid(),
                       dust_free_fraction=1.5)

"""Fitting: noiseless recovery, Laplace sigmas against noise scatter, a dust-free scene, real HSC
data.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

from dustscene.config import load_yaml
from dustscene.inference import FitSettings, fit, fit_batch, laplace, laplace_batch, stack
from dustscene.scene import Observation, constrained_vector, parameter_schema, to_vector
from dustscene.scene.synthetic import SIGMA, dusty_galaxy, make_frame, noiseless_observation

# the workflow's fit.observations default, read from the config schema (its one home)
HSC_SETTINGS = load_yaml(Path(__file__).resolve().parents[2] / "workflow" / "schemas"
                         / "config.schema.yaml")["properties"]["fit"]["properties"][
    "observations"]["default"]
TIGHT = FitSettings(adam_steps=1500, lbfgs_steps=1000, atol=1e-9, rtol=1e-12)


def test_noiseless_dusty_sersic_recovered_to_one_percent(truth_and_data):
    truth, obs = truth_and_data
    start = dusty_galaxy(
        truth.frame,
        fluxes=(12.0, 18, 33, 36, 55),
        center=(16.0, 15.9),
        n=1.2,
        r_e=4.5,
        q=0.7,
        theta=0.3,
        ebv=0.2,
        dust_scale=5.0,
        dust_center=(16.0, 16.0),
    )
    result = fit(start, obs, TIGHT)
    assert np.all(np.diff(np.asarray(result.history)[: int(result.n_steps)][:50]) < 1e3)
    assert float(result.loss) <= np.nanmin(np.asarray(result.history))
    t, f = np.asarray(constrained_vector(truth)), np.asarray(constrained_vector(result.scene))
    for s in parameter_schema(truth):
        sl = slice(s["offset"], s["offset"] + s["size"])
        np.testing.assert_allclose(f[sl], t[sl], rtol=0.01, atol=1e-3, err_msg=s["name"])


def _noisy_batch(truth, obs, n, key):
    noise = jax.random.normal(key, (n, *obs.data.shape)) * SIGMA[:, None, None]
    return [Observation(obs.data + noise[i], obs.weights, obs.psf, truth.frame) for i in range(n)]


@pytest.mark.slow
def test_laplace_sigmas_match_noise_scatter():
    """50 noise realisations fitted in one batched call: z-scores have unit spread."""
    frame = make_frame()
    truth = dusty_galaxy(frame, fluxes=(300.0, 600, 900, 1200, 1500), ebv=0.3)
    obs = noiseless_observation(truth)
    batch = _noisy_batch(truth, obs, 50, jax.random.key(7))
    u0 = np.tile(np.asarray(to_vector(truth)), (50, 1))
    settings = FitSettings(adam_steps=0, lbfgs_steps=200, atol=1e-7)
    results = fit_batch(truth, batch, u0, settings)
    u = np.stack([np.asarray(r.u) for r in results])
    sigma = np.asarray(laplace_batch(truth, stack(batch), u))
    values = np.stack([np.asarray(constrained_vector(r.scene)) for r in results])
    z = (values - np.asarray(constrained_vector(truth))) / sigma
    spread = z.std(axis=0)
    assert np.all(np.isfinite(spread))
    assert 0.8 <= np.median(spread) <= 1.2
    print("z-score std per parameter:", np.round(spread, 3))
    assert np.all((spread > 0.6) & (spread < 1.45)), spread  # 50 draws: ~10 % noise


def test_dust_free_scene_gives_ebv_consistent_with_zero():
    frame = make_frame()
    truth = dusty_galaxy(frame, fluxes=(30.0, 60, 90, 120, 150), ebv=0.0)
    obs = noiseless_observation(truth)
    noisy = _noisy_batch(truth, obs, 1, jax.random.key(3))[0]
    start = dusty_galaxy(frame, fluxes=(30.0, 60, 90, 120, 150), ebv=0.1)
    result = fit(start, noisy, FitSettings(adam_steps=800, lbfgs_steps=400))
    lap = laplace(start, noisy, result.u)
    names = [s["name"] for s in parameter_schema(start)]
    k = names.index("components[0].dust.ebv.amplitude")
    off = parameter_schema(start)[k]["offset"]
    ebv, sig = float(constrained_vector(result.scene)[off]), float(lap.sigma[off])
    assert ebv < 3 * sig + 1e-3, (ebv, sig)
    # where the galaxy shines (the map is unconstrained, and may drift, where it does not)
    light = np.asarray(result.scene(dust=False))[2]
    weighted = float((np.asarray(result.scene.ebv_map()[0]) * light).sum() / light.sum())
    print(f"E(B-V) amplitude {ebv:.4f} +- {sig:.4f}, light-weighted {weighted:.4f}")
    assert weighted < 3 * sig + 1e-3, (weighted, sig)


@pytest.mark.slow
def test_hsc_cosmos_35_chi2(hsc_cutout_path, tmp_path):
    from dustscene.inference import run_fit_file
    from dustscene.io.fitfile import read_fit

    out = tmp_path / "hsc.h5"
    attrs = run_fit_file(
        hsc_cutout_path,
        out,
        HSC_SETTINGS,
    )
    fitted = read_fit(out)
    assert fitted["model/observed"].shape == (5, 58, 48)
    assert attrs["chi2_per_dof"] <= 1.2, attrs["chi2_per_dof"]
    # at most laplace_max_gauss_newton parameters: marginal Gauss-Newton sigmas
    assert attrs["laplace_method"] == "gauss_newton_marginal"
    # the resolved dust map, its sigma and its hallucination score, on the map's footprint
    rho = fitted["dust/rho"]
    on = np.isfinite(rho)
    assert on.sum() > 100 and np.all((rho[on] >= 0) & (rho[on] <= 1))
    assert np.all(fitted["dust/ebv_sigma"][on] > 0)
    assert np.all(np.isfinite(fitted["dust/ebv"])) and float(np.max(fitted["dust/ebv"])) > 0
    assert attrs["redshift_source"] == "none (observed frame)"


def test_a_fit_that_ends_on_nan_is_not_converged(truth_and_data):
    # a huge Adam step blows the parameters up and the loop stops on a NaN loss: the best
    # (finite) iterate is returned, but the stop is a divergence, not convergence
    truth, obs = truth_and_data
    res = fit(truth, obs, FitSettings(adam_steps=30, lbfgs_steps=0, learning_rate=1e30))
    assert np.any(~np.isfinite(np.asarray(res.history)[: int(res.n_steps)]))
    assert np.isfinite(float(res.loss))
    assert not bool(res.converged)

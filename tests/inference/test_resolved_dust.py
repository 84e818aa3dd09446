"""Resolved dust maps in a scene fit: an injected lane is recovered where the data can see it,
and its Fisher maps say where the prior decides."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from dustscene.inference.dustfisher import dust_fisher_maps
from dustscene.inference.fit import FitSettings, fit
from dustscene.inference.laplace import laplace
from dustscene.scene import (
    Component,
    Dust,
    FreeMorphology,
    FreeSpectrum,
    NodeMap,
    Observation,
    Scene,
    SersicMorphology,
)
from dustscene.scene.synthetic import BANDS, SIGMA, make_frame, observed_psf
from dustscene.sed.dust import band_k

SIZE = 32
K_BANDS = band_k("calzetti00", "hsc", BANDS)[0]


def lane_map(size: int = SIZE) -> np.ndarray:
    """A weak diffuse screen with one straight lane of E(B-V) 0.35 across the centre."""
    yy, xx = np.indices((size, size), dtype=float)
    d = (yy - 15.5) * np.cos(0.5) - (xx - 15.5) * np.sin(0.5)
    return 0.03 + 0.35 * np.exp(-0.5 * (d / 1.5) ** 2)


def _observe(scene: Scene, noise_seed: int) -> Observation:
    var = np.broadcast_to((SIGMA**2)[:, None, None], (5, SIZE, SIZE))
    empty = Observation.from_variance(np.zeros((5, SIZE, SIZE)), var, observed_psf(), scene.frame)
    clean = np.asarray(empty.render(scene))
    noisy = clean + np.sqrt(var) * np.random.default_rng(noise_seed).standard_normal(var.shape)
    return Observation.from_variance(noisy, var, observed_psf(), scene.frame)


def _galaxy(frame, dust_map) -> Component:
    fluxes = 400.0 * np.array([1.0, 1.6, 2.0, 2.2, 2.3])
    morph = SersicMorphology((15.7, 16.2), n=1.0, r_e=7.0, q=0.8, theta=0.3)
    return Component(FreeSpectrum(fluxes), morph, Dust.from_law(K_BANDS, dust_map))


@pytest.fixture(scope="module")
def lane_fit():
    frame = make_frame(SIZE)
    truth = Scene(frame, (_galaxy(frame, FreeMorphology(lane_map(), floor=0.0)),))
    obs = _observe(truth, 3)
    start = _galaxy(frame, NodeMap(0.05, (0, 0), (SIZE, SIZE), 2.0, sigma_diff=0.1,
                                   sigma_level=0.5))
    template = Scene(frame, (start,))
    result = fit(template, obs, FitSettings(adam_steps=1500, lbfgs_steps=0, learning_rate=0.3))
    return truth, template, obs, result


def _a_g_observable(obs: Observation, scene: Scene) -> np.ndarray:
    """Per-pixel g-band attenuation after the PSF (magnitudes)."""
    att, free = np.asarray(obs.render(scene)), np.asarray(obs.render(scene, dust=False))
    return -2.5 * np.log10(att[0] / free[0])


def test_resolved_map_recovers_an_injected_lane_after_the_psf(lane_fit):
    truth, _, obs, result = lane_fit
    snr = np.asarray(obs.render(truth, dust=False))[2] / SIGMA[2]
    sel = snr > 10
    a_true, a_fit = _a_g_observable(obs, truth)[sel], _a_g_observable(obs, result.scene)[sel]
    r = np.corrcoef(a_true, a_fit)[0, 1]
    slope = np.polyfit(a_true, a_fit, 1)[0]
    # the lane carries A_g up to ~1.5 mag after the PSF: a map that recovers it follows the
    # truth pixel by pixel (r), with the right contrast (slope); a smooth or absent map gives
    # r < 0.5 here (the lane is most of the pixel-to-pixel variance)
    assert r > 0.9, r
    assert 0.8 < slope < 1.2, slope
    ebv = np.asarray(result.scene.ebv_map()[0])
    on = lane_map() > 0.25
    assert ebv[on & sel].mean() - ebv[~on & sel].mean() > 0.15


def test_dust_fisher_maps_flag_where_the_prior_decides(lane_fit):
    truth, template, obs, result = lane_fit
    maps = dust_fisher_maps(template, obs, result.u)
    snr = np.asarray(obs.render(truth, dust=False))[2] / SIGMA[2]
    rho = maps.rho
    assert np.all((rho >= 0) & (rho <= 1))
    # bright centre: the data decide; faint outskirts: the prior does
    assert np.median(rho[snr > 50]) < 0.3
    assert np.median(rho[snr < 1]) > 0.7
    np.testing.assert_allclose(maps.delta_fisher, maps.fisher_prior - maps.fisher_likelihood)
    # sigma shrinks where the data are informative
    assert np.median(maps.ebv_sigma[snr > 50]) < np.median(maps.ebv_sigma[snr < 1])


def test_no_dust_fisher_maps_without_a_resolved_map():
    frame = make_frame(SIZE)
    comp = Component(FreeSpectrum(np.ones(5)), SersicMorphology((16.0, 16.0), 1.0, 4.0))
    scene = Scene(frame, (comp,))
    obs = _observe(scene, 0)
    from dustscene.scene.parameters import to_vector

    assert dust_fisher_maps(scene, obs, to_vector(scene)) is None
    jax.clear_caches()


def test_marginal_dust_sigma_is_wider_than_the_conditional_one(lane_fit):
    """(H^-1)_jj >= 1 / H_jj for a positive definite H: a node's trade with the galaxy's light and
    with its neighbours widens its E(B-V) sigma. (The two differ slightly besides: the marginal
    takes the prior's curvature in the fit's log coordinates, the conditional in E(B-V).)"""
    _, template, obs, result = lane_fit
    cond = dust_fisher_maps(template, obs, result.u)
    lap = laplace(template, obs, result.u, max_dense=0, max_gauss_newton=10**6)
    assert lap.method == "gauss_newton_marginal"
    marg = dust_fisher_maps(template, obs, result.u, lap.hessian_diag, lap.sigma_u)
    on = np.isfinite(cond.ebv_sigma)
    assert on.sum() > 100
    ratio = marg.ebv_sigma[on] / cond.ebv_sigma[on]
    assert ratio.min() > 0.75 and np.median(ratio) > 2.0, (ratio.min(), np.median(ratio))
    # the Fisher diagonals (the hallucination score) do not depend on how sigma was computed
    np.testing.assert_allclose(marg.rho[on], cond.rho[on], rtol=1e-6)

"""The score prior inside the compiled scene fit: a Parameter prior whose gradient is the score."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.inference import FitSettings, fit
from dustscene.inference.sample import prior_parameters
from dustscene.priors import ScoreDensity, ScorePrior, with_score_prior
from dustscene.scene import Component, Frame, FreeMorphology, FreeSpectrum, Observation, Scene
from dustscene.scene.morphology import WaveletMorphology
from dustscene.scene.synthetic import SIGMA, observed_psf

N = 32


class GaussianScore(eqx.Module):
    """Score of an isotropic Gaussian N(mu, v) on peak-normalised images (t ignored)."""

    mu: jax.Array
    v: float = 0.01

    def __call__(self, x, t):
        return -(x - self.mu) / self.v


def _blob(cy: float, cx: float, r: float) -> np.ndarray:
    y, x = np.mgrid[:N, :N]
    img = np.exp(-0.5 * ((y - cy) ** 2 + (x - cx) ** 2) / r**2)
    return img / img.max()


def test_log_prob_is_zero_and_its_gradient_is_the_score() -> None:
    mu = jnp.asarray(_blob(15, 17, 4))
    prior = ScorePrior(GaussianScore(mu), temperature=0.05)
    x = jnp.asarray(3.0 * _blob(14, 16, 5) + 0.01)
    dens = ScoreDensity(prior)
    assert float(dens.log_prob(x)) == 0.0
    peak = float(jnp.max(x))
    expect = prior.grad_log_prior(x / peak) / peak
    np.testing.assert_allclose(jax.grad(dens.log_prob)(x), expect, rtol=1e-12, atol=1e-12)


def test_the_peak_is_over_the_pixels_with_data() -> None:
    """A pixel outside `peak_mask` (no data) brighter than the rest does not rescale the
    image the prior sees: the score equals the one without that pixel's excess."""
    prior = ScorePrior(GaussianScore(jnp.asarray(_blob(15, 17, 4))), temperature=0.05)
    x = 3.0 * _blob(14, 16, 5) + 0.01
    seen = np.ones((N, N), bool)
    seen[:, :4] = False
    bright = x.copy()
    bright[10, 2] = 50.0  # a masked pixel grown far above the galaxy's peak
    dens = ScoreDensity(prior, peak_mask=seen)
    peak = float(x[seen].max())
    expect = prior.grad_log_prior(jnp.asarray(bright) / peak) / peak
    np.testing.assert_allclose(dens.score(jnp.asarray(bright)), expect, rtol=1e-12)
    # without the mask that pixel sets the peak
    free = ScoreDensity(prior).score(jnp.asarray(bright))
    assert not np.allclose(free, expect)


def test_starlet_layout_pulls_every_scale_by_the_image_score() -> None:
    mu = jnp.asarray(_blob(15, 17, 4))
    prior = ScorePrior(GaussianScore(mu))
    coeffs = jnp.asarray(np.stack([0.25 * _blob(14, 16, 5)] * 4))
    g = jax.grad(ScoreDensity(prior, layout="starlet").log_prob)(coeffs)
    img = coeffs.sum(0)
    expect = prior.grad_log_prior(img / img.max()) / img.max()
    for k in range(4):
        np.testing.assert_allclose(g[k], expect, rtol=1e-12)


def test_small_boxes_are_padded_and_wrong_morphologies_refused() -> None:
    prior = ScorePrior(GaussianScore(jnp.zeros((32, 32))))
    x = jnp.asarray(_blob(15, 15, 3)[8:22, 9:21])  # 14 x 12 box -> padded to 32 x 32
    g = jax.grad(ScoreDensity(prior).log_prob)(x)
    np.testing.assert_allclose(g, -x / x.max() / 0.01 / x.max(), rtol=1e-12)
    with pytest.raises(ValueError, match="layout"):
        ScoreDensity(prior, layout="sersic")
    with pytest.raises(TypeError, match="free-pixel or wavelet"):
        with_score_prior(FreeSpectrum([1.0, 2.0]), prior)
    assert isinstance(
        with_score_prior(WaveletMorphology.from_image(_blob(15, 15, 3)), prior).coefficients.prior,
        ScoreDensity,
    )


def _half_masked_problem():
    truth_m = _blob(15.5, 16.5, 3.5)
    sed = np.array([1.0, 1.5, 2.0, 2.2, 2.4]) * 50.0
    frame = Frame(tuple("grizy"), (N, N), psf_sigma=0.7)
    var = np.broadcast_to((SIGMA**2)[:, None, None], (5, N, N)).copy()
    masked = np.zeros((5, N, N), bool)
    masked[:, :, :16] = True  # left half: no data
    truth = Scene(frame, (Component(FreeSpectrum(sed), FreeMorphology(truth_m)),))
    empty = Observation.from_variance(np.zeros((5, N, N)), var, observed_psf(), frame)
    data = np.asarray(empty.render(truth))
    obs = Observation.from_variance(data, var, observed_psf(), frame, mask=masked)
    start = Scene(frame, (Component(FreeSpectrum(sed), FreeMorphology(_blob(16, 16, 6))),))
    return truth_m, obs, start


def test_score_prior_gradient_joins_the_compiled_fit() -> None:
    """Half the pixels see no data: without a prior they stay at the start, with the score
    prior (mean = the truth's shape) the compiled Adam loop moves them to the truth."""
    truth_m, obs, start = _half_masked_problem()
    prior = ScorePrior(GaussianScore(jnp.asarray(truth_m), v=1e-3))
    comp = start.components[0]
    with_p = dataclasses.replace(
        start,
        components=(
            eqx.tree_at(lambda c: c.morphology, comp, with_score_prior(comp.morphology, prior)),
        ),
    )
    settings = FitSettings(adam_steps=800, lbfgs_steps=0, learning_rate=0.5)
    res_p = fit(with_p, obs, settings)
    res_0 = fit(start, obs, settings)

    def left_error(res) -> float:
        m = np.asarray(res.scene.components[0].morphology.image())
        m = m / m.max()
        return float(np.abs(m[:, :8] - truth_m[:, :8]).max())

    err_p, err_0 = left_error(res_p), left_error(res_0)
    assert err_p < 0.05 < err_0, (err_p, err_0)
    # NUTS never sees the improper score prior
    assert prior_parameters(res_p.scene) == {}


def test_score_prior_refuses_a_line_search() -> None:
    truth_m, obs, start = _half_masked_problem()
    comp = start.components[0]
    prior = ScorePrior(GaussianScore(jnp.asarray(truth_m)))
    morph = with_score_prior(comp.morphology, prior)
    scene = dataclasses.replace(
        start, components=(eqx.tree_at(lambda c: c.morphology, comp, morph),)
    )
    with pytest.raises(ValueError, match="Adam-only"):
        fit(scene, obs, FitSettings(adam_steps=5, lbfgs_steps=5))

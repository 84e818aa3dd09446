"""Rendering: flux conservation, the dust term, parameter round trips and exact gradients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.scene import (
    Component,
    Dust,
    FreeMorphology,
    FreeSpectrum,
    Observation,
    PointSourceMorphology,
    Scene,
    SersicMorphology,
    WaveletMorphology,
    from_vector,
    n_free,
    starlet_transform,
    to_vector,
)
from dustscene.scene.synthetic import dusty_galaxy, noiseless_observation, observed_psf


def test_psf_rendering_conserves_flux(frame):
    star = Component(FreeSpectrum([1.0, 2, 3, 4, 5]), PointSourceMorphology([15.3, 16.8]))
    scene = Scene(frame, (star,))
    obs = Observation.from_variance(
        np.zeros((5, 32, 32)), np.ones((5, 32, 32)), observed_psf(), frame
    )
    model = np.asarray(obs.render(scene))
    np.testing.assert_allclose(model.sum((1, 2)), [1, 2, 3, 4, 5], rtol=1e-6)
    # and the observed image of a point source is the observed PSF at that centre
    assert np.unravel_index(model[2].argmax(), model[2].shape) == (15, 17)


def test_sersic_unit_flux_and_centre(frame):
    m = SersicMorphology([16.0, 15.0], n=1.0, r_e=3.0, q=0.7, theta=0.3)
    img = np.asarray(m(frame))
    assert abs(img.sum() - 1) < 3e-3
    yy, xx = np.indices(img.shape)
    assert abs((img * yy).sum() / img.sum() - 16.0) < 0.02
    assert abs((img * xx).sum() / img.sum() - 15.0) < 0.02


def test_zero_dust_equals_dustfree_exactly(frame):
    scene = dusty_galaxy(frame, ebv=0.0)
    obs = noiseless_observation(scene)
    assert np.array_equal(np.asarray(obs.render(scene)), np.asarray(obs.render(scene, dust=False)))
    dusty = dusty_galaxy(frame, ebv=0.3)
    ratio = np.asarray(dusty()) / np.asarray(dusty(dust=False))
    # reddening: blue bands lose more light
    assert np.all(ratio[0] <= ratio[-1] + 1e-12) and ratio[0].min() < 0.5


def test_vector_round_trip(scene_with_star):
    u = to_vector(scene_with_star)
    assert u.shape == (n_free(scene_with_star),)
    back = from_vector(scene_with_star, u)
    np.testing.assert_allclose(
        np.asarray(back()), np.asarray(scene_with_star()), rtol=1e-12, atol=1e-15
    )


def test_gradients_match_finite_differences(scene_with_star):
    obs = noiseless_observation(scene_with_star)
    obs = Observation(obs.data * 1.01 + 0.002, obs.weights, obs.psf, scene_with_star.frame)
    u0 = to_vector(scene_with_star)

    def f(u):
        return -obs.log_likelihood(from_vector(scene_with_star, u))

    g = np.asarray(jax.grad(f)(u0))
    rng = np.random.default_rng(1)
    for _ in range(4):
        v = rng.normal(size=u0.shape)
        eps = 1e-5
        fd = (f(u0 + eps * v) - f(u0 - eps * v)) / (2 * eps)
        np.testing.assert_allclose(float(fd), g @ v, rtol=1e-5)


def test_free_and_wavelet_morphologies_place_their_box(frame):
    patch = np.random.default_rng(0).uniform(0.1, 1, (6, 5))
    fm = FreeMorphology(patch, (3, 4))
    img = np.asarray(fm(frame))
    np.testing.assert_allclose(img[3:9, 4:9], patch)
    assert img.sum() == pytest.approx(patch.sum())
    wm = WaveletMorphology(starlet_transform(patch, 2), (3, 4))
    np.testing.assert_allclose(np.asarray(wm(frame))[3:9, 4:9], patch, rtol=1e-12)
    support = patch > 0.5
    fs = FreeMorphology(patch, (0, 0), support=support)
    assert fs.pixels.value.shape == (support.sum(),)
    np.testing.assert_allclose(np.asarray(fs.image()), np.where(support, patch, 0))


def test_free_opacity_pins_reference_band(frame):
    from dustscene.scene import ProfileMap

    d = Dust(np.array([4.0, 3, 2, 1.5, 1]), ProfileMap(0.1, [16, 16]), free=True, reference=2)
    assert d.s_d.value.shape == (4,)
    np.testing.assert_allclose(np.asarray(d.opacity()), [2.0, 1.5, 1.0, 0.75, 0.5])
    assert float(jnp.min(d.map(frame))) >= 0

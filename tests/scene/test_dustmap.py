"""Resolved dust maps: node interpolation and the smoothness prior."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.scene import NodeMap, SmoothnessPrior
from dustscene.scene.dustmap import hat_weights
from dustscene.scene.synthetic import make_frame


@pytest.mark.parametrize(("n", "spacing"), [(20, 2.0), (21, 3.0), (7, 2.5), (1, 2.0)])
def test_hat_weights_interpolate_linearly(n, spacing):
    w, n_nodes = hat_weights(n, spacing)
    assert w.shape == (n, n_nodes)
    np.testing.assert_allclose(w.sum(1), 1.0)
    # a linear ramp on the nodes is reproduced exactly at every pixel inside the node span
    ramp = np.arange(n_nodes) * spacing
    inside = np.arange(n) <= (n_nodes - 1) * spacing
    np.testing.assert_allclose((w @ ramp)[inside], np.arange(n)[inside], atol=1e-12)


def test_node_map_places_its_box():
    frame = make_frame(24)
    m = NodeMap(0.2, (3, 5), (10, 12), 2.0)
    img = np.asarray(m(frame))
    assert img.shape == frame.shape
    np.testing.assert_allclose(img[3:13, 5:17], 0.2)
    assert img.sum() == pytest.approx(0.2 * 120)
    np.testing.assert_array_equal(m.footprint(frame), img > 0)


def test_smoothness_prior_curvature_is_its_precision_diagonal():
    prior = SmoothnessPrior((4, 5), sigma_diff=0.03, sigma_level=0.5)
    x = jnp.asarray(np.random.default_rng(1).uniform(0, 0.3, (4, 5)))
    hess = jax.hessian(lambda v: -prior.log_prob(v.reshape(4, 5)))(x.ravel())
    np.testing.assert_allclose(np.diag(hess).reshape(4, 5), prior.precision_diagonal(),
                               rtol=1e-10)
    # a constant map pays only the level term; a rough one pays more
    flat = jnp.full((4, 5), 0.1)
    assert float(prior.log_prob(flat)) == pytest.approx(-0.5 * 20 * 0.01 / 0.25)
    assert float(prior.log_prob(x)) < float(prior.log_prob(jnp.full((4, 5), float(x.mean()))))


def test_mean_level_prior_does_not_shrink_with_the_grid():
    """With `sigma_mean` the map's mean has prior sigma sigma_mean on any grid (the per-node
    form gives sigma_level / sqrt(n): a uniform E(B-V) of 0.1 on 32 x 32 nodes costs 20 nats
    there), nodes scatter about the mean, and the curvature is still the precision diagonal."""
    flat = jnp.full((32, 32), 0.1)
    per_node = SmoothnessPrior((32, 32), sigma_diff=0.1, sigma_level=0.5)
    about_mean = SmoothnessPrior((32, 32), sigma_diff=0.1, sigma_level=0.5, sigma_mean=0.3)
    assert float(per_node.log_prob(flat)) == pytest.approx(-0.5 * 1024 * 0.01 / 0.25)
    assert float(about_mean.log_prob(flat)) == pytest.approx(-0.5 * 0.01 / 0.09)
    small = SmoothnessPrior((4, 5), sigma_diff=0.03, sigma_level=0.5, sigma_mean=0.3)
    x = jnp.asarray(np.random.default_rng(2).uniform(0, 0.3, (4, 5)))
    hess = jax.hessian(lambda v: -small.log_prob(v.reshape(4, 5)))(x.ravel())
    np.testing.assert_allclose(np.diag(hess).reshape(4, 5), small.precision_diagonal(),
                               rtol=1e-10)


def test_taper_keeps_the_map_on_the_support():
    """With a taper the map is E x taper: zero off the support, untouched on it; its footprint
    (where Fisher maps are reported) is the support."""
    frame = make_frame(24)
    taper = np.zeros((10, 12))
    taper[2:8, 3:9] = 1.0
    taper[2:8, 9] = 0.4  # a soft edge
    m = NodeMap(0.2, (3, 5), (10, 12), 2.0, taper=taper)
    img = np.asarray(m(frame))
    np.testing.assert_allclose(img[3:13, 5:17], 0.2 * taper)
    assert img.sum() == pytest.approx(0.2 * taper.sum())
    expect = np.zeros(frame.shape, dtype=bool)
    expect[5:11, 8:14] = True
    np.testing.assert_array_equal(m.footprint(frame), expect)
    with pytest.raises(ValueError, match="taper shape"):
        NodeMap(0.2, (3, 5), (10, 12), 2.0, taper=np.ones((12, 10)))

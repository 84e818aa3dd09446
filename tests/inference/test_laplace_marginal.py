"""The Gauss-Newton marginal Laplace is exact where the residuals vanish (its dust-map use:
tests/inference/test_resolved_dust.py)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from dustscene.inference.laplace import gauss_newton_precision, laplace
from dustscene.scene import from_vector, to_vector


def test_gauss_newton_marginal_equals_the_hessian_inverse_at_zero_residual(truth_and_data):
    """At the truth of noiseless data the residual term of the Hessian vanishes, so J^T W J plus
    the prior's Hessian is the whole Hessian: both routes give the same marginal sigmas."""
    truth, obs = truth_and_data
    u = to_vector(truth)
    dense = laplace(truth, obs, u, max_dense=10**6)
    gn = laplace(truth, obs, u, max_dense=0, max_gauss_newton=10**6)
    assert dense.method == "dense_inverse" and gn.method == "gauss_newton_marginal"
    np.testing.assert_allclose(np.asarray(gn.sigma), np.asarray(dense.sigma), rtol=1e-4)


def test_gauss_newton_precision_stored_and_column_routes_equal_the_jacobian_product(
    truth_and_data,
):
    """J^T W J from a stored Jacobian (one product) and column by column (nothing stored) both
    equal the product of jacfwd's Jacobian."""
    truth, obs = truth_and_data
    u = to_vector(truth) * 1.01
    sw = jnp.sqrt(obs.weights)
    jac = np.asarray(jax.jacfwd(lambda v: (sw * obs.render(from_vector(truth, v))).ravel())(u))
    expected = jac.T @ jac
    scale = np.max(np.abs(expected))
    stored = np.asarray(gauss_newton_precision(truth, obs, u, chunk=7))
    columns = np.asarray(gauss_newton_precision(truth, obs, u, chunk=7, max_bytes=0))
    np.testing.assert_allclose(stored, expected, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(columns, expected, rtol=0, atol=1e-10 * scale)

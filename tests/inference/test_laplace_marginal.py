"""The Gauss-Newton marginal Laplace is exact where the residuals vanish (its dust-map use:
tests/inference/test_resolved_dust.py)."""

from __future__ import annotations

import numpy as np

from dustscene.inference.laplace import laplace
from dustscene.scene import to_vector


def test_gauss_newton_marginal_equals_the_hessian_inverse_at_zero_residual(truth_and_data):
    """At the truth of noiseless data the residual term of the Hessian vanishes, so J^T W J plus
    the prior's Hessian is the whole Hessian: both routes give the same marginal sigmas."""
    truth, obs = truth_and_data
    u = to_vector(truth)
    dense = laplace(truth, obs, u, max_dense=10**6)
    gn = laplace(truth, obs, u, max_dense=0, max_gauss_newton=10**6)
    assert dense.method == "dense_inverse" and gn.method == "gauss_newton_marginal"
    np.testing.assert_allclose(np.asarray(gn.sigma), np.asarray(dense.sigma), rtol=1e-4)

"""The one Sersic b_n: the JAX path (fits) agrees with SciPy's exact inverse (mocks) to 1e-12
relative over n in [0.3, 8], and is differentiable twice in n (Laplace needs Hessians)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import gammainc, gammaincinv

from dustscene.sersic import N_MAX, sersic_bn, sersic_bn_asymptotic, sersic_bn_exact

N = np.linspace(0.3, 8.0, 301)


def _fd(n: np.ndarray, h: float) -> np.ndarray:
    return (gammaincinv(2 * (n + h), 0.5) - gammaincinv(2 * (n - h), 0.5)) / (2 * h)


def test_jax_path_matches_scipy_to_1e12():
    exact = np.array([sersic_bn_exact(n) for n in N])
    np.testing.assert_array_equal(exact, gammaincinv(2 * N, 0.5))
    np.testing.assert_allclose(np.asarray(sersic_bn(jnp.asarray(N))), exact, rtol=1e-12)
    np.testing.assert_allclose(gammainc(2 * N, exact), 0.5, rtol=1e-12)  # half the light


def test_above_the_interpolated_domain_the_series_takes_over():
    n = np.array([N_MAX * 1.01, 25.0, 40.0])
    np.testing.assert_allclose(np.asarray(sersic_bn(jnp.asarray(n))), gammaincinv(2 * n, 0.5),
                               rtol=1e-9)


def test_first_and_second_derivatives():
    grad = np.asarray(jax.vmap(jax.grad(sersic_bn))(jnp.asarray(N)))
    np.testing.assert_allclose(grad, _fd(N, 1e-6), rtol=1e-7)
    hess = np.asarray(jax.vmap(jax.hessian(sersic_bn))(jnp.asarray(N)))
    h = 1e-3
    b = [gammaincinv(2 * (N + d), 0.5) for d in (-h, 0.0, h)]
    np.testing.assert_allclose(hess, (b[0] - 2 * b[1] + b[2]) / h**2, atol=1e-4)  # FD: O(h^2)


def test_asymptotic_series_is_not_enough_at_small_n():
    """Why the interpolant: the series alone misses by percent at the lower bound of n."""
    assert abs(float(sersic_bn_asymptotic(0.3)) / sersic_bn_exact(0.3) - 1) > 0.01

"""Sersic b_n, the one definition: an exact NumPy path (the mocks) and a smooth JAX path (the
scene's fitted n, differentiable to any order), tested to agree.

b_n solves P(2n, b_n) = 1/2 (P the regularised lower incomplete gamma), so that R_e encloses half
the light of exp(-b_n (r/R_e)^(1/n)). JAX has no inverse incomplete gamma, and Newton steps on
its `gammainc` cannot be differentiated twice (no rule for d/da twice; Laplace needs Hessians),
so the JAX path is a Chebyshev interpolant of the exact b_n in log n, fixed at import.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike
from numpy.polynomial import chebyshev
from scipy.special import gammaincinv

N_MIN, N_MAX = 0.2, 16.0  # interpolated domain of n; above it the asymptotic series (< 1e-9)
_DEGREE = 30  # 2e-13 relative on [N_MIN, N_MAX] (tests)
_LOG_LO, _LOG_HI = np.log(N_MIN), np.log(N_MAX)


def sersic_bn_exact(n: float) -> float:
    """b_n by SciPy's inverse incomplete gamma (exact; the mocks use it)."""
    return float(gammaincinv(2.0 * n, 0.5))


def sersic_bn_asymptotic(n: ArrayLike) -> Array:
    """Ciotti & Bertin (1999) series: 2e-6 relative at n = 2, but 2.6 % at n = 0.3."""
    n = jnp.asarray(n)
    return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n**2) + 131 / (1148175 * n**3)


def _to_unit(log_n: np.ndarray | Array) -> np.ndarray | Array:
    """log n on [log N_MIN, log N_MAX] -> [-1, 1]."""
    return 2.0 * (log_n - _LOG_LO) / (_LOG_HI - _LOG_LO) - 1.0


def _exact_on_unit(u: np.ndarray) -> np.ndarray:
    n = np.exp(_LOG_LO + 0.5 * (u + 1.0) * (_LOG_HI - _LOG_LO))
    return gammaincinv(2.0 * n, 0.5)


_COEFFS = tuple(float(c) for c in chebyshev.chebinterpolate(_exact_on_unit, _DEGREE))


def _clenshaw(u: Array) -> Array:
    """Chebyshev series sum_k c_k T_k(u) (Clenshaw recurrence)."""
    b1 = b2 = jnp.zeros_like(u)
    for c in _COEFFS[:0:-1]:
        b1, b2 = 2.0 * u * b1 - b2 + c, b1
    return u * b1 - b2 + _COEFFS[0]


def sersic_bn(n: ArrayLike) -> Array:
    """b_n in JAX, smooth in n (valid for n >= N_MIN): the interpolant, the series above N_MAX."""
    n = jnp.asarray(n)
    above = n > N_MAX
    u = jnp.where(above, 1.0, _to_unit(jnp.log(n)))  # the unused branch stays finite
    return jnp.where(above, sersic_bn_asymptotic(n), _clenshaw(u))

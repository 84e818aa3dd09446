"""The inferred parameter vector theta and its exact map to and from dustscene.sed.SEDParams.

theta (10 numbers, all inside a box, uniform under the default prior):
  log_mass, sfh_u1, sfh_u2, sfh_u3, f_burst, t_burst, log_z, tau_bc, tau_ism, n_dust.
The 4 SFH simplex weights become K-1 = 3 stick-breaking fractions v_k = w_k / (1 - sum_{j<k} w_j),
and each v_k is pushed through its Beta(1, K-k) CDF, u_k = 1 - (1 - v_k)^(K-k). Under the flat
Dirichlet(1, 1, 1, 1) of `dustscene.sed.sample_prior`, v_k ~ Beta(1, K-k) independently, so the
u_k are exactly Uniform(0, 1): the prior on theta is a box and an sbi `BoxUniform`.
Redshift is a condition (part of x), never inferred.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from dustscene.sed import DEFAULT_RANGES, SEDParams
from dustscene.sed.sfh import N_BASIS

SFH_NAMES = tuple(f"sfh_u{k + 1}" for k in range(N_BASIS - 1))
THETA_NAMES: tuple[str, ...] = (
    "log_mass", *SFH_NAMES, "f_burst", "t_burst", "log_z", "tau_bc", "tau_ism", "n_dust",
)
THETA_LABELS: dict[str, str] = {
    "log_mass": r"$\log M_\star$", "sfh_u1": "$u_1$", "sfh_u2": "$u_2$", "sfh_u3": "$u_3$",
    "f_burst": r"$f_{\rm burst}$", "t_burst": r"$t_{\rm burst}$", "log_z": r"$\log Z$",
    "tau_bc": r"$\tau_{\rm BC}$", "tau_ism": r"$\tau_{\rm ISM}$", "n_dust": r"$n_{\rm dust}$",
}
N_THETA = len(THETA_NAMES)
_EPS = 1e-12


def theta_bounds(
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the theta box; SFH coordinates are (0, 1), the rest from DEFAULT_RANGES."""
    unknown = set(ranges or {}) - set(DEFAULT_RANGES)
    if unknown:
        raise ValueError(f"unknown prior range(s) {sorted(unknown)}; valid: {list(DEFAULT_RANGES)}")
    r = {**DEFAULT_RANGES, **(ranges or {})}
    lo = [0.0 if n in SFH_NAMES else r[n][0] for n in THETA_NAMES]
    hi = [1.0 if n in SFH_NAMES else r[n][1] for n in THETA_NAMES]
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def weights_to_u(weights: Float[ArrayLike, "n basis"]) -> Float[Array, "n k"]:
    """Simplex weights (n, K) -> uniform stick-breaking coordinates u (n, K-1)."""
    w = jnp.asarray(weights)
    remaining = 1.0 - jnp.cumsum(w, axis=1) + w  # mass left before stick k
    v = jnp.clip(w[:, :-1] / jnp.maximum(remaining[:, :-1], _EPS), 0.0, 1.0)
    power = jnp.arange(N_BASIS - 1, 0, -1, dtype=w.dtype)  # K-k for k = 1..K-1
    return 1.0 - (1.0 - v) ** power


def u_to_weights(u: Float[ArrayLike, "n k"]) -> Float[Array, "n basis"]:
    """Uniform stick-breaking coordinates u (n, K-1) -> simplex weights (n, K)."""
    u = jnp.clip(jnp.asarray(u), 0.0, 1.0)
    power = jnp.arange(N_BASIS - 1, 0, -1, dtype=u.dtype)
    v = 1.0 - (1.0 - u) ** (1.0 / power)
    left = jnp.cumprod(1.0 - v, axis=1)  # stick left after each break
    before = jnp.concatenate([jnp.ones_like(v[:, :1]), left[:, :-1]], axis=1)
    return jnp.concatenate([v * before, left[:, -1:]], axis=1)


def params_to_theta(params: SEDParams) -> Float[Array, "n theta"]:
    """SEDParams (n galaxies) -> theta (n, 10) in THETA_NAMES order; redshift is dropped."""
    u = weights_to_u(params.sfh_weights)
    cols = [params.log_mass[:, None], u] + [
        getattr(params, n)[:, None] for n in THETA_NAMES[1 + len(SFH_NAMES):]
    ]
    return jnp.concatenate(cols, axis=1)


def theta_to_params(
    theta: Float[ArrayLike, "n theta"], redshift: Float[ArrayLike, " n"]
) -> SEDParams:
    """theta (n, 10) and redshift (n,) -> SEDParams for dustscene.sed.photometry."""
    t = jnp.asarray(theta)
    k = 1 + len(SFH_NAMES)
    rest = {n: t[:, k + i] for i, n in enumerate(THETA_NAMES[k:])}
    return SEDParams(
        log_mass=t[:, 0], sfh_weights=u_to_weights(t[:, 1:k]),
        redshift=jnp.asarray(redshift, dtype=t.dtype), **rest,
    )

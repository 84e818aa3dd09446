"""Fisher information of the score prior: F_P = -diag(d score / dx) of a morphology.

A score model gives grad log p only, so its Hessian diagonal is that of the score's Jacobian:
exact by forward-mode columns on small stamps, or by Hutchinson probes (Rademacher z:
diag ~ <z * (J z)>, exact on the identity part since z^2 = 1), as in Sampson et al. 2024
(arXiv:2401.07313). The likelihood's side is `inference.laplace.gauss_newton_diagonal`.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

Score = Callable[[Float[Array, "y x"]], Float[Array, "y x"]]


def prior_fisher_exact(score: Score, x: Float[Array, "y x"]) -> Float[Array, "y x"]:
    """F_P = -diag(d score / dx) by a full forward Jacobian (small stamps only: y*x JVPs)."""
    n = x.size
    flat = lambda v: score(v.reshape(x.shape)).ravel()  # noqa: E731
    jac = jax.jacfwd(flat)(x.ravel())
    return -jnp.diag(jac).reshape(x.shape) if n else jnp.zeros_like(x)


def prior_fisher_hutchinson(
    score: Score,
    x: Float[Array, "y x"],
    *,
    key: PRNGKeyArray,
    n_probes: int = 100,
    chunk: int = 25,
) -> Float[Array, "y x"]:
    """F_P = -diag(J) ~ -mean_k z_k * (J z_k), Rademacher z_k, JVPs in vmapped chunks."""
    n_chunks = -(-n_probes // chunk)
    z = jax.random.rademacher(key, (n_chunks * chunk, *x.shape), dtype=x.dtype)
    z = z.reshape(n_chunks, chunk, *x.shape)

    def one(zk: Array) -> Array:
        return zk * jax.jvp(score, (x,), (zk,))[1]

    sums = jax.lax.map(lambda zc: jnp.sum(jax.vmap(one)(zc), axis=0), z)
    # exactly n_probes probes: drop the padding of the last chunk
    total = jnp.sum(sums, axis=0)
    if n_chunks * chunk != n_probes:
        extra = z.reshape(-1, *x.shape)[n_probes:]
        total = total - jnp.sum(jax.vmap(one)(extra), axis=0)
    return -total / n_probes

"""Diagonal Fisher information of one morphology (and its dust map): likelihood and score prior.

Likelihood (Gaussian, exact): the model of band c is D_c * (s_c m exp(-tau_c)), D_c the
observation's difference kernel, so -d^2 log L / dm_j^2 = sum_c s_c^2 exp(-2 tau_c,j)
(W_c corr D_c^2)_j. Prior: F_P = -diag(d s_t / dx) by Hutchinson probes (Rademacher z:
diag ~ <z * (J z)>, exact on the identity part since z^2 = 1), as in Sampson et al. 2024
(arXiv:2401.07313).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from dustscene.scene import Observation

Score = Callable[[Float[Array, "y x"]], Float[Array, "y x"]]


def weights_corr_kernel2(obs: Observation) -> Float[Array, "band y x"]:
    """(W_c corr D_c^2)_j = sum_i W_c,i D_c(i - j)^2 on the model pixels, on the circular
    padded grid exactly as `Observation.render` convolves."""
    fy, fx = obs.fft_shape
    ny, nx = obs.data.shape[-2:]
    kernel = jnp.fft.irfft2(obs.kernel_fft, s=obs.fft_shape)  # centred at (0, 0), wrapped
    w = jnp.pad(obs.weights, ((0, 0), (0, fy - ny), (0, fx - nx)))
    prod = jnp.fft.rfft2(w) * jnp.conj(jnp.fft.rfft2(kernel**2))
    return jnp.fft.irfft2(prod, s=obs.fft_shape)[:, :ny, :nx]


def likelihood_fisher_morphology(
    obs: Observation,
    spectrum: Float[Array, " band"],
    tau: Float[Array, "band y x"] | None = None,
) -> Float[Array, "y x"]:
    """F_L,jj = sum_c s_c^2 exp(-2 tau_c,j) (W_c corr D_c^2)_j for the morphology pixels m_j."""
    att2 = jnp.ones_like(obs.data) if tau is None else jnp.exp(-2.0 * tau)
    return jnp.sum(spectrum[:, None, None] ** 2 * att2 * weights_corr_kernel2(obs), axis=0)


def likelihood_fisher_dust(
    obs: Observation,
    attenuated: Float[Array, "band y x"],
    opacity: Float[Array, " band"],
) -> Float[Array, "y x"]:
    """F_L,jj = sum_c s_d,c^2 A_c,j^2 (W_c corr D_c^2)_j for the dust map m_d (A: the dusty
    component's attenuated cube on the model frame). Gauss-Newton: equals -Hessian where the
    residual vanishes."""
    a2 = attenuated**2 * opacity[:, None, None] ** 2
    return jnp.sum(a2 * weights_corr_kernel2(obs), axis=0)


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

"""Laplace uncertainties: the Hessian of the negative log posterior in unconstrained space, mapped
back.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from dustscene.scene.observation import Observation
from dustscene.scene.parameters import constrained_vector, from_vector, log_prior
from dustscene.scene.scene import Scene

from .fit import loss_function


@dataclasses.dataclass
class LaplaceResult:
    """Per-parameter sigma (constrained units, flat order of `to_vector`) and how it was
    obtained."""

    sigma: Array
    method: str
    hessian_diag: Array
    sigma_u: Array | None = None  # marginal sigmas in unconstrained space (gauss_newton_marginal)


def _hessian_columns(f, u: Array, chunk: int) -> Array:
    """Full Hessian by Hessian-vector products, `chunk` columns at a time (bounded memory)."""
    n = u.shape[0]
    grad = jax.grad(f)

    def hvp(v):
        return jax.jvp(grad, (u,), (v,))[1]

    eye = jnp.eye(n)
    return jax.lax.map(hvp, eye, batch_size=min(chunk, n))


def _marginal_sigma_u(h: Array, rel_floor: float = 1e-12) -> Array:
    """sqrt(diag(H^-1)), with eigenvalues floored at `rel_floor` times the largest so flat
    directions give large, finite sigmas."""
    h = 0.5 * (h + h.T)
    lam, vec = jnp.linalg.eigh(h)
    floor = rel_floor * jnp.max(jnp.abs(lam))
    inv = 1.0 / jnp.maximum(lam, floor)
    return jnp.sqrt(jnp.einsum("ik,k,ik->i", vec, inv, vec))


def _jacobian_diag(template: Scene, u: Array) -> Array:
    """d(constrained value)/du per parameter (every constraint map is elementwise)."""
    return jax.jvp(
        lambda v: constrained_vector(from_vector(template, v)), (u,), (jnp.ones_like(u),)
    )[1]


def _laplace_impl(template, observation, u, dense: bool, chunk: int):
    def f(v):
        return loss_function(template, observation, v)

    h = _hessian_columns(f, u, chunk)
    diag = jnp.diag(h)
    if dense:
        sig_u = _marginal_sigma_u(h)
    else:
        sig_u = 1.0 / jnp.sqrt(jnp.maximum(diag, 1e-300))
    return jnp.abs(_jacobian_diag(template, u)) * sig_u, diag


def _gauss_newton_columns(template, observation, u, index: Array, chunk: int) -> Array:
    """(J^T W J)_jj of the rendered model for the unconstrained entries `index`, one forward
    pass per entry (`chunk` at a time): the likelihood's Fisher diagonal, no prior."""
    sw = jnp.sqrt(observation.weights)

    def model(v):
        return sw * observation.render(from_vector(template, v))

    def col2(j):
        e = jnp.zeros_like(u).at[j].set(1.0)
        return jnp.sum(jax.jvp(model, (u,), (e,))[1] ** 2)

    return jax.lax.map(col2, index, batch_size=min(chunk, index.shape[0]))


@eqx.filter_jit
def gauss_newton_diagonal(
    template: Scene, observation: Observation, u: Float[Array, " n"], index: Array, chunk: int = 64
) -> Float[Array, " m"]:
    """diag(J^T W J) in the unconstrained coordinates `u` for the entries `index` (per-node
    likelihood Fisher of a dust map, or every parameter's conditional precision)."""
    return _gauss_newton_columns(template, observation, u, index, chunk)


def _gauss_newton_diag_impl(template, observation, u, chunk: int):
    """Conditional sigmas 1/sqrt((J^T W J)_jj) of every parameter (no Hessian, no prior): n
    forward passes instead of n HVPs."""
    diag = _gauss_newton_columns(template, observation, u, jnp.arange(u.shape[0]), chunk)
    sig_u = 1.0 / jnp.sqrt(jnp.maximum(diag, 1e-300))
    return jnp.abs(_jacobian_diag(template, u)) * sig_u, diag


# largest Jacobian (bytes) that the Gauss-Newton precision stores to form J^T W J in one product
JACOBIAN_MAX_BYTES = 1 << 30


def gauss_newton_precision(
    template: Scene, observation: Observation, u: Float[Array, " n"], chunk: int = 64,
    max_bytes: int = JACOBIAN_MAX_BYTES,
) -> Float[Array, "n n"]:
    """J^T W J of the rendered model at `u` (unconstrained coordinates).

    When the Jacobian fits in `max_bytes` its columns come from one linearised forward pass
    each and J^T W J from one matrix product (half the passes of the alternative, and BLAS does
    the pairing); otherwise column by column as J^T (W J e_j), a forward and a transposed pass
    each, nothing stored. Same matrix either way, to rounding.
    """
    sw = jnp.sqrt(observation.weights)

    def model(v):
        return (sw * observation.render(from_vector(template, v))).ravel()

    n = u.shape[0]
    _, f_jvp = jax.linearize(model, u)

    def unit(j):
        return jnp.zeros_like(u).at[j].set(1.0)

    if n * sw.size * u.dtype.itemsize <= max_bytes:
        jac_t = jax.lax.map(lambda j: f_jvp(unit(j)), jnp.arange(n), batch_size=min(chunk, n))
        return jac_t @ jac_t.T
    f_vjp = jax.linear_transpose(f_jvp, u)
    return jax.lax.map(lambda j: f_vjp(f_jvp(unit(j)))[0], jnp.arange(n),
                       batch_size=min(chunk, n))


def _gauss_newton_marginal_impl(template, observation, u, chunk: int):
    """Marginal sigmas sqrt(diag(H^-1)) with H = J^T W J + the log prior's Hessian: the
    Gauss-Newton posterior precision, positive semi-definite away from an exact optimum where
    the full Hessian is not (`gauss_newton_precision`); eigenvalues below 1e-9 of the largest
    (the prior's non-convex corners, the spectrum-morphology scale) are floored.
    Returns (sigma, diag(J^T W J), sigma in unconstrained space)."""
    h_like = gauss_newton_precision(template, observation, u, chunk)
    h_prior = jax.hessian(lambda v: -log_prior(from_vector(template, v)))(u)
    sig_u = _marginal_sigma_u(h_like + h_prior, rel_floor=1e-9)
    return jnp.abs(_jacobian_diag(template, u)) * sig_u, jnp.diag(h_like), sig_u


@eqx.filter_jit
def _gauss_newton_marginal_jit(template, observation, u, chunk):
    return _gauss_newton_marginal_impl(template, observation, u, chunk)


@eqx.filter_jit
def _gauss_newton_jit(template, observation, u, chunk):
    return _gauss_newton_diag_impl(template, observation, u, chunk)


@eqx.filter_jit
def _laplace_jit(template, observation, u, dense, chunk):
    return _laplace_impl(template, observation, u, dense, chunk)


@eqx.filter_jit
def _laplace_batch_jit(template, observations, u, dense, chunk):
    return jax.vmap(lambda o, v: _laplace_impl(template, o, v, dense, chunk))(observations, u)


def laplace(
    template: Scene,
    observation: Observation,
    u: Float[Array, " n"],
    *,
    max_dense: int = 4000,
    max_gauss_newton: int = 0,
    chunk: int = 64,
) -> LaplaceResult:
    """Sigmas at the best fit `u`: marginal (H^-1 diagonal) up to `max_dense` parameters; then
    marginal under the Gauss-Newton precision J^T W J + prior Hessian up to `max_gauss_newton`
    (the dust map's sigmas then include its trade with the stellar light); else conditional
    1/sqrt((J^T W J)_jj) (Gauss-Newton diagonal; ignores correlations and priors, so it
    underestimates marginal sigmas of correlated parameters: neighbouring free pixels, a dust
    node and the free light under it).

    Cost: dense = n Hessian-vector products plus an n^3 eigendecomposition (HSC cutout, 1250
    free pixels: ~65 s on 2 cores); Gauss-Newton diagonal = n forward passes (a few seconds).
    """
    if u.shape[0] <= max_dense:
        sigma, diag = _laplace_jit(template, observation, u, True, chunk)
        return LaplaceResult(sigma, "dense_inverse", diag)
    if u.shape[0] <= max_gauss_newton:
        sigma, diag, sig_u = _gauss_newton_marginal_jit(template, observation, u, chunk)
        return LaplaceResult(sigma, "gauss_newton_marginal", diag, sig_u)
    sigma, diag = _gauss_newton_jit(template, observation, u, chunk)
    return LaplaceResult(sigma, "gauss_newton_diagonal", diag)


def laplace_batch(
    template: Scene, observations: Observation, u: Float[Array, "batch n"], *, chunk: int = 64
) -> Array:
    """Marginal Laplace sigmas for a batch of fits (stacked observations), one compiled call."""
    sigma, _ = _laplace_batch_jit(template, observations, u, True, chunk)
    return sigma

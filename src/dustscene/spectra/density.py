"""log p(latents): a full-covariance Gaussian mixture fitted by EM (the alternative to the
default latent flow, `dustscene.spectra.flow`), differentiable in JAX.

Kept as the `spectra.density: gmm` option: EM fits it deterministically in well under a second
and its log density is a logsumexp of quadratics. The flow is the default because it is the
better density estimator on held-out latents (see the prior's manifest, `density_heldout`).
Both expose `log_prob`, `starts` (multi-start points) and `scale()` (`LatentDensity`).
"""

from __future__ import annotations

import logging
import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jaxtyping import Array, Float

from .flow import LatentFlow, kmeans_pp

log = logging.getLogger(__name__)


class GaussianMixture(eqx.Module):
    """K full-covariance Gaussians in S dimensions; precision given by its Cholesky factor."""

    log_weights: Float[Array, " k"]
    means: Float[Array, "k s"]
    prec_chol: Float[Array, "k s s"]  # triangular P with precision = P P^T

    @property
    def starts(self) -> Float[Array, "k s"]:
        """Component means, heaviest first (multi-start points of latent fits)."""
        return self.means[jnp.argsort(-self.log_weights)]

    def scale(self) -> Array:
        """RMS component width per dimension (a step size for latent fits)."""
        return jnp.sqrt(jnp.mean(1.0 / jnp.sum(self.prec_chol**2, axis=2)))

    def log_prob(self, x: Float[Array, " s"]) -> Float[Array, ""]:
        """log density at one point x."""
        d = x[None, :] - self.means  # (k, s)
        y = jnp.einsum("ks,kst->kt", d, self.prec_chol)
        log_det = jnp.sum(jnp.log(jnp.diagonal(self.prec_chol, axis1=1, axis2=2)), axis=1)
        s = x.shape[0]
        comp = -0.5 * jnp.sum(y * y, axis=1) + log_det - 0.5 * s * math.log(2 * math.pi)
        return logsumexp(self.log_weights + comp)


LatentDensity = GaussianMixture | LatentFlow  # what log p(latents) can be


def _prec_chol(cov: np.ndarray) -> np.ndarray:
    """Triangular P with P P^T = covariance^-1: P = (L_c^-1)^T for covariance = L_c L_c^T."""
    out = np.empty_like(cov)
    for k, c in enumerate(cov):
        lc = np.linalg.cholesky(c)
        inv = np.linalg.solve(lc, np.eye(c.shape[0]))  # L_c^{-1}
        out[k] = inv.T
    return out


def _log_resp(x: np.ndarray, w: np.ndarray, mu: np.ndarray, pc: np.ndarray) -> np.ndarray:
    d = x[:, None, :] - mu[None]  # (n, k, s)
    y = np.einsum("nks,kst->nkt", d, pc)
    log_det = np.sum(np.log(np.abs(np.diagonal(pc, axis1=1, axis2=2))), axis=1)
    return (np.log(w)[None] - 0.5 * np.sum(y * y, axis=2) + log_det[None]
            - 0.5 * x.shape[1] * math.log(2 * math.pi))


def fit_gmm(
    x: Float[np.ndarray, "n s"],
    n_components: int,
    *,
    seed: int,
    n_iter: int = 200,
    reg: float = 1e-4,
    tol: float = 1e-7,
) -> GaussianMixture:
    """EM fit (k-means++ initialisation from `seed`); `reg` x mean variance is added to each
    covariance so no component collapses."""
    x = np.asarray(x, dtype=np.float64)
    n, s = x.shape
    k = int(min(n_components, n))
    if k < 1:
        raise ValueError("fit_gmm needs at least one point and one component")
    mu = kmeans_pp(x, k, np.random.default_rng(seed))
    eps = reg * float(np.mean(np.var(x, axis=0)))
    cov = np.repeat((np.cov(x.T) + eps * np.eye(s))[None], k, axis=0)
    w = np.full(k, 1.0 / k)
    prev = -np.inf
    it = 0
    for it in range(n_iter):  # noqa: B007 (reported after the loop)
        lr = _log_resp(x, w, mu, _prec_chol(cov))
        norm = np.logaddexp.reduce(lr, axis=1)
        ll = float(np.mean(norm))
        r = np.exp(lr - norm[:, None])
        nk = r.sum(0) + 1e-10
        w = nk / n
        mu = (r.T @ x) / nk[:, None]
        d = x[:, None, :] - mu[None]
        cov = np.einsum("nk,nks,nkt->kst", r, d, d) / nk[:, None, None] + eps * np.eye(s)[None]
        if abs(ll - prev) < tol * max(abs(ll), 1.0):
            break
        prev = ll
    log.info("GMM: %d components, %d EM iterations, mean log p %.3f", k, it + 1, ll)
    return GaussianMixture(
        log_weights=jnp.asarray(np.log(w)), means=jnp.asarray(mu),
        prec_chol=jnp.asarray(_prec_chol(cov)),
    )

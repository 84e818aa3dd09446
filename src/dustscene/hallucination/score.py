"""Hallucination score: where the prior, not the data, sets a morphology pixel (dF = F_P - F_L).

Sampson et al. 2024 (arXiv:2401.07313): dF > 0 marks prior-dominated pixels; the bounded
rho = F_P / (F_P + F_L) compares across temperatures and S/N. Always report t with F_P.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float


class HallucinationMaps(eqx.Module):
    """Per-pixel F_L, F_P, dF and rho of one morphology at prior temperature t."""

    f_l: Float[Array, "y x"]
    f_p: Float[Array, "y x"]
    temperature: float = eqx.field(static=True)

    @property
    def delta(self) -> Float[Array, "y x"]:
        return self.f_p - self.f_l

    @property
    def rho(self) -> Float[Array, "y x"]:
        """F_P / (F_P + F_L), in [0, 1] where F_P >= 0 (negative F_P clipped to 0)."""
        fp = jnp.maximum(self.f_p, 0.0)
        return fp / jnp.maximum(fp + self.f_l, 1e-30)

    def confidence(self, morphology: Float[Array, "y x"]) -> Float[Array, ""]:
        """Per-source confidence sum(-dF * m): large and positive when the data lead."""
        return jnp.sum(-self.delta * morphology)

    def prior_dominated_flux_fraction(self, morphology: Float[Array, "y x"]) -> Float[Array, ""]:
        """Fraction of the morphology's flux in pixels with dF > 0."""
        return jnp.sum(jnp.where(self.delta > 0, morphology, 0.0)) / jnp.sum(morphology)


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve of `score` for boolean `label` (Mann-Whitney U, ties halved)."""
    s = np.asarray(score, dtype=float).ravel()
    y = np.asarray(label, dtype=bool).ravel()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty_like(s)
    ranks[order] = np.arange(1, s.size + 1)
    # average ranks over ties
    _, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / counts)[inv]
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))

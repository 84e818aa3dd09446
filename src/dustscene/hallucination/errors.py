"""How well rho flags a score-prior fit's errors: large-error and on-source pixels against the
noiseless truth, and the AUC of rho for the large errors (numpy only, so figures need no JAX).

Sampson et al. 2024 (arXiv:2401.07313): where the prior, not the data, sets a pixel
(dF = F_P - F_L > 0, rho = F_P / (F_P + F_L) > 1/2), the fit can miss the truth unseen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from jaxtyping import Float


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


def large_error_pixels(
    model: Float[np.ndarray, "band y x"],
    truth: Float[np.ndarray, "band y x"],
    variance: Float[np.ndarray, "band y x"],
    n_sigma: float = 3.0,
) -> np.ndarray:
    """(y, x) True where the model misses the noiseless truth by > n_sigma in any band."""
    return np.max(np.abs(np.asarray(model) - truth) / np.sqrt(variance), axis=0) > n_sigma


def on_source_pixels(light: Float[np.ndarray, "band y x"], frac: float = 0.02) -> np.ndarray:
    """(y, x) True where the band-summed noiseless light exceeds `frac` of its peak."""
    img = np.sum(light, axis=0)
    return img > frac * img.max()


def large_error_auc(rho: np.ndarray, large: np.ndarray, on_source: np.ndarray) -> float:
    """AUC of rho for the large-error pixels among on-source pixels with a rho (nan if one
    class is empty)."""
    keep = np.asarray(on_source) & np.isfinite(rho)
    return auc(np.asarray(rho)[keep], np.asarray(large)[keep])


def scene_errors(
    fit: dict[str, Any],
    dustfree: Float[np.ndarray, "band y x"],
    attenuated: Float[np.ndarray, "band y x"],
    variance: Float[np.ndarray, "band y x"],
) -> dict[str, Any]:
    """On-source and large-error pixels of a mock's score-prior fit (`io.fitfile.read_fit`
    of it; the mock's noiseless dust-free and attenuated light and its variance), the AUC of
    its rho for the large errors, and the share of the fit's on-source light in
    prior-dominated pixels."""
    rho = np.asarray(fit["hallucination/rho"], float)
    delta = np.asarray(fit["hallucination/delta_fisher"], float)
    on = on_source_pixels(dustfree)
    large = large_error_pixels(fit["model/observed"], attenuated, variance)
    light = np.where(on, np.sum(np.asarray(fit["model/dustfree_observed"], float), axis=0), 0.0)
    return {
        "on_source": on,
        "large_error": large,
        "auc_large_error": large_error_auc(rho, large, on),
        "prior_dominated_flux_fraction": float(np.sum(np.where(delta > 0, light, 0.0))
                                               / np.sum(light)),
    }

"""Why a fit failed: a heuristic cause read off where its chi^2 sits in the residual map."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

F64 = NDArray[np.float64]
CHI2_FAILURE = 3.0  # chi^2 per dof above which a mock fit counts as failed
CAUSE_SKY = "sky / edge"
CAUSE_COMPACT = "compact residuals (unmodelled clumps / point sources)"
CAUSE_EXTENDED = "extended colour residuals (colour gradient / dust structure)"
CAUSE_NONE = "no excess chi2 in the residuals"
EDGE_DENSITY_RATIO = 0.5  # edge excess per pixel over interior excess per pixel
COMPACT_SHARE = 0.5  # share of the excess held by the few brightest blobs
COMPACT_AREA = 0.05  # those blobs cover less than this fraction of the stamp
N_BLOBS = 3


def excess_chi2_map(residuals: F64, weights: F64) -> F64:
    """Per-pixel chi^2 summed over bands, minus its expectation (one per used band), floor 0."""
    w = np.asarray(weights, dtype=np.float64)
    chi2 = np.sum(w * np.asarray(residuals, dtype=np.float64) ** 2, axis=0)
    return np.clip(chi2 - np.sum(w > 0, axis=0), 0.0, None)


def edge_density_ratio(excess: F64) -> float:
    """Mean excess in the outer border (a tenth of the stamp, >= 2 px) over the interior mean."""
    ny, nx = excess.shape
    width = max(2, min(ny, nx) // 10)
    edge = np.ones_like(excess, dtype=bool)
    edge[width:ny - width, width:nx - width] = False
    inner = excess[~edge].mean() if (~edge).any() else 0.0
    return float(excess[edge].mean() / inner) if inner > 0 else float("inf")


def compact_share(excess: F64) -> tuple[float, float]:
    """(share of the excess in the N_BLOBS strongest connected blobs, their area fraction)."""
    total = excess.sum()
    if total <= 0:
        return 0.0, 0.0
    hot = excess > max(np.percentile(excess, 90), 0.0) if np.any(excess > 0) else excess > 0
    labels, n = ndimage.label(hot)
    if n == 0:
        return 0.0, 0.0
    idx = np.arange(1, n + 1)
    sums = ndimage.sum_labels(excess, labels, idx)
    areas = ndimage.sum_labels(np.ones_like(excess), labels, idx)
    top = np.argsort(sums)[::-1][:N_BLOBS]
    grown = ndimage.binary_dilation(np.isin(labels, idx[top]), iterations=2)
    return float(excess[grown].sum() / total), float(areas[top].sum() / excess.size)


def likely_cause(residuals: F64, weights: F64) -> dict[str, float | str]:
    """A guess at why the model misses the data, with the numbers the guess rests on.

    Sky / edge when the border carries as much excess chi^2 per pixel as the interior (a galaxy
    mismatch concentrates centrally); compact when a few small blobs hold most of it;
    otherwise extended residuals over the disk.
    """
    excess = excess_chi2_map(residuals, weights)
    if excess.sum() <= 0:
        return {"likely_cause": CAUSE_NONE, "edge_density_ratio": 0.0, "compact_share": 0.0}
    ratio = edge_density_ratio(excess)
    share, area = compact_share(excess)
    if ratio >= EDGE_DENSITY_RATIO:
        cause = CAUSE_SKY
    elif share >= COMPACT_SHARE and area < COMPACT_AREA:
        cause = CAUSE_COMPACT
    else:
        cause = CAUSE_EXTENDED
    return {"likely_cause": cause, "edge_density_ratio": ratio, "compact_share": share}

"""Point statistics of inferred minus true: bias, NMAD, RMS, Pearson r, slope."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from dustscene.io.atomic import json_safe

NMAD_SCALE = 1.4826  # makes the NMAD of a Gaussian equal its sigma


@dataclass(frozen=True)
class PixelStats:
    """Agreement of an inferred with a true map over selected pixels."""

    bias: float
    nmad: float
    rms: float
    pearson_r: float
    slope: float
    n_pixels: int

    def as_dict(self) -> dict[str, float | int | None]:
        """Plain values for JSON; an undefined statistic (NaN) becomes null."""
        return json_safe(asdict(self))


def nmad(d: Float[NDArray, " n"]) -> float:
    """Normalised median absolute deviation, 1.4826 median |d - median d| (robust sigma)."""
    d = np.asarray(d, dtype=np.float64)
    return float(NMAD_SCALE * np.median(np.abs(d - np.median(d))))


def pixel_stats(inferred: Float[NDArray, " n"], true: Float[NDArray, " n"]) -> PixelStats:
    """Bias (median of inferred - true), NMAD, RMS, Pearson r and OLS slope of inferred on true.

    r and slope are NaN when the truth has no spread (a dust-free mock): they are undefined.
    """
    x = np.asarray(true, dtype=np.float64).ravel()
    y = np.asarray(inferred, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"inferred {y.shape} and true {x.shape} differ in size")
    if x.size == 0:
        raise ValueError("no pixels selected")
    d = y - x
    sx = np.std(x)
    if sx > 0 and np.std(y) > 0:
        r = float(np.corrcoef(x, y)[0, 1])
        slope = float(np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2))
    else:
        r, slope = float("nan"), float("nan")
    return PixelStats(
        bias=float(np.median(d)),
        nmad=nmad(d),
        rms=float(np.sqrt(np.mean(d**2))),
        pearson_r=r,
        slope=slope,
        n_pixels=int(x.size),
    )


def cosine_similarity(a: Float[NDArray, "*shape"], b: Float[NDArray, "*shape"]) -> float:
    """Cosine of the angle between two images seen as vectors (1 = same shape, any scale)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den > 0 else float("nan")

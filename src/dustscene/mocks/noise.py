"""Noise: per-band sky sigma (given or from a 5-sigma depth), optional source Poisson."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


def sky_sigma_from_depth(
    depth_5sigma_mag: float, zeropoint: float, fwhm_arcsec: float, pixel_scale_arcsec: float
) -> float:
    """Per-pixel sky sigma (counts) whose 5-sigma point-source depth in a 2 FWHM aperture is given.

    Aperture of diameter 2 FWHM: N_pix = pi FWHM^2 / scale^2, 5 sigma sqrt(N_pix) = flux(depth).
    """
    flux = 10.0 ** (-0.4 * (depth_5sigma_mag - zeropoint))
    n_pix = np.pi * (fwhm_arcsec / pixel_scale_arcsec) ** 2
    return float(flux / (5.0 * np.sqrt(n_pix)))


def variance_map(noiseless: F64, sky_sigma: F64, gain: float | None = None) -> F64:
    """Variance (band, y, x): sky_sigma_b^2, plus max(image, 0) / gain when a gain is given."""
    sky = np.asarray(sky_sigma, dtype=np.float64)[:, None, None] ** 2
    var = np.broadcast_to(sky, noiseless.shape).copy()
    if gain is not None:
        var += np.maximum(noiseless, 0.0) / gain
    return var


def add_noise(noiseless: F64, variance: F64, rng: np.random.Generator) -> F64:
    """Observed = noiseless + N(0, variance), drawn from the explicit generator."""
    return noiseless + np.sqrt(variance) * rng.standard_normal(noiseless.shape)

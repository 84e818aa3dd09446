"""Moffat PSF stamps (sub-pixel integrated, unit sum) and flux-conserving FFT convolution.

beta = 3.5 by default: ground-based seeing profiles are fit by Moffat beta ~ 3-4.8
(Trujillo et al. 2001 give 4.765 for pure Kolmogorov turbulence; HSC coadd PSFs have
broader wings, closer to 3-3.5).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import fft

F64 = NDArray[np.float64]


def moffat_alpha(fwhm_pix: float, beta: float) -> float:
    """Moffat core width alpha such that the profile has the given FWHM (pixels)."""
    return fwhm_pix / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))


def moffat_psf(
    fwhm_arcsec: float,
    pixel_scale_arcsec: float,
    size: int = 25,
    beta: float = 3.5,
    oversample: int = 5,
) -> F64:
    """Centred Moffat stamp (size, size), averaged over oversample^2 sub-pixels, sum 1."""
    if size % 2 != 1:
        raise ValueError(f"PSF size must be odd, got {size}")
    alpha = moffat_alpha(fwhm_arcsec / pixel_scale_arcsec, beta)
    n_sub = size * oversample
    sub = (np.arange(n_sub, dtype=np.float64) + 0.5) / oversample - 0.5 * size
    r2 = sub[None, :] ** 2 + sub[:, None] ** 2
    fine = (1.0 + r2 / alpha**2) ** (-beta)
    stamp = fine.reshape(size, oversample, size, oversample).sum(axis=(1, 3))
    return stamp / np.sum(stamp)


def convolve_same(image: F64, psf: F64) -> F64:
    """Linear (zero-padded, not circular) convolution of (…, y, x) images, cropped to input size.

    The full convolution conserves flux exactly (up to rounding); the crop keeps the centre.
    """
    ny, nx = image.shape[-2:]
    py, px = psf.shape[-2:]
    shape = (fft.next_fast_len(ny + py - 1, real=True), fft.next_fast_len(nx + px - 1, real=True))
    f_img = fft.rfft2(image, s=shape, axes=(-2, -1))
    f_psf = fft.rfft2(psf, s=shape, axes=(-2, -1))
    full = fft.irfft2(f_img * f_psf, s=shape, axes=(-2, -1))
    oy, ox = py // 2, px // 2
    return full[..., oy : oy + ny, ox : ox + nx]

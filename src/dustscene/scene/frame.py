"""The model frame: bands, pixel grid and the narrow model PSF every component is rendered with."""

from __future__ import annotations

import equinox as eqx
import numpy as np
from jax import lax
from jaxtyping import Array, Float

from .render import convolve, fft_shape, gaussian_psf, kernel_fft


class Frame(eqx.Module):
    """Where the model lives: (band, y, x) cube on the observation's pixels, model PSF applied."""

    bands: tuple[str, ...] = eqx.field(static=True)
    shape: tuple[int, int] = eqx.field(static=True)
    pixel_scale: float = eqx.field(static=True)
    psf_sigma: float = eqx.field(static=True)
    psf: Float[Array, "k k"]
    fft_shape: tuple[int, int] = eqx.field(static=True)
    psf_fft: Array

    def __init__(
        self,
        bands: tuple[str, ...] | list[str],
        shape: tuple[int, int],
        *,
        pixel_scale: float = 0.168,
        psf_sigma: float = 0.8,
    ):
        self.bands = tuple(str(b) for b in bands)
        self.shape = (int(shape[0]), int(shape[1]))
        self.pixel_scale = float(pixel_scale)
        self.psf_sigma = float(psf_sigma)
        self.psf = gaussian_psf(self.psf_sigma)
        self.fft_shape = fft_shape(self.shape, self.psf.shape)
        self.psf_fft = kernel_fft(self.psf, self.fft_shape)

    @property
    def n_bands(self) -> int:
        return len(self.bands)

    def convolve(self, image: Float[Array, "*b y x"]) -> Float[Array, "*b y x"]:
        """Apply the model PSF (for intrinsic profiles such as Sersic)."""
        return convolve(image, self.psf_fft, self.fft_shape)

    def pixel_grid(self, oversample: int = 1) -> tuple[Array, Array]:
        """(y, x) coordinates of pixel centres, or of `oversample`^2 sub-pixel centres per pixel.

        Built from iota inside the traced program rather than as embedded numpy constants: a
        256 x 256 constant grid made every Sersic evaluation several times slower on the CPU.
        """
        shape = (self.shape[0] * oversample, self.shape[1] * oversample)
        ys = (lax.broadcasted_iota(float, shape, 0) + 0.5) / oversample - 0.5
        xs = (lax.broadcasted_iota(float, shape, 1) + 0.5) / oversample - 0.5
        return ys, xs


def model_psf_sigma(psfs: np.ndarray, *, maximum: float = 0.8, fraction: float = 0.6) -> float:
    """Model-PSF width (pixels) safely narrower than every observed PSF (from second moments)."""
    sig = []
    for p in np.asarray(psfs, dtype=float):
        yy, xx = np.indices(p.shape)
        w = np.clip(p, 0, None)
        w = w / w.sum()
        cy, cx = (w * yy).sum(), (w * xx).sum()
        var = 0.5 * (w * ((yy - cy) ** 2 + (xx - cx) ** 2)).sum()
        sig.append(np.sqrt(var))
    return float(min(maximum, fraction * min(sig)))

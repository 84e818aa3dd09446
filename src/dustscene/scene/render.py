"""FFT convolution and pixel-integrated Gaussians: the numerical core of rendering a scene."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf
from jaxtyping import Array, Float
from scipy.fft import next_fast_len


def fft_shape(image_shape: tuple[int, int], kernel_shape: tuple[int, int]) -> tuple[int, int]:
    """Padded FFT size that makes circular convolution equal to linear convolution on the image."""
    pairs = zip(image_shape, kernel_shape, strict=True)
    return tuple(next_fast_len(int(n) + int(k)) for n, k in pairs)


def wrap_kernel(
    kernel: Float[Array, "*b ky kx"], shape: tuple[int, int]
) -> Float[Array, "*b fy fx"]:
    """Zero-pad a centred kernel to `shape` and roll its centre (ky//2, kx//2) onto pixel (0, 0)."""
    ky, kx = kernel.shape[-2:]
    pad = [(0, 0)] * (kernel.ndim - 2) + [(0, shape[0] - ky), (0, shape[1] - kx)]
    padded = jnp.pad(kernel, pad)
    return jnp.roll(padded, (-(ky // 2), -(kx // 2)), axis=(-2, -1))


def kernel_fft(kernel: Float[Array, "*b ky kx"], shape: tuple[int, int]) -> Array:
    """Real FFT of a centred kernel on the padded grid `shape`."""
    return jnp.fft.rfft2(wrap_kernel(kernel, shape), s=shape)


def convolve(
    image: Float[Array, "*b y x"], kfft: Array, shape: tuple[int, int]
) -> Float[Array, "*b y x"]:
    """Convolve `image` with a kernel given by its padded real FFT `kfft` (see `kernel_fft`)."""
    ny, nx = image.shape[-2:]
    return jnp.fft.irfft2(jnp.fft.rfft2(image, s=shape) * kfft, s=shape)[..., :ny, :nx]


def difference_kernel_fft(
    psf_obs: Float[Array, "band ky kx"], psf_model: Float[Array, "ky2 kx2"], shape: tuple[int, int]
) -> Array:
    """FFT of the kernel D with D * psf_model = psf_obs (Wiener-regularised where psf_model
    is ~0)."""
    num = kernel_fft(jnp.asarray(psf_obs), shape)
    den = kernel_fft(jnp.asarray(psf_model), shape)
    # the model PSF is narrower than any observed PSF, so |den| >> eps where num matters
    eps = 1e-12
    return num * jnp.conj(den) / (jnp.abs(den) ** 2 + eps)


def pixel_gaussian(
    shape: tuple[int, int], center: Float[Array, 2], sigma: float | Array
) -> Float[Array, "y x"]:
    """Unit-flux circular Gaussian integrated over square pixels (centre (y, x) in pixel units)."""
    s = jnp.sqrt(2.0) * sigma

    def profile(n: int, c: Array) -> Array:
        edges = jnp.arange(n + 1, dtype=float) - 0.5
        cdf = 0.5 * erf((edges - c) / s)
        return cdf[1:] - cdf[:-1]

    return profile(shape[0], center[0])[:, None] * profile(shape[1], center[1])[None, :]


def gaussian_psf(sigma: float, size: int | None = None) -> Float[Array, "k k"]:
    """Pixel-integrated, centred, unit-sum Gaussian PSF stamp of odd `size` (default ~ 10 sigma)."""
    if size is None:
        size = 2 * int(np.ceil(5 * sigma)) + 1
    psf = pixel_gaussian((size, size), jnp.array([size // 2, size // 2], dtype=float), sigma)
    return psf / psf.sum()

"""An observation: data, inverse-variance weights and PSFs; renders a scene and scores it."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .frame import Frame
from .render import convolve, difference_kernel_fft, fft_shape
from .scene import Scene


class Observation(eqx.Module):
    """Images Y, weights W (0 = masked) and PSFs; the model is seen through the difference
    kernel."""

    data: Float[Array, "band y x"]
    weights: Float[Array, "band y x"]
    psf: Float[Array, "band ky kx"]
    kernel_fft: Array
    fft_shape: tuple[int, int] = eqx.field(static=True)

    def __init__(
        self,
        data: Float[ArrayLike, "band y x"],
        weights: Float[ArrayLike, "band y x"],
        psf: Float[ArrayLike, "band ky kx"],
        frame: Frame,
    ):
        self.data = jnp.asarray(data, dtype=float)
        self.weights = jnp.asarray(weights, dtype=float)
        self.psf = jnp.asarray(psf, dtype=float)
        ky = max(self.psf.shape[1], frame.psf.shape[0])
        kx = max(self.psf.shape[2], frame.psf.shape[1])
        self.fft_shape = fft_shape(frame.shape, (ky, kx))
        self.kernel_fft = difference_kernel_fft(self.psf, frame.psf, self.fft_shape)

    @classmethod
    def from_variance(cls, data, variance, psf, frame: Frame, mask=None) -> Observation:
        """Weights 1/variance, zero where `mask` is True (bad) or the variance is not positive."""
        var = np.asarray(variance, dtype=float)
        good = np.isfinite(var) & (var > 0)
        if mask is not None:
            good &= ~np.asarray(mask, dtype=bool)
        w = np.where(good, 1.0 / np.where(good, var, 1.0), 0.0)
        d = np.where(good, np.asarray(data, dtype=float), 0.0)
        return cls(d, w, psf, frame)

    def render(self, scene: Scene, *, dust: bool = True) -> Float[Array, "band y x"]:
        """The scene as this observation sees it: difference-kernel convolved, plus sky."""
        model = convolve(scene(dust=dust), self.kernel_fft, self.fft_shape)
        return model + scene.sky_levels()[:, None, None]

    def chi2(self, scene: Scene) -> Array:
        """sum W (Y - model)^2."""
        return jnp.sum(self.weights * (self.data - self.render(scene)) ** 2)

    def log_likelihood(self, scene: Scene) -> Array:
        """Gaussian log-likelihood up to a constant: -chi2 / 2."""
        return -0.5 * self.chi2(scene)

    @property
    def n_pixels(self) -> int:
        """Number of unmasked pixels (concrete arrays only)."""
        return int(np.count_nonzero(np.asarray(self.weights)))

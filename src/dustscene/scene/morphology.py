"""Morphologies: unit-flux images on the model frame (point source, Sersic, wavelets, free
pixels)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from jaxtyping import Array, ArrayLike, Float

from dustscene.sersic import sersic_bn

from .frame import Frame
from .parameters import Interval, Parameter, Positive, Real, value
from .render import pixel_gaussian


def _center(center: ArrayLike | Parameter) -> Parameter:
    if isinstance(center, Parameter):
        return center
    return Parameter(np.asarray(center, dtype=float), Real(), step=0.02)


def elliptical_radius2(y: Array, x: Array, center: Array, q: Array, theta: Array) -> Array:
    """Squared elliptical radius along the major axis; theta from +x towards +y (radians)."""
    dy, dx = y - center[0], x - center[1]
    c, s = jnp.cos(theta), jnp.sin(theta)
    u = c * dx + s * dy
    v = -s * dx + c * dy
    return u**2 + (v / q) ** 2


def _bin(image: Array, shape: tuple[int, int], oversample: int) -> Array:
    return image.reshape(shape[0], oversample, shape[1], oversample).mean(axis=(1, 3))


class PointSourceMorphology(eqx.Module):
    """The model PSF at a sub-pixel centre (y, x), unit flux."""

    center: Parameter

    def __init__(self, center: ArrayLike | Parameter):
        self.center = _center(center)

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        return pixel_gaussian(frame.shape, value(self.center), frame.psf_sigma)


class SersicMorphology(eqx.Module):
    """Sersic profile (n, R_e [pixels], axis ratio q, angle theta), sub-pixel sampled, model-PSF
    convolved.
    """

    center: Parameter
    n: Parameter
    r_e: Parameter
    q: Parameter
    theta: Parameter
    oversample: int = eqx.field(static=True)

    def __init__(
        self,
        center,
        n=1.0,
        r_e=3.0,
        q=0.8,
        theta=0.0,
        *,
        oversample: int = 4,
        n_bounds: tuple[float, float] = (0.3, 6.0),
    ):
        self.center = _center(center)
        self.n = n if isinstance(n, Parameter) else Parameter(n, Interval(*n_bounds), step=0.05)
        self.r_e = r_e if isinstance(r_e, Parameter) else Parameter(r_e, Positive(), step=0.02)
        self.q = q if isinstance(q, Parameter) else Parameter(q, Interval(0.05, 1.0), step=0.05)
        self.theta = theta if isinstance(theta, Parameter) else Parameter(theta, Real(), step=0.02)
        self.oversample = int(oversample)

    def intrinsic(self, frame: Frame) -> Float[Array, "y x"]:
        """Pixel-averaged Sersic profile before the model PSF, normalised to unit total flux."""
        n, r_e, q = value(self.n), value(self.r_e), value(self.q)
        y, x = frame.pixel_grid(self.oversample)
        r2 = elliptical_radius2(
            jnp.asarray(y), jnp.asarray(x), value(self.center), q, value(self.theta)
        )
        b = sersic_bn(n)
        # (r / R_e)^(1/n) via logs; the tiny offset keeps the gradient finite at r = 0
        prof = jnp.exp(-b * jnp.exp(jnp.log(r2 / r_e**2 + 1e-20) / (2 * n)))
        log_total = (
            jnp.log(2 * jnp.pi * q * n) + 2 * jnp.log(r_e) + gammaln(2 * n) - 2 * n * jnp.log(b)
        )
        return _bin(prof, frame.shape, self.oversample) * jnp.exp(-log_total)

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        return frame.convolve(self.intrinsic(frame))


class ProfileMap(eqx.Module):
    """A smooth non-negative map amplitude * exp(-r / scale) (elliptical), e.g. an E(B-V) map."""

    amplitude: Parameter
    center: Parameter
    scale: Parameter
    q: Parameter
    theta: Parameter

    def __init__(self, amplitude, center, scale=5.0, q=0.8, theta=0.0):
        self.amplitude = (
            amplitude
            if isinstance(amplitude, Parameter)
            else Parameter(amplitude, Positive(), step=0.05)
        )
        self.center = _center(center)
        self.scale = (
            scale if isinstance(scale, Parameter) else Parameter(scale, Positive(), step=0.02)
        )
        self.q = q if isinstance(q, Parameter) else Parameter(q, Interval(0.05, 1.0), step=0.05)
        self.theta = theta if isinstance(theta, Parameter) else Parameter(theta, Real(), step=0.02)

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        y, x = frame.pixel_grid(1)
        r2 = elliptical_radius2(
            jnp.asarray(y), jnp.asarray(x), value(self.center), value(self.q), value(self.theta)
        )
        r = jnp.sqrt(r2 + 1e-12)
        return value(self.amplitude) * jnp.exp(-r / value(self.scale))


def _place(patch: Array, origin: tuple[int, int], shape: tuple[int, int]) -> Array:
    y0, x0 = origin
    h, w = patch.shape
    return jnp.pad(patch, ((y0, shape[0] - y0 - h), (x0, shape[1] - x0 - w)))


def box_around(
    center: ArrayLike, half_size: int, shape: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(y0, x0, h, w) of a square box around `center`, clipped to the frame."""
    cy, cx = (int(round(float(c))) for c in np.asarray(center)[:2])
    y0, x0 = max(cy - half_size, 0), max(cx - half_size, 0)
    y1, x1 = min(cy + half_size + 1, shape[0]), min(cx + half_size + 1, shape[1])
    return y0, x0, y1 - y0, x1 - x0


class FreeMorphology(eqx.Module):
    """Free non-negative pixels in a box at `origin` (y0, x0), optionally only on a
    `support` mask."""

    pixels: Parameter
    origin: tuple[int, int] = eqx.field(static=True)
    box: tuple[int, int] = eqx.field(static=True)
    support: tuple[tuple[int, ...], tuple[int, ...]] | None = eqx.field(static=True)

    def __init__(
        self,
        pixels: ArrayLike | Parameter,
        origin: tuple[int, int] = (0, 0),
        *,
        floor: float = 1e-4,
        support: ArrayLike | None = None,
        box: tuple[int, int] | None = None,
    ):
        if isinstance(pixels, Parameter):
            self.pixels = pixels
            self.box = tuple(box) if box is not None else pixels.value.shape
            self.support = None
        else:
            p = np.asarray(pixels, dtype=float)
            self.box = p.shape
            if support is not None:
                iy, ix = np.nonzero(np.asarray(support, dtype=bool))
                self.support = (tuple(int(i) for i in iy), tuple(int(i) for i in ix))
                p = p[iy, ix]
            else:
                self.support = None
            p = np.maximum(p, floor * max(p.max(), 1e-12))
            self.pixels = Parameter(p, Positive(), step=0.05)
        self.origin = (int(origin[0]), int(origin[1]))

    def image(self) -> Float[Array, "h w"]:
        """The box with its pixels (zero off the support)."""
        v = value(self.pixels)
        if self.support is None:
            return v
        iy, ix = np.asarray(self.support[0]), np.asarray(self.support[1])
        return jnp.zeros(self.box).at[iy, ix].set(v)

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        return _place(self.image(), self.origin, frame.shape)


# B3-spline a trous kernel of the starlet transform (Starck et al. 2007)
_B3 = np.array([1, 4, 6, 4, 1], dtype=float) / 16.0


def starlet_transform(image: np.ndarray, scales: int) -> np.ndarray:
    """Isotropic undecimated wavelet (starlet) coefficients [scales + 1, y, x]; they sum to the
    image.
    """
    from scipy.ndimage import convolve1d

    c = np.asarray(image, dtype=float)
    out = []
    for j in range(scales):
        k = np.zeros(4 * 2**j + 1)
        k[:: 2**j] = _B3
        smooth = convolve1d(convolve1d(c, k, axis=0, mode="mirror"), k, axis=1, mode="mirror")
        out.append(c - smooth)
        c = smooth
    out.append(c)
    return np.stack(out)


class WaveletMorphology(eqx.Module):
    """Starlet coefficients in a box; the image is their sum, clipped at zero."""

    coefficients: Parameter
    origin: tuple[int, int] = eqx.field(static=True)

    def __init__(self, coefficients: ArrayLike | Parameter, origin: tuple[int, int] = (0, 0)):
        if isinstance(coefficients, Parameter):
            self.coefficients = coefficients
        else:
            c = np.asarray(coefficients, dtype=float)
            step = 0.02 * max(float(np.abs(c.sum(0)).max()), 1e-12)
            self.coefficients = Parameter(c, Real(), step=step)
        self.origin = (int(origin[0]), int(origin[1]))

    @classmethod
    def from_image(cls, image: np.ndarray, origin: tuple[int, int] = (0, 0), scales: int = 3):
        return cls(starlet_transform(image, scales), origin)

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        img = jax.nn.relu(jnp.sum(value(self.coefficients), axis=0))
        return _place(img, self.origin, frame.shape)

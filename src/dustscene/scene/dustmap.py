"""A resolved dust map: non-negative E(B-V) on a coarse node grid over a source's box, bilinearly
interpolated to pixels, with a Gaussian Markov random field prior that makes it identifiable at
the PSF scale."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jaxtyping import Array, ArrayLike, Float
from numpyro.distributions import constraints

from .frame import Frame
from .morphology import _place
from .parameters import Parameter, Positive, value


def hat_weights(n_pixels: int, spacing: float) -> tuple[np.ndarray, int]:
    """(n_pixels, n_nodes) linear-interpolation weights of nodes every `spacing` pixels from
    pixel 0, enough nodes to cover the last pixel; each row sums to 1."""
    n_nodes = int(np.ceil((n_pixels - 1) / spacing)) + 1
    t = np.arange(n_pixels)[:, None] / spacing - np.arange(n_nodes)[None, :]
    w = np.clip(1.0 - np.abs(t), 0.0, None)
    return w / w.sum(1, keepdims=True), n_nodes


class SmoothnessPrior(dist.Distribution):
    """GMRF on a (ny, nx) node grid: first differences between neighbouring nodes ~ N(0,
    sigma_diff^2) and a level term. With `sigma_mean` None each node ~ N(0, sigma_level^2);
    then the map's mean has prior sigma sigma_level / sqrt(n_nodes), a strong pull to no dust
    on a large grid. With `sigma_mean`, each node's deviation from the map's mean ~
    N(0, sigma_level^2) (silent nodes follow the map, not zero) and the mean ~ N(0,
    sigma_mean^2) whatever the grid. Unnormalised: MAP fits, Laplace and NUTS need only its
    gradient and curvature."""

    arg_constraints = {}  # noqa: RUF012 - numpyro's class-level declaration
    support = constraints.positive
    reparametrized_params = []  # noqa: RUF012

    def __init__(
        self,
        shape: tuple[int, int],
        sigma_diff: float,
        sigma_level: float,
        sigma_mean: float | None = None,
    ):
        self.grid_shape = (int(shape[0]), int(shape[1]))
        self.sigma_diff = float(sigma_diff)
        self.sigma_level = float(sigma_level)
        self.sigma_mean = None if sigma_mean is None else float(sigma_mean)
        super().__init__(batch_shape=(), event_shape=self.grid_shape)

    def log_prob(self, x: Float[Array, "*b ny nx"]) -> Float[Array, "*b"]:
        dy = jnp.diff(x, axis=-2)
        dx = jnp.diff(x, axis=-1)
        rough = jnp.sum(dy**2, axis=(-2, -1)) + jnp.sum(dx**2, axis=(-2, -1))
        if self.sigma_mean is None:
            level = jnp.sum(x**2, axis=(-2, -1))
            return -0.5 * rough / self.sigma_diff**2 - 0.5 * level / self.sigma_level**2
        mean = jnp.mean(x, axis=(-2, -1))
        level = jnp.sum((x - mean[..., None, None]) ** 2, axis=(-2, -1))
        return (
            -0.5 * rough / self.sigma_diff**2
            - 0.5 * level / self.sigma_level**2
            - 0.5 * mean**2 / self.sigma_mean**2
        )

    def precision_diagonal(self) -> np.ndarray:
        """-d^2 log p / dx_j^2 per node: the prior's Fisher diagonal (hallucination score)."""
        ny, nx = self.grid_shape
        deg = np.zeros((ny, nx))
        deg[1:, :] += 1
        deg[:-1, :] += 1
        deg[:, 1:] += 1
        deg[:, :-1] += 1
        if self.sigma_mean is None:
            return deg / self.sigma_diff**2 + 1.0 / self.sigma_level**2
        n = ny * nx
        return deg / self.sigma_diff**2 + (1.0 - 1.0 / n) / self.sigma_level**2 + 1.0 / (
            n * self.sigma_mean
        ) ** 2

    def sample(self, key, sample_shape=()):  # noqa: ANN001, ANN201 - numpyro's signature
        """Independent half-normal draws at the level scale (a valid positive start, not the
        GMRF itself: fits and NUTS initialise from values)."""
        shape = tuple(sample_shape) + self.grid_shape
        return jnp.abs(self.sigma_level * jax.random.normal(key, shape))


class NodeMap(eqx.Module):
    """Non-negative map on nodes every `spacing` pixels over a box at `origin`, bilinear between
    nodes, zero outside the box."""

    nodes: Parameter
    wy: Float[Array, "h ny"]
    wx: Float[Array, "w nx"]
    taper: Float[Array, "h w"] | None
    origin: tuple[int, int] = eqx.field(static=True)

    def __init__(
        self,
        level: float,
        origin: tuple[int, int],
        box: tuple[int, int],
        spacing: float,
        *,
        sigma_diff: float | None = None,
        sigma_level: float = 1.0,
        sigma_mean: float | None = None,
        taper: Float[ArrayLike, "h w"] | None = None,
    ):
        """`taper` (box-shaped, 0-1): the map is multiplied by it, so E(B-V) lives only on the
        source's support (no dust drawn where no light constrains it); None: the whole box."""
        wy, ny = hat_weights(int(box[0]), spacing)
        wx, nx = hat_weights(int(box[1]), spacing)
        prior = (
            None
            if sigma_diff is None
            else SmoothnessPrior((ny, nx), sigma_diff, sigma_level, sigma_mean)
        )
        self.nodes = Parameter(np.full((ny, nx), float(level)), Positive(), step=0.1, prior=prior)
        self.wy = jnp.asarray(wy)
        self.wx = jnp.asarray(wx)
        if taper is not None and np.shape(taper) != (int(box[0]), int(box[1])):
            raise ValueError(f"NodeMap taper shape {np.shape(taper)} is not the box {tuple(box)}")
        self.taper = None if taper is None else jnp.asarray(taper, dtype=float)
        self.origin = (int(origin[0]), int(origin[1]))

    def interpolate(self, nodes: Float[Array, "ny nx"], frame: Frame) -> Float[Array, "y x"]:
        """Any node values (the map, its sigmas, its Fisher diagonals) on the frame's pixels."""
        return _place(self.wy @ nodes @ self.wx.T, self.origin, frame.shape)

    def footprint(self, frame: Frame) -> np.ndarray:
        """Boolean (y, x) mask of where the map lives: its box, where the taper is >= 1/2."""
        mask = np.zeros(frame.shape, dtype=bool)
        y0, x0 = self.origin
        h, w = self.wy.shape[0], self.wx.shape[0]
        mask[y0 : y0 + h, x0 : x0 + w] = True if self.taper is None else np.asarray(
            self.taper) >= 0.5
        return mask

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        box = self.wy @ value(self.nodes) @ self.wx.T
        if self.taper is not None:
            box = box * self.taper
        return _place(box, self.origin, frame.shape)


class UniformMap(eqx.Module):
    """One non-negative E(B-V) over the whole frame, e.g. the birth-cloud screen of a source's
    star-forming part (Charlot & Fall 2000), which dims that part's light alone."""

    level: Parameter

    def __init__(self, level: float):
        self.level = Parameter(float(level), Positive(), step=0.1)

    def __call__(self, frame: Frame) -> Float[Array, "y x"]:
        return jnp.full(frame.shape, value(self.level))

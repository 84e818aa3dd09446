"""MAP fit of one free-pixel morphology and free spectrum: grad log L + grad log p (score prior).

The prior enters only through its gradient (it has no normalised density), exactly as in
scarlet2's score-prior fits (Sampson et al. 2024, arXiv:2401.07313): the optimiser follows
grad log L(m, s) + s_theta(m, t) for the morphology m (peak ~ 1) and grad log L for log s.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from dustscene.scene import Observation
from dustscene.scene.render import convolve

from .prior import ScorePrior


class PixelSource(eqx.Module):
    """A source as spectrum (band,) x morphology (y, x), optionally behind a fixed tau cube."""

    morphology: Float[Array, "y x"]
    log_spectrum: Float[Array, " band"]

    @property
    def spectrum(self) -> Float[Array, " band"]:
        return jnp.exp(self.log_spectrum)

    def cube(self, tau: Float[Array, "band y x"] | None = None) -> Float[Array, "band y x"]:
        c = self.spectrum[:, None, None] * self.morphology[None]
        return c if tau is None else c * jnp.exp(-tau)


def render(
    obs: Observation, src: PixelSource, tau: Float[Array, "band y x"] | None = None
) -> Float[Array, "band y x"]:
    """The source as the observation sees it (same difference-kernel convolution as a Scene)."""
    return convolve(src.cube(tau), obs.kernel_fft, obs.fft_shape)


def log_likelihood(
    obs: Observation, src: PixelSource, tau: Float[Array, "band y x"] | None = None
) -> Float[Array, ""]:
    """Gaussian log L up to a constant, -sum W (Y - model)^2 / 2."""
    return -0.5 * jnp.sum(obs.weights * (obs.data - render(obs, src, tau)) ** 2)


def initial_source(obs: Observation) -> PixelSource:
    """Start: the inverse-variance-weighted band sum, peak-normalised; spectrum from the peak."""
    w = obs.weights
    img = jnp.sum(w * obs.data, axis=0) / jnp.maximum(jnp.sum(w, axis=0), 1e-30)
    img = jnp.clip(img, 0.0, None)
    peak = jnp.unravel_index(jnp.argmax(img), img.shape)
    spec = jnp.maximum(obs.data[:, peak[0], peak[1]], 1e-6 * jnp.max(obs.data))
    return PixelSource(img / jnp.max(img), jnp.log(spec))


@eqx.filter_jit
def fit_map(
    obs: Observation,
    init: PixelSource,
    prior: ScorePrior | None,
    *,
    steps: int = 500,
    lr: float = 0.01,
    tau: Float[Array, "band y x"] | None = None,
) -> tuple[PixelSource, Float[Array, " steps"]]:
    """Adam ascent on log L (+ the prior's gradient for the morphology), morphology kept >= 0."""
    opt = optax.adam(lr)
    state = opt.init(init)

    def step(carry, _):
        src, state = carry
        ll, g = jax.value_and_grad(log_likelihood, argnums=1)(obs, src, tau)
        if prior is not None:
            g = eqx.tree_at(lambda s: s.morphology, g, g.morphology + prior(src.morphology))
        neg = jax.tree.map(jnp.negative, g)
        upd, state = opt.update(neg, state, src)
        src = eqx.apply_updates(src, upd)
        src = eqx.tree_at(lambda s: s.morphology, src, jnp.maximum(src.morphology, 0.0))
        return (src, state), ll

    (src, _), hist = jax.lax.scan(step, (init, state), None, length=steps)
    return src, hist


def cosine_similarity(a: Float[Array, "y x"], b: Float[Array, "y x"]) -> Float[Array, ""]:
    """<a, b> / (|a| |b|): morphology agreement independent of normalisation."""
    return jnp.sum(a * b) / jnp.sqrt(jnp.sum(a * a) * jnp.sum(b * b))

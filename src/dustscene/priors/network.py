"""A small fully convolutional U-Net denoiser and the VP score it implies (any stamp size % 4 == 0).

EDM-style preconditioning (Karras et al. 2022) in the variance-exploding variable y = x_t / sqrt(a):
D(y) = c_skip y + c_out F(c_in y, log sigma_e); the score follows from Tweedie,
s(x_t, t) = -(x_t - sqrt(a) D) / sigma_t^2 (Sampson & Melchior 2023, arXiv:2306.13272).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray


def vp_alpha_sigma2(t: Float[Array, ""]) -> tuple[Array, Array]:
    """VP schedule: a = exp(-t) (signal variance kept) and sigma_t^2 = 1 - exp(-t)."""
    return jnp.exp(-t), -jnp.expm1(-t)


def _pool(x: Array) -> Array:
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).mean(axis=(2, 4))


def _up(x: Array) -> Array:
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class ResBlock(eqx.Module):
    """Two 3x3 convolutions with a noise-level shift in between and a 1x1 skip."""

    conv1: eqx.nn.Conv2d
    conv2: eqx.nn.Conv2d
    emb: eqx.nn.Linear
    skip: eqx.nn.Conv2d

    def __init__(self, c_in: int, c_out: int, n_emb: int, *, key: PRNGKeyArray):
        k1, k2, k3, k4 = jax.random.split(key, 4)
        self.conv1 = eqx.nn.Conv2d(c_in, c_out, 3, padding=1, key=k1)
        self.conv2 = eqx.nn.Conv2d(c_out, c_out, 3, padding=1, key=k2)
        self.emb = eqx.nn.Linear(n_emb, 2 * c_out, key=k3)
        self.skip = eqx.nn.Conv2d(c_in, c_out, 1, key=k4)

    def __call__(self, x: Float[Array, "c y x"], e: Float[Array, " e"]) -> Array:
        h = jax.nn.silu(self.conv1(x))
        scale, shift = jnp.split(self.emb(e), 2)
        h = h * (1 + scale[:, None, None]) + shift[:, None, None]
        return self.skip(x) + self.conv2(jax.nn.silu(h))


class ScoreUNet(eqx.Module):
    """Denoiser U-Net (three resolutions) on one (y, x) morphology; `__call__` gives the score."""

    embed: eqx.nn.MLP
    inc: eqx.nn.Conv2d
    down1: ResBlock
    down2: ResBlock
    mid: ResBlock
    up2: ResBlock
    up1: ResBlock
    out: eqx.nn.Conv2d
    width: int = eqx.field(static=True)
    n_freq: int = eqx.field(static=True)
    sigma_data: float = eqx.field(static=True)

    def __init__(
        self, *, width: int = 16, n_freq: int = 8, sigma_data: float = 0.2, key: PRNGKeyArray
    ):
        ks = jax.random.split(key, 8)
        n_emb = 4 * width
        self.embed = eqx.nn.MLP(2 * n_freq, n_emb, n_emb, 1, activation=jax.nn.silu, key=ks[0])
        self.inc = eqx.nn.Conv2d(1, width, 3, padding=1, key=ks[1])
        self.down1 = ResBlock(width, width, n_emb, key=ks[2])
        self.down2 = ResBlock(width, 2 * width, n_emb, key=ks[3])
        self.mid = ResBlock(2 * width, 2 * width, n_emb, key=ks[4])
        self.up2 = ResBlock(4 * width, width, n_emb, key=ks[5])
        self.up1 = ResBlock(2 * width, width, n_emb, key=ks[6])
        self.out = eqx.nn.Conv2d(width, 1, 3, padding=1, key=ks[7])
        self.width, self.n_freq, self.sigma_data = int(width), int(n_freq), float(sigma_data)

    def _features(self, u: Float[Array, "y x"], c_noise: Float[Array, ""]) -> Array:
        dt = self.inc.weight.dtype  # weights may be float32 inside a float64 computation
        u, c_noise = u.astype(dt), c_noise.astype(dt)
        freqs = 2.0 ** jnp.arange(self.n_freq, dtype=dt)
        e = self.embed(jnp.concatenate([jnp.sin(freqs * c_noise), jnp.cos(freqs * c_noise)]))
        h0 = self.inc(u[None])
        h1 = self.down1(h0, e)
        h2 = self.down2(_pool(h1), e)
        h3 = self.mid(_pool(h2), e)
        g2 = self.up2(jnp.concatenate([_up(h3), h2]), e)
        g1 = self.up1(jnp.concatenate([_up(g2), h1]), e)
        return self.out(jax.nn.silu(g1))[0]

    def denoise(self, y: Float[Array, "y x"], sigma_e: Float[Array, ""]) -> Float[Array, "y x"]:
        """E[x | y] for y = x + sigma_e n (variance-exploding noise level sigma_e)."""
        sd2 = self.sigma_data**2
        c_skip = sd2 / (sigma_e**2 + sd2)
        c_out = sigma_e * self.sigma_data / jnp.sqrt(sigma_e**2 + sd2)
        c_in = 1.0 / jnp.sqrt(sigma_e**2 + sd2)
        feat = self._features(c_in * y, 0.25 * jnp.log(sigma_e)).astype(y.dtype)
        return c_skip * y + c_out * feat

    def __call__(self, x: Float[Array, "y x"], t: Float[Array, ""]) -> Float[Array, "y x"]:
        """Score grad_x log p_t(x) of the VP-diffused morphology prior at time t."""
        a, s2 = vp_alpha_sigma2(t)
        sa = jnp.sqrt(a)
        d = self.denoise(x / sa, jnp.sqrt(s2 / a))
        return -(x - sa * d) / s2

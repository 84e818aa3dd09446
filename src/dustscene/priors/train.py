"""Denoising score matching with VP noise, weight 1 - exp(-t), on augmented morphology stamps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PRNGKeyArray

from dustscene._jax import cast_floats

from .network import ScoreUNet, vp_alpha_sigma2


@dataclass(frozen=True)
class ScoreTrainSettings:
    """Optimiser and noise-schedule knobs; t is drawn log-uniform in [t_min, t_max]."""

    steps: int = 2000
    batch: int = 32
    lr: float = 2e-3
    t_min: float = 1e-3
    t_max: float = 3.0
    width: int = 16
    dtype: str = "float32"  # training precision, also under jax_enable_x64 (2x faster on CPU)


@dataclass
class TrainResult:
    """The trained network, its loss per step and the wall time."""

    model: ScoreUNet
    losses: np.ndarray
    seconds: float
    settings: ScoreTrainSettings = field(default_factory=ScoreTrainSettings)


def augment(x: Float[Array, "y x"], *, key: PRNGKeyArray) -> Float[Array, "y x"]:
    """Random rotation by k x 90 degrees and random flip (the prior should not know north)."""
    k1, k2 = jax.random.split(key)
    k = jax.random.randint(k1, (), 0, 4)
    x = jax.lax.switch(k, [lambda z, r=r: jnp.rot90(z, r) for r in range(4)], x)
    return jnp.where(jax.random.bernoulli(k2), x[:, ::-1], x)


def dsm_loss(
    model: ScoreUNet, x: Float[Array, "y x"], t: Float[Array, ""], *, key: PRNGKeyArray
) -> Array:
    """sigma_t^2 |s(x_t, t) + eps / sigma_t|^2 per pixel for one stamp (Vincent 2011)."""
    a, s2 = vp_alpha_sigma2(t)
    eps = jax.random.normal(key, x.shape, dtype=x.dtype)
    xt = jnp.sqrt(a) * x + jnp.sqrt(s2) * eps
    return s2 * jnp.mean((model(xt, t) + eps / jnp.sqrt(s2)) ** 2)


def batch_loss(
    model: ScoreUNet, xb: Float[Array, "b y x"], settings: ScoreTrainSettings, *, key: PRNGKeyArray
) -> Array:
    """Mean DSM loss over a batch with log-uniform times and fresh augmentations."""
    b = xb.shape[0]
    ka, kt, kn = jax.random.split(key, 3)
    xb = jax.vmap(lambda x, k: augment(x, key=k))(xb, jax.random.split(ka, b))
    lo, hi = np.log(settings.t_min), np.log(settings.t_max)
    t = jnp.exp(jax.random.uniform(kt, (b,), minval=lo, maxval=hi, dtype=xb.dtype))
    return jnp.mean(
        jax.vmap(lambda x, tt, k: dsm_loss(model, x, tt, key=k))(xb, t, jax.random.split(kn, b))
    )


def train_score_model(
    stamps: Float[np.ndarray, "n y x"],
    settings: ScoreTrainSettings,
    *,
    key: PRNGKeyArray,
    progress: bool = True,
) -> TrainResult:
    """Train a `ScoreUNet` on peak-normalised stamps with adam + cosine decay (one jitted step).

    Every stamp is trained on for a fixed number of steps: there is no held-out split or early
    stop (`dustscene.training`), since the per-batch DSM loss, noisy over random times, is no
    stopping signal and holding stamps out would change the trained score model."""
    kinit, kloop = jax.random.split(key)
    dt = jnp.dtype(settings.dtype)
    model = ScoreUNet(width=settings.width, key=kinit)
    model = cast_floats(model, dt)
    sched = optax.cosine_decay_schedule(settings.lr, settings.steps, alpha=0.05)
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(sched))
    state = opt.init(eqx.filter(model, eqx.is_inexact_array))
    data = jnp.asarray(stamps, dtype=dt)
    n = data.shape[0]

    @eqx.filter_jit
    def step(model, state, key):
        kb, kl = jax.random.split(key)
        idx = jax.random.randint(kb, (settings.batch,), 0, n)
        loss, grads = eqx.filter_value_and_grad(batch_loss)(model, data[idx], settings, key=kl)
        updates, state = opt.update(grads, state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), state, loss

    losses = np.empty(settings.steps)
    it = range(settings.steps)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="score DSM", mininterval=5.0)
    t0 = time.perf_counter()
    for i, k in zip(it, jax.random.split(kloop, settings.steps), strict=False):
        model, state, loss = step(model, state, k)
        losses[i] = float(loss)
    return TrainResult(model, losses, time.perf_counter() - t0, settings)

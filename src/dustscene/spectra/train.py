"""Train the spectrum autoencoder (inverse-variance weighted loss, Adam); fit the latent density
(a coupling flow by default, or a Gaussian mixture) to the training spectra's latents."""

from __future__ import annotations

import dataclasses
import logging
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from dustscene._jax import cast_floats
from dustscene.training import seeded_permutation, split_permutation

from .data import SpectraSet
from .density import LatentDensity, fit_gmm
from .flow import FlowSettings, fit_flow
from .network import SpectrumAutoencoder, chi2_per_pixel

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SpectrumTrainSettings:
    """Architecture and optimiser knobs (all land in the model's JSON manifest)."""

    n_latent: int = 6
    width: int = 128
    depth: int = 2
    steps: int = 4000
    batch_size: int = 256
    learning_rate: float = 2e-3
    n_components: int = 8  # GMM components, or the flow's multi-start points
    validation_fraction: float = 0.1
    density: str = "flow"  # "flow" (default) or "gmm"
    flow: FlowSettings = dataclasses.field(default_factory=FlowSettings)

    def __post_init__(self) -> None:
        if self.density not in ("flow", "gmm"):
            raise ValueError(f"spectra density must be 'flow' or 'gmm', got {self.density!r}")


def split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) sorted index arrays of the spectrum training set (seeded).

    The held-out rows are the tail of the stream's permutation (reversed here for the shared
    head-held-out rule), so the held-out set is the one saved spectrum priors were scored on."""
    perm = seeded_permutation(n, seed=seed, stream=0x5A1)[::-1]
    tr, va = split_permutation(perm, fraction, what="spectra")
    return np.sort(tr), np.sort(va)


@dataclasses.dataclass
class TrainedPrior:
    """The autoencoder, its latent density and the training record."""

    model: SpectrumAutoencoder
    density: LatentDensity
    loss: np.ndarray  # (steps,) training chi2 per pixel
    val_loss: np.ndarray  # (n_eval, 2) step, held-out chi2 per pixel (median)
    train_idx: np.ndarray
    val_idx: np.ndarray
    seconds: float
    density_heldout: dict[str, float] = dataclasses.field(default_factory=dict)


@eqx.filter_jit
def _encode_batch(model: SpectrumAutoencoder, obs: jax.Array, z: jax.Array) -> jax.Array:
    return jax.vmap(model.encode)(obs, z)


def encode_all(model: SpectrumAutoencoder, obs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Latents (n, S) of many observed spectra."""
    parts = [
        _encode_batch(model, jnp.asarray(obs[i : i + 2048]), jnp.asarray(z[i : i + 2048]))
        for i in range(0, obs.shape[0], 2048)
    ]
    return np.concatenate([np.asarray(p) for p in parts])


def train_spectrum_prior(
    data: SpectraSet, settings: SpectrumTrainSettings, *, seed: int
) -> TrainedPrior:
    """Fit the autoencoder to `data` (float32) and the latent density to its training latents.

    Both densities are fitted (the GMM costs ~1 s) and their mean log p on the held-out
    spectra's latents recorded in `density_heldout`; `settings.density` picks the one kept."""
    t0 = time.perf_counter()
    tr, va = split(len(data), settings.validation_fraction, seed)
    f32 = np.float32
    obs = jnp.asarray(data.observed[tr], f32)
    ivar = jnp.asarray(data.ivar[tr], f32)
    z = jnp.asarray(data.redshift[tr], f32)
    model = SpectrumAutoencoder(
        jnp.asarray(data.wave_rest, f32), jnp.asarray(data.wave_obs, f32),
        n_latent=settings.n_latent, width=settings.width, depth=settings.depth,
        key=jax.random.key(seed),
    )
    model = cast_floats(model, np.float32)  # float32 training: twice as fast on CPU, plenty here
    sched = optax.cosine_decay_schedule(settings.learning_rate, settings.steps, alpha=0.05)
    opt = optax.adam(sched)
    state = opt.init(eqx.filter(model, eqx.is_inexact_array))

    @eqx.filter_jit
    def step(model, state, idx):
        def loss_fn(m):
            return jnp.mean(chi2_per_pixel(m, obs[idx], ivar[idx], z[idx]))

        loss, grads = eqx.filter_value_and_grad(loss_fn)(model)
        updates, state = opt.update(grads, state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), state, loss

    val_obs = jnp.asarray(data.observed[va], f32)
    val_ivar = jnp.asarray(data.ivar[va], f32)
    val_z = jnp.asarray(data.redshift[va], f32)
    val_fn = eqx.filter_jit(chi2_per_pixel)
    # a fixed cosine schedule: the held-out chi2 is recorded for the loss figure, not used to stop
    # early or pick a step (stopping would change which spectrum prior is trained)
    rng = np.random.default_rng([int(seed), 0xBA7C])
    n_tr = len(tr)
    bs = min(settings.batch_size, n_tr)
    losses, val = np.empty(settings.steps), []
    every = max(settings.steps // 20, 1)
    for i in tqdm(range(settings.steps), desc="spectrum AE", mininterval=5.0):
        idx = jnp.asarray(rng.choice(n_tr, size=bs, replace=False))
        model, state, loss = step(model, state, idx)
        losses[i] = float(loss)
        if (i + 1) % every == 0 or i + 1 == settings.steps:
            v = float(jnp.median(val_fn(model, val_obs, val_ivar, val_z)))
            val.append((i + 1, v))
            log.info("step %d: train chi2/pix %.3f, held-out median %.3f", i + 1, losses[i], v)
    if not np.all(np.isfinite(losses)):
        raise FloatingPointError("spectrum autoencoder training diverged (non-finite loss)")
    model = cast_floats(model, np.float64)
    latents = encode_all(model, data.observed[tr], data.redshift[tr])
    held = encode_all(model, data.observed[va], data.redshift[va])
    fits = {"gmm": fit_gmm(latents, settings.n_components, seed=seed)}
    if settings.density == "flow":
        flow_settings = dataclasses.replace(settings.flow, n_starts=settings.n_components)
        fits["flow"] = fit_flow(latents, flow_settings, seed=seed)
    heldout = {k: float(np.mean(jax.vmap(d.log_prob)(jnp.asarray(held))))
               for k, d in fits.items()}
    log.info("held-out mean log p(latents): %s", heldout)
    return TrainedPrior(model, fits[settings.density], losses, np.asarray(val), tr, va,
                        time.perf_counter() - t0, heldout)

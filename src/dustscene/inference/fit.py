"""Maximum-posterior fitting: Adam then L-BFGS in one compiled while-loop, batched over scenes by
vmap.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from dustscene.scene.observation import Observation
from dustscene.scene.parameters import from_vector, log_prior, n_free, to_vector
from dustscene.scene.scene import Scene


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """Optimizer knobs (hashable: one compilation per settings and scene structure)."""

    adam_steps: int = 1500
    lbfgs_steps: int = 500
    learning_rate: float = 0.5
    rtol: float = 1e-9
    atol: float = 1e-6
    window: int = 20

    @property
    def max_steps(self) -> int:
        return self.adam_steps + self.lbfgs_steps


@dataclasses.dataclass
class FitResult:
    """A fitted scene, its flat unconstrained vector, the loss history (NaN past n_steps) and
    status.
    """

    scene: Scene
    u: Array
    loss: Array
    history: Array
    n_steps: Array
    converged: Array
    wall_seconds: float = 0.0


def loss_function(template: Scene, observation: Observation, u: Float[Array, " n"]) -> Array:
    """Negative log posterior: chi2 / 2 minus the log prior of parameters that carry one."""
    scene = from_vector(template, u)
    return -observation.log_likelihood(scene) - log_prior(scene)


def _loop(f, opt, u, state, i0, stop, history, best, settings: FitSettings, lbfgs: bool):
    """Run `opt` from step i0 until `stop` or convergence; keep the best iterate."""
    vg = optax.value_and_grad_from_state(f) if lbfgs else jax.value_and_grad(f)

    def cond(c):
        i, _, _, _, _, _, done = c
        return (i < stop) & ~done

    def body(c):
        i, u, state, history, best_u, best_l, _ = c
        if lbfgs:
            loss, g = vg(u, state=state)
            upd, state = opt.update(g, state, u, value=loss, grad=g, value_fn=f)
        else:
            loss, g = vg(u)
            upd, state = opt.update(g, state, u)
        better = loss < best_l
        best_u = jnp.where(better, u, best_u)
        best_l = jnp.where(better, loss, best_l)
        history = history.at[i].set(loss)
        past = history[jnp.maximum(i - settings.window, 0)]
        done = (i - i0 >= settings.window) & (
            jnp.abs(past - loss) < settings.atol + settings.rtol * jnp.abs(loss)
        )
        done = done | ~jnp.isfinite(loss)
        return i + 1, optax.apply_updates(u, upd), state, history, best_u, best_l, done

    best_u, best_l = best
    c = (i0, u, state, history, best_u, best_l, jnp.array(False))
    i, u, _, history, best_u, best_l, done = jax.lax.while_loop(cond, body, c)
    return i, history, (best_u, best_l), done


def _fit_one(template: Scene, observation: Observation, u0: Array, settings: FitSettings):
    """Adam (cosine-decayed, in step-scaled unconstrained space) then L-BFGS from the best Adam
    iterate.
    """

    def f(u):
        return loss_function(template, observation, u)

    history = jnp.full(settings.max_steps, jnp.nan)
    best = (u0, f(u0))
    i, done = jnp.array(0), jnp.array(False)
    if settings.adam_steps > 0:
        sched = optax.cosine_decay_schedule(settings.learning_rate, settings.adam_steps, alpha=0.02)
        adam = optax.adam(sched)
        i, history, best, done = _loop(
            f, adam, u0, adam.init(u0), 0, settings.adam_steps, history, best, settings, lbfgs=False
        )
    if settings.lbfgs_steps > 0:
        lb = optax.lbfgs()
        u1 = best[0]
        i, history, best, done = _loop(
            f, lb, u1, lb.init(u1), i, i + settings.lbfgs_steps, history, best, settings, lbfgs=True
        )
    return best[0], best[1], history, i, done


@eqx.filter_jit
def _fit_batch_jit(template, observations, u0, settings):
    return jax.vmap(lambda o, u: _fit_one(template, o, u, settings))(observations, u0)


@eqx.filter_jit
def _fit_single_jit(template, observation, u0, settings):
    return _fit_one(template, observation, u0, settings)


def fit(scene: Scene, observation: Observation, settings: FitSettings = FitSettings()) -> FitResult:
    """Fit one scene to one observation; returns the best iterate and the loss history."""
    t0 = time.perf_counter()
    u, loss, hist, n, done = _fit_single_jit(scene, observation, to_vector(scene), settings)
    loss.block_until_ready()
    return FitResult(from_vector(scene, u), u, loss, hist, n, done, time.perf_counter() - t0)


def stack(trees: list[Any]) -> Any:
    """Stack equally-shaped PyTrees along a new leading axis (for batched fitting)."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def fit_batch(
    template: Scene,
    observations: Observation | list[Observation],
    u0: Float[Array, "batch n"],
    settings: FitSettings = FitSettings(),
) -> list[FitResult]:
    """Fit many scenes of one structure in one compiled, vmapped call (compiled once per shape)."""
    t0 = time.perf_counter()
    obs = stack(observations) if isinstance(observations, list | tuple) else observations
    u, loss, hist, n, done = _fit_batch_jit(template, obs, jnp.asarray(u0), settings)
    loss.block_until_ready()
    wall = (time.perf_counter() - t0) / u.shape[0]
    return [
        FitResult(from_vector(template, u[b]), u[b], loss[b], hist[b], n[b], done[b], wall)
        for b in range(u.shape[0])
    ]


def chi2_per_dof(scene: Scene, observation: Observation) -> float:
    """sum W (Y - model)^2 over unmasked pixels / (N - n_params)."""
    n = observation.n_pixels - n_free(scene)
    return float(observation.chi2(scene)) / max(n, 1)

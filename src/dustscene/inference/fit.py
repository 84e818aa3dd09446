"""Maximum-posterior fitting: Adam then preconditioned L-BFGS in one compiled while-loop, batched
over scenes (vmap, or a compiled map).
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
from dustscene.scene.parameters import free_parameters, from_vector, log_prior, n_free, to_vector
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
    # L-BFGS in coordinates where the Gauss-Newton curvature diag(J^T W J) is 1 (computed once at
    # its start, n forward-mode passes; skipped above `precondition_max` parameters)
    precondition: bool = True
    precondition_max: int = 400
    # "zoom" (strong Wolfe, robust) or "backtracking" (Armijo: a smaller graph, faster compile)
    linesearch: str = "zoom"

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


def has_score_prior(scene: Scene) -> bool:
    """True when a free parameter carries a prior known only by its gradient (a score prior,
    `proper = False`): its loss values cannot rank iterates or stop the loop."""
    return any(
        p.prior is not None and not getattr(p.prior, "proper", True)
        for _, p in free_parameters(scene)
    )


def _loop(
    f, opt, u, state, i0, stop, history, best, settings: FitSettings, lbfgs: bool,
    track_best: bool = True,
):
    """Run `opt` from step i0 until `stop` or convergence; keep the best iterate. With
    `track_best=False` (a score prior: the loss is -log L only) run every step and return the
    last iterate."""
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
        history = history.at[i].set(loss)
        new_u = optax.apply_updates(u, upd)
        if not track_best:
            return i + 1, new_u, state, history, new_u, loss, ~jnp.isfinite(loss)
        better = loss < best_l
        best_u = jnp.where(better, u, best_u)
        best_l = jnp.where(better, loss, best_l)
        past = history[jnp.maximum(i - settings.window, 0)]
        done = (i - i0 >= settings.window) & (
            jnp.abs(past - loss) < settings.atol + settings.rtol * jnp.abs(loss)
        )
        done = done | ~jnp.isfinite(loss)
        return i + 1, new_u, state, history, best_u, best_l, done

    best_u, best_l = best
    c = (i0, u, state, history, best_u, best_l, jnp.array(False))
    i, u, _, history, best_u, best_l, done = jax.lax.while_loop(cond, body, c)
    # a loop stopped by a NaN/inf loss diverged: that stop is not convergence
    done = done & jnp.isfinite(history[jnp.maximum(i - 1, 0)])
    return i, history, (best_u, best_l), done


def _lbfgs(settings: FitSettings) -> optax.GradientTransformationExtraArgs:
    if settings.linesearch == "zoom":
        return optax.lbfgs()
    if settings.linesearch == "backtracking":
        ls = optax.scale_by_backtracking_linesearch(
            max_backtracking_steps=20, store_grad=True, max_learning_rate=1.0
        )
        return optax.lbfgs(linesearch=ls)
    raise ValueError(
        f"FitSettings.linesearch must be 'zoom' or 'backtracking', not {settings.linesearch!r}"
    )


def gauss_newton_scale(
    template: Scene, observation: Observation, u: Float[Array, " n"], chunk: int = 32
) -> Float[Array, " n"]:
    """1 / sqrt(diag(J^T W J)) of the rendered model at `u` (1 where a parameter has no
    curvature): rescales the unconstrained vector so each coordinate's conditional sigma is 1."""
    sw = jnp.sqrt(observation.weights)

    def model(v):
        return sw * observation.render(from_vector(template, v))

    def col2(e):
        return jnp.sum(jax.jvp(model, (u,), (e,))[1] ** 2)

    n = u.shape[0]
    diag = jax.lax.map(col2, jnp.eye(n, dtype=u.dtype), batch_size=min(chunk, n))
    ok = jnp.isfinite(diag) & (diag > 1e-12 * jnp.max(jnp.where(jnp.isfinite(diag), diag, 0.0)))
    return jnp.where(ok, 1.0 / jnp.sqrt(jnp.where(ok, diag, 1.0)), 1.0)


def _fit_one(template: Scene, observation: Observation, u0: Array, settings: FitSettings):
    """Adam (cosine-decayed, in step-scaled unconstrained space) then L-BFGS from the best Adam
    iterate.
    """

    def f(u):
        return loss_function(template, observation, u)

    history = jnp.full(settings.max_steps, jnp.nan)
    # the first loop step evaluates u0 and takes it as the best so far (no extra copy of f)
    best = (u0, jnp.asarray(jnp.inf, dtype=u0.dtype))
    i, done = jnp.array(0), jnp.array(False)
    score = has_score_prior(template)
    if score and settings.lbfgs_steps > 0:
        raise ValueError(
            "a score prior (no log-density value) needs an Adam-only fit: set lbfgs_steps=0"
        )
    if settings.adam_steps > 0:
        sched = optax.cosine_decay_schedule(settings.learning_rate, settings.adam_steps, alpha=0.02)
        adam = optax.adam(sched)
        i, history, best, done = _loop(
            f, adam, u0, adam.init(u0), 0, settings.adam_steps, history, best, settings,
            lbfgs=False, track_best=not score,
        )
    if settings.lbfgs_steps > 0:
        lb = _lbfgs(settings)
        u1 = best[0]
        if settings.precondition and u1.shape[0] <= settings.precondition_max:
            scale = jax.lax.stop_gradient(gauss_newton_scale(template, observation, u1))
        else:
            scale = jnp.ones_like(u1)

        def g(v):
            return f(u1 + scale * v)

        v0 = jnp.zeros_like(u1)
        i, history, (best_v, best_l), done = _loop(
            g, lb, v0, lb.init(v0), i, i + settings.lbfgs_steps, history, (v0, best[1]), settings,
            lbfgs=True,
        )
        best = (u1 + scale * best_v, best_l)
    return best[0], best[1], history, i, done


@eqx.filter_jit
def _fit_batch_jit(template, observations, u0, settings, method):
    def one(o, u):
        return _fit_one(template, o, u, settings)

    if method == "vmap":
        return jax.vmap(one)(observations, u0)
    # one scene after another inside the same compiled call: each stops at its own convergence
    return jax.lax.map(lambda ou: one(*ou), (observations, u0))


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
    *,
    method: str = "vmap",
) -> list[FitResult]:
    """Fit many scenes of one structure in one compiled call (compiled once per shape).

    `method="vmap"`: all scenes advance together (every scene runs until the slowest converges,
    each line search until the slowest lane accepts); `"map"`: a compiled loop over scenes, each
    stopping at its own convergence (faster on CPUs, where vmap gains little parallelism).
    """
    if method not in ("vmap", "map"):
        raise ValueError(f"fit_batch method must be 'vmap' or 'map', not {method!r}")
    t0 = time.perf_counter()
    obs = stack(observations) if isinstance(observations, list | tuple) else observations
    u, loss, hist, n, done = _fit_batch_jit(template, obs, jnp.asarray(u0), settings, method)
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

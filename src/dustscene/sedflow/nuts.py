"""Reference posteriors by NUTS (numpyro) on the same JAX simulator and Gaussian likelihood.

The likelihood is N(flux_obs | photometry(theta, z), sigma) with the reported sigma taken as
known. The simulator (`noise.observe`) reports sigma from the observed flux, so sigma is
ancillary given flux_obs and this is its likelihood up to floor |f_obs| vs floor f_true in the
variance: a relative variance error of about 2 floor z (z the noise draw in sigma units), i.e.
<= ~10 % at 1 sigma for the largest floor (5 %) of floor-dominated bands.
"""

from __future__ import annotations

import dataclasses
import time
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jaxtyping import ArrayLike, Float
from numpy.typing import NDArray
from numpyro.infer import MCMC, NUTS, init_to_value
from numpyro.infer.hmc import hmc

from dustscene.sed import FilterSet, SSPTable

from .simulator import photometry_jax

F64 = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class NutsResult:
    """Samples (n, 10), wall seconds, divergences and minimal effective sample size."""

    samples: F64
    seconds: float
    divergences: int
    min_ess: float


def _model(
    flux: jax.Array, sigma: jax.Array, z: jax.Array, low: jax.Array, high: jax.Array,
    table: SSPTable, filters: FilterSet,
) -> None:
    theta = numpyro.sample("theta", dist.Uniform(low, high).to_event(1))
    model_flux = photometry_jax(theta[None, :], z[None], table, filters)[0]
    numpyro.sample("obs", dist.Normal(model_flux, sigma).to_event(1), obs=flux)


def run_nuts(
    flux: F64,
    sigma: F64,
    redshift: float,
    low: F64,
    high: F64,
    table: SSPTable,
    filters: FilterSet,
    seed: int,
    init: F64 | None = None,
    num_warmup: int = 500,
    num_samples: int = 1000,
    max_tree_depth: int = 8,
) -> NutsResult:
    """NUTS posterior (one chain, dense mass) for one galaxy; `init` is an optional start theta."""
    strategy = init_to_value(values={"theta": jnp.asarray(init)}) if init is not None else None
    kernel = NUTS(_model, dense_mass=True, max_tree_depth=max_tree_depth,
                  **({"init_strategy": strategy} if strategy is not None else {}))
    mcmc = MCMC(kernel, num_warmup=num_warmup, num_samples=num_samples, progress_bar=False,
                jit_model_args=True)
    t0 = time.perf_counter()
    mcmc.run(jax.random.key(seed), jnp.asarray(flux), jnp.asarray(sigma), jnp.asarray(redshift),
             jnp.asarray(low), jnp.asarray(high), table, filters, extra_fields=("diverging",))
    samples = np.asarray(mcmc.get_samples()["theta"])
    seconds = time.perf_counter() - t0
    ess = numpyro.diagnostics.effective_sample_size(samples[None])
    div = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    return NutsResult(samples, seconds, div, float(np.min(ess)))


@dataclasses.dataclass(frozen=True)
class NutsBatch:
    """NUTS for many galaxies: samples (galaxy, chain, draw, 10), diagnostics per galaxy."""

    samples: NDArray[np.float64]
    seconds: float  # wall time of the whole batch (one compiled program)
    divergences: NDArray[np.int64]  # (galaxy,)
    min_ess: NDArray[np.float64]  # (galaxy,) smallest bulk ESS over the 10 parameters
    max_rhat: NDArray[np.float64]  # (galaxy,) largest split R-hat (NaN with one chain)
    mean_steps: NDArray[np.float64]  # (galaxy,) mean leapfrog steps per draw


def _box_potential(
    u: jax.Array, flux: jax.Array, sigma: jax.Array, z: jax.Array, low: jax.Array,
    high: jax.Array, table: SSPTable, filters: FilterSet,
) -> jax.Array:
    """-log posterior in the unconstrained u (theta = low + (high-low) sigmoid(u)).

    The same density as `_model` under numpyro's interval transform: uniform prior times
    the Gaussian likelihood, plus the sigmoid's log-Jacobian.
    """
    theta = low + (high - low) * jax.nn.sigmoid(u)
    model_flux = photometry_jax(theta[None, :], z[None], table, filters)[0]
    loglik = -0.5 * jnp.sum(((flux - model_flux) / sigma) ** 2)
    log_jac = jnp.sum(jnp.log(high - low) + jax.nn.log_sigmoid(u) + jax.nn.log_sigmoid(-u))
    return -(loglik + log_jac)


def run_nuts_batch(
    flux: Float[ArrayLike, "galaxy band"],
    sigma: Float[ArrayLike, "galaxy band"],
    redshift: Float[ArrayLike, " galaxy"],
    low: F64,
    high: F64,
    table: SSPTable,
    filters: FilterSet,
    seed: int,
    init: Float[ArrayLike, "galaxy chain theta"],
    num_warmup: int = 500,
    num_samples: int = 1000,
    max_tree_depth: int = 8,
) -> NutsBatch:
    """NUTS (dense mass, numpyro's kernel) for galaxy x chain problems in one vmapped program.

    One compile serves every galaxy and chain, and the photometry is evaluated batched; chains
    start at `init` (e.g. flow draws: over-dispersed starts make R-hat meaningful).
    """
    init = np.asarray(init, dtype=np.float64)
    n_gal, n_chain = init.shape[:2]
    lo, hi = jnp.asarray(low), jnp.asarray(high)
    frac = np.clip((init - low) / (high - low), 1e-6, 1 - 1e-6)
    u0 = jnp.asarray(np.log(frac) - np.log1p(-frac)).reshape(n_gal * n_chain, -1)

    def gen(f: jax.Array, s: jax.Array, z: jax.Array) -> Any:
        return partial(_box_potential, flux=f, sigma=s, z=z, low=lo, high=hi, table=table,
                       filters=filters)

    init_kernel, sample_kernel = hmc(potential_fn_gen=gen, algo="NUTS")

    def one(key: jax.Array, u: jax.Array, f: jax.Array, s: jax.Array, z: jax.Array) -> Any:
        args = (f, s, z)
        state = init_kernel(u, num_warmup, dense_mass=True, max_tree_depth=max_tree_depth,
                            model_args=args, rng_key=key)

        def step(st: Any, _: None) -> tuple[Any, tuple[jax.Array, jax.Array, jax.Array]]:
            st = sample_kernel(st, model_args=args)
            return st, (st.z, st.diverging, st.num_steps)

        _, (zs, div, steps) = jax.lax.scan(step, state, None, length=num_warmup + num_samples)
        zs = zs[num_warmup:]
        return lo + (hi - lo) * jax.nn.sigmoid(zs), div[num_warmup:].sum(), steps[num_warmup:]

    rep = partial(np.repeat, repeats=n_chain, axis=0)
    keys = jax.random.split(jax.random.key(seed), n_gal * n_chain)
    t0 = time.perf_counter()
    th, div, steps = jax.jit(jax.vmap(one))(
        keys, u0, jnp.asarray(rep(np.asarray(flux, np.float64))),
        jnp.asarray(rep(np.asarray(sigma, np.float64))),
        jnp.asarray(rep(np.asarray(redshift, np.float64))))
    samples = np.asarray(th).reshape(n_gal, n_chain, num_samples, -1)
    seconds = time.perf_counter() - t0
    ess = np.array([np.min(numpyro.diagnostics.effective_sample_size(s)) for s in samples])
    rhat = np.array([np.max(numpyro.diagnostics.split_gelman_rubin(s)) if n_chain > 1
                     else np.nan for s in samples])
    return NutsBatch(samples, seconds, np.asarray(div).reshape(n_gal, n_chain).sum(1),
                     ess, rhat, np.asarray(steps, float).reshape(n_gal, -1).mean(1))

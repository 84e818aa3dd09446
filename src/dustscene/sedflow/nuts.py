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
from tqdm.auto import tqdm

from dustscene.sed import FilterSet, SSPTable
from dustscene.sed.model import BandSpectra, band_spectra

from .simulator import photometry_band_jax

F64 = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class NutsResult:
    """Samples (n, 10), wall seconds, divergences and minimal effective sample size."""

    samples: F64
    seconds: float
    divergences: int
    min_ess: float


def _model(
    flux: jax.Array, sigma: jax.Array, band: BandSpectra, low: jax.Array, high: jax.Array,
    table: SSPTable, filters: FilterSet,
) -> None:
    theta = numpyro.sample("theta", dist.Uniform(low, high).to_event(1))
    model_flux = photometry_band_jax(theta[None, :], band, table, filters)[0]
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
    band = band_spectra(table, redshift, filters)
    mcmc.run(jax.random.key(seed), jnp.asarray(flux), jnp.asarray(sigma), band,
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
    divergences: NDArray[np.int64]  # (galaxy,)
    min_ess: NDArray[np.float64]  # (galaxy,) smallest bulk ESS over the 10 parameters
    max_rhat: NDArray[np.float64]  # (galaxy,) largest split R-hat (NaN with one chain)
    mean_steps: NDArray[np.float64]  # (galaxy,) mean leapfrog steps per draw
    galaxy_seconds: NDArray[np.float64]  # (galaxy,) wall time of each galaxy's chains

    @property
    def seconds(self) -> float:
        """Wall time of the whole batch, compilation excluded."""
        return float(np.sum(self.galaxy_seconds))

    def thinned(self, g: int) -> NDArray[np.float64]:
        """Galaxy g's draws, chains pooled, thinned to about one draw per effective sample.

        Autocorrelated neighbours let a classifier (C2ST) recognise MCMC draws by proximity to
        their own chain, not by a difference in distribution; thinning removes that tell.
        """
        n_chain, n_draw = self.samples.shape[1:3]
        step = max(1, int(n_chain * n_draw // max(self.min_ess[g], 1.0)))
        step = min(step, n_draw // 10 or 1)  # keep >= 10 draws per chain
        return self.samples[g, :, ::step].reshape(-1, self.samples.shape[-1])


def _box_potential(
    u: jax.Array, flux: jax.Array, sigma: jax.Array, band: BandSpectra, low: jax.Array,
    high: jax.Array, table: SSPTable, filters: FilterSet,
) -> jax.Array:
    """-log posterior in the unconstrained u (theta = low + (high-low) sigmoid(u)).

    The same density as `_model` under numpyro's interval transform: uniform prior times
    the Gaussian likelihood, plus the sigmoid's log-Jacobian.
    """
    theta = low + (high - low) * jax.nn.sigmoid(u)
    model_flux = photometry_band_jax(theta[None, :], band, table, filters)[0]
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
    target_accept_prob: float = 0.9,
) -> NutsBatch:
    """NUTS (dense mass, numpyro's kernel) for every galaxy, its chains vmapped in one program.

    One compile serves every galaxy; galaxies run one after another so that a galaxy with short
    trajectories does not wait for the longest tree of another (a vmapped batch advances in
    lockstep). Chains start at `init` (e.g. flow draws: over-dispersed starts make R-hat
    meaningful). target_accept_prob 0.9 (numpyro: 0.8) halves divergences on the curved
    mass-dust-age ridges of these posteriors at the price of longer trajectories.
    """
    init = np.asarray(init, dtype=np.float64)
    n_gal, n_chain = init.shape[:2]
    lo, hi = jnp.asarray(low), jnp.asarray(high)
    frac = np.clip((init - low) / (high - low), 1e-6, 1 - 1e-6)
    u0 = np.log(frac) - np.log1p(-frac)

    def gen(f: jax.Array, s: jax.Array, band: BandSpectra) -> Any:
        return partial(_box_potential, flux=f, sigma=s, band=band, low=lo, high=hi, table=table,
                       filters=filters)

    init_kernel, sample_kernel = hmc(potential_fn_gen=gen, algo="NUTS")

    def one(key: jax.Array, u: jax.Array, f: jax.Array, s: jax.Array, z: jax.Array) -> Any:
        # the galaxy's redshift is fixed: the table is interpolated at its filter samples once,
        # not at every leapfrog step (`band_spectra`)
        args = (f, s, band_spectra(table, z, filters))
        state = init_kernel(u, num_warmup, dense_mass=True, max_tree_depth=max_tree_depth,
                            target_accept_prob=target_accept_prob, model_args=args,
                            rng_key=key)

        def step(st: Any, _: None) -> tuple[Any, tuple[jax.Array, jax.Array, jax.Array]]:
            st = sample_kernel(st, model_args=args)
            return st, (st.z, st.diverging, st.num_steps)

        _, (zs, div, steps) = jax.lax.scan(step, state, None, length=num_warmup + num_samples)
        zs = zs[num_warmup:]
        return lo + (hi - lo) * jax.nn.sigmoid(zs), div[num_warmup:].sum(), steps[num_warmup:]

    chains = jax.jit(jax.vmap(one, in_axes=(0, 0, None, None, None)))
    keys = jax.random.split(jax.random.key(seed), n_gal * n_chain).reshape(n_gal, n_chain)
    flux, sigma = np.asarray(flux, np.float64), np.asarray(sigma, np.float64)
    z = np.asarray(redshift, np.float64)
    args = [(keys[g], jnp.asarray(u0[g]), jnp.asarray(flux[g]), jnp.asarray(sigma[g]),
             jnp.asarray(z[g])) for g in range(n_gal)]
    if n_gal:
        chains.lower(*args[0]).compile()  # compile outside the timed region
    samples = np.empty((n_gal, n_chain, num_samples, len(low)))
    div, steps, secs = np.zeros(n_gal, np.int64), np.zeros(n_gal), np.zeros(n_gal)
    for g in tqdm(range(n_gal), desc="NUTS reference", disable=None, mininterval=10):
        t0 = time.perf_counter()
        th, d, st = jax.block_until_ready(chains(*args[g]))
        secs[g] = time.perf_counter() - t0
        samples[g], div[g], steps[g] = np.asarray(th), int(np.sum(d)), float(np.mean(st))
    ess = np.array([np.min(numpyro.diagnostics.effective_sample_size(s)) for s in samples])
    rhat = np.array([np.max(numpyro.diagnostics.split_gelman_rubin(s)) if n_chain > 1
                     else np.nan for s in samples])
    return NutsBatch(samples, div, ess, rhat, steps, secs)

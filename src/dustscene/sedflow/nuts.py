"""Reference posteriors by NUTS (numpyro) on the same JAX simulator and Gaussian likelihood.

The likelihood is N(flux_obs | photometry(theta, z), sigma) with sigma taken as known; it
ignores the weak information p(sigma | f_true) carries through the fractional floor.
"""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpy.typing import NDArray
from numpyro.infer import MCMC, NUTS, init_to_value

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

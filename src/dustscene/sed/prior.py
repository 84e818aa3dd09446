"""Default prior over SEDParams: independent uniforms plus a flat Dirichlet on SFH weights."""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
from jaxtyping import PRNGKeyArray

from .model import SEDParams
from .sfh import N_BASIS

# (low, high) of each uniform; sfh_weights ~ Dirichlet(1, ..., 1) over the 4 bases.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "log_mass": (9.0, 11.5),  # log10 M_formed / M_sun
    "f_burst": (0.0, 0.3),
    "t_burst": (0.01, 10.0),  # Gyr look-back (clipped to the age of the universe at z)
    "log_z": (-1.5, 0.3),  # log10 Z / Z_sun
    "tau_bc": (0.0, 3.0),
    "tau_ism": (0.0, 3.0),
    "n_dust": (-1.0, 0.4),  # Kriek & Conroy delta
    "redshift": (0.02, 0.3),
}


def sample_prior(
    key: PRNGKeyArray, n: int, ranges: Mapping[str, tuple[float, float]] | None = None
) -> SEDParams:
    """Draw n parameter sets; `ranges` overrides entries of DEFAULT_RANGES."""
    r = {**DEFAULT_RANGES, **(ranges or {})}
    unknown = set(r) - set(DEFAULT_RANGES)
    if unknown:
        raise ValueError(
            f"unknown prior range(s) {sorted(unknown)}; valid: {sorted(DEFAULT_RANGES)}"
        )
    k_dir, *keys = jax.random.split(key, len(DEFAULT_RANGES) + 1)
    draws = {
        name: jax.random.uniform(k, (n,), minval=r[name][0], maxval=r[name][1])
        for k, name in zip(keys, DEFAULT_RANGES, strict=True)
    }
    weights = jax.random.dirichlet(k_dir, jnp.ones(N_BASIS), (n,))
    return SEDParams(sfh_weights=weights, **draws)

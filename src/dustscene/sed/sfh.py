"""Star-formation and chemical histories: basis SFHs, a burst, metallicity interpolation weights.

The SFH is written in normalised look-back time x = t / t_H(z) in [0, 1] (t_H: age of the
universe at the galaxy's redshift), so every basis forms all its mass after the Big Bang.
Four fixed basis shapes (SFR as a function of x, each normalised to unit mass formed),
chosen for analytic cumulative mass so that bin masses are exact and differentiable:

  0 "early"      SFR ~ x^3        mass formed early (old population)
  1 "declining"  SFR ~ x          declining in cosmic time, zero today
  2 "constant"   SFR = const
  3 "rising"     SFR ~ (1 - x)^2  rising to a maximum today
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Float

BASIS_NAMES = ("early", "declining", "constant", "rising")
N_BASIS = len(BASIS_NAMES)


def basis_cdf(x: Float[Array, "*s"]) -> Float[Array, "*s basis"]:
    """Fraction of each basis' mass formed at look-back fraction < x (x clipped to [0, 1])."""
    x = jnp.clip(x, 0.0, 1.0)
    return jnp.stack([x**4, x**2, x, 1.0 - (1.0 - x) ** 3], axis=-1)


def basis_masses(
    age_edges_yr: Float[Array, " age1"], t_h_gyr: Float[Array, " n"]
) -> Float[Array, "n basis age"]:
    """Unit-mass fraction of each basis formed in each age bin (rows sum to 1 per basis)."""
    x = age_edges_yr[None, :] / (1e9 * t_h_gyr[:, None])  # (n, age+1)
    cdf = basis_cdf(x)  # (n, age+1, basis)
    return jnp.moveaxis(jnp.diff(cdf, axis=1), -1, 1)


def interp_weights(
    x: Float[Array, " n"], nodes: Float[Array, " k"]
) -> Float[Array, "n k"]:
    """Linear-interpolation weights of x on ascending `nodes` (clipped to the ends)."""
    x = jnp.clip(x, nodes[0], nodes[-1])
    i = jnp.clip(jnp.searchsorted(nodes, x, side="right") - 1, 0, nodes.shape[0] - 2)
    frac = (x - nodes[i]) / (nodes[i + 1] - nodes[i])
    k = jnp.arange(nodes.shape[0])
    lo = (k[None, :] == i[:, None]) * (1.0 - frac)[:, None]
    hi = (k[None, :] == (i + 1)[:, None]) * frac[:, None]
    return lo + hi


def burst_masses(
    t_burst_gyr: Float[Array, " n"], age_mid_yr: Float[Array, " age"], t_h_gyr: Float[Array, " n"]
) -> Float[Array, "n age"]:
    """Unit mass formed at look-back time t_burst, split linearly in log age between bins."""
    t = jnp.minimum(t_burst_gyr, t_h_gyr) * 1e9
    return interp_weights(jnp.log10(t), jnp.log10(age_mid_yr))


def metallicity_weights(
    log_z: Float[Array, " n"], grid_log_z: Float[Array, " z"]
) -> Float[Array, "n z"]:
    """Weights over the SSP metallicities, linear in log10 Z (clipped to the grid range)."""
    return interp_weights(log_z, grid_log_z)

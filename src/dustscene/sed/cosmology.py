"""Flat LambdaCDM look-up tables (astropy, evaluated once) interpolated in jnp for redshifts."""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

Z_MAX = 6.0
N_Z = 3000
MPC_CM = 3.0856775814913673e24


@functools.lru_cache(maxsize=8)
def _tables(h0: float, om0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, log luminosity distance [ln cm], age of universe [Gyr]) on a grid 0 <= z <= 6."""
    from astropy.cosmology import FlatLambdaCDM

    cosmo = FlatLambdaCDM(H0=h0, Om0=om0)
    z = np.concatenate([[0.0], np.geomspace(1e-4, Z_MAX, N_Z - 1)])
    d_l = cosmo.luminosity_distance(z[1:]).to_value("Mpc") * MPC_CM
    # ln dL is smooth in ln z; at z=0 the distance is 0, mapped to a tiny finite value
    ln_dl = np.concatenate([[np.log(d_l[0]) - 10.0], np.log(d_l)])
    age = cosmo.age(z).to_value("Gyr")
    return z, ln_dl, age


def ln_luminosity_distance_cm(
    z: Float[ArrayLike, "*n"], h0: float = 70.0, om0: float = 0.3
) -> Float[Array, "*n"]:
    """Natural log of the luminosity distance in cm (log keeps float32 from overflowing)."""
    zg, ln_dl, _ = _tables(float(h0), float(om0))
    # interpolate in ln z, where ln dL is nearly linear (dL ~ cz/H0 at low z)
    ln_z = jnp.log(jnp.maximum(jnp.asarray(z), 1e-4))
    return jnp.interp(ln_z, jnp.log(jnp.asarray(zg[1:])), jnp.asarray(ln_dl[1:]))


def age_of_universe_gyr(
    z: Float[ArrayLike, "*n"], h0: float = 70.0, om0: float = 0.3
) -> Float[Array, "*n"]:
    """Age of the universe at redshift z in Gyr (the SFH look-back horizon)."""
    zg, _, age = _tables(float(h0), float(om0))
    return jnp.interp(jnp.asarray(z), jnp.asarray(zg), jnp.asarray(age))

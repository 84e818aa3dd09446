"""Per-band fluxes of a rest-frame spectrum seen at a redshift: the AB photon-counting filter
average that both the scene's latent spectrum and the photometry fitter use."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from dustscene.sed.photometry import interp_log_grid


def filter_weights(
    wave: Float[ArrayLike, "band nw"], trans: Float[ArrayLike, "band nw"]
) -> Float[Array, "band nw"]:
    """Quadrature weights w with sum_q w f_lambda(lambda_q) = <f_nu> (up to a constant): the AB
    photon-counting average int f_nu T dlam/lam / int T dlam/lam with f_nu = f_lambda lam^2 / c."""
    from dustscene.sed.filters import FilterSet, ab_weights

    fs = FilterSet(names=tuple(str(i) for i in range(np.shape(wave)[0])),
                   wave=jnp.asarray(wave, dtype=float), trans=jnp.asarray(trans, dtype=float))
    return ab_weights(fs) * fs.wave**2


def band_shape(
    wave_rest: Float[Array, " w"],
    rest: Float[Array, " w"],
    filt_wave: Float[Array, "band nw"],
    weights: Float[Array, "band nw"],
    redshift: Float[ArrayLike, ""],
) -> Float[Array, " band"]:
    """Per-band <f_nu> of a rest-frame f_lambda shape seen at `redshift`, unit mean over bands."""
    q = filt_wave.reshape(1, -1) / (1.0 + redshift)
    f_lam = interp_log_grid(wave_rest, rest[None], q)[0].reshape(filt_wave.shape)
    m = jnp.sum(weights * f_lam, axis=1)
    return m / jnp.mean(m)


def check_coverage(wave_rest: np.ndarray, filt_wave: np.ndarray, redshift: float) -> None:
    """ValueError unless every filter sample maps inside the rest grid at `redshift`."""
    lo, hi = float(np.min(filt_wave)) / (1 + redshift), float(np.max(filt_wave)) / (1 + redshift)
    if lo < float(wave_rest[0]) * 0.999 or hi > float(wave_rest[-1]) * 1.001:
        raise ValueError(
            f"filters at z={redshift:.3f} see rest {lo:.0f}-{hi:.0f} A, outside the spectrum "
            f"prior's grid {float(wave_rest[0]):.0f}-{float(wave_rest[-1]):.0f} A"
        )

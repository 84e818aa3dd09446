"""MAP latents of band fluxes: the spectrum prior fitted to photometry alone (amplitude profiled
out, multi-start), which scores fitted scene components against the prior."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float

from .bands import band_shape, check_coverage, filter_weights
from .density import LatentDensity
from .network import SpectrumAutoencoder


def _decode(decoder: eqx.nn.MLP, s: Array) -> Array:
    log_spec = decoder(s)
    return jax.nn.softmax(log_spec) * log_spec.shape[0]


@eqx.filter_jit
def _fit_photometry(model, density, flux, sigma, z, filt_wave, weights, steps):
    def neg_post(s, f, sig, zz):
        m = band_shape(model.wave_rest, _decode(model.decoder, s), filt_wave, weights, zz)
        iv = 1.0 / sig**2
        amp = jnp.maximum(jnp.sum(iv * f * m) / jnp.sum(iv * m * m), 1e-30)
        chi2 = jnp.sum(iv * (f - amp * m) ** 2)
        return 0.5 * chi2 - density.log_prob(s), (chi2, amp)

    opt = optax.adam(0.05)

    def one(s0, f, sig, zz):
        def body(carry, _):
            s, st = carry
            g = jax.grad(lambda x: neg_post(x, f, sig, zz)[0])(s)
            upd, st = opt.update(g, st, s)
            return (optax.apply_updates(s, upd), st), None

        (s, _), _ = jax.lax.scan(body, (s0, opt.init(s0)), None, length=steps)
        loss, (chi2, amp) = neg_post(s, f, sig, zz)
        return s, loss, chi2, amp

    def per_source(f, sig, zz):
        s, loss, chi2, amp = jax.vmap(lambda s0: one(s0, f, sig, zz))(density.starts)
        best = jnp.argmin(jnp.where(jnp.isfinite(loss), loss, jnp.inf))
        return s[best], chi2[best], amp[best]

    return jax.vmap(per_source)(flux, sigma, z)


def fit_latents_to_photometry(
    model: SpectrumAutoencoder,
    density: LatentDensity,
    flux: Float[ArrayLike, "n band"],
    sigma: Float[ArrayLike, "n band"],
    redshift: Float[ArrayLike, " n"],
    wave: Float[ArrayLike, "band nw"],
    trans: Float[ArrayLike, "band nw"],
    *,
    steps: int = 300,
) -> dict[str, np.ndarray]:
    """MAP latents of band fluxes (amplitude profiled out), multi-start from `density.starts`.

    Returns latents (n, S), log_p (n,) = log p(latents) at the MAP, chi2 (n,) and amplitude (n,).
    """
    flux = jnp.atleast_2d(jnp.asarray(flux, dtype=float))
    sigma = jnp.broadcast_to(jnp.asarray(sigma, dtype=float), flux.shape)
    z = jnp.broadcast_to(jnp.asarray(redshift, dtype=float), flux.shape[:1])
    for zz in np.asarray(z):
        check_coverage(np.asarray(model.wave_rest), np.asarray(wave), float(zz))
    s, chi2, amp = _fit_photometry(
        model, density, flux, sigma, z, jnp.asarray(wave, dtype=float),
        filter_weights(wave, trans), int(steps),
    )
    log_p = jax.vmap(density.log_prob)(s)
    return {"latents": np.asarray(s), "log_p": np.asarray(log_p), "chi2": np.asarray(chi2),
            "amplitude": np.asarray(amp)}

"""The learned SED prior in the forward model: a spectrum whose free parameters are the latents.

`LatentSpectrum()` decodes its latents to a rest-frame spectrum, redshifts it and averages f_nu
over the filter curves (AB, photon counting), so a component's per-band fluxes live on the
learned manifold of galaxy spectra; its latents carry `LatentPrior` (log p from the latent
density), which `dustscene.scene.parameters.log_prior` adds to the fit's objective. It mixes
with every morphology and with the dust component like any other spectrum.
"""

from __future__ import annotations

import hashlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float

from dustscene.scene.parameters import Parameter, Positive, Real, value
from dustscene.sed.photometry import interp_log_grid

from .density import LatentDensity
from .network import SpectrumAutoencoder


class LatentPrior:
    """log p(latents) as a `Parameter.prior`: hashable (by a digest of the density), so it can
    sit in the Parameter's static field; `log_prob` is differentiable JAX."""

    __slots__ = ("density", "digest")

    def __init__(self, density: LatentDensity):
        self.density = density
        h = hashlib.sha256()
        for leaf in jax.tree.leaves(eqx.filter(density, eqx.is_array)):
            h.update(np.asarray(leaf).tobytes())
        self.digest = h.hexdigest()

    def log_prob(self, latents: Float[Array, " s"]) -> Float[Array, ""]:
        return self.density.log_prob(latents)

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LatentPrior) and other.digest == self.digest


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


def decoder_arrays(mlp: eqx.nn.MLP) -> tuple[tuple[Array, Array], ...]:
    """The decoder MLP as plain (weight, bias) arrays: a scene's PyTree leaves stay arrays."""
    return tuple((layer.weight, layer.bias) for layer in mlp.layers)


def apply_decoder(layers: tuple[tuple[Array, Array], ...], x: Float[Array, " s"]) -> Array:
    """`eqx.nn.MLP` with GELU between layers and none at the end (SpectrumAutoencoder's)."""
    for k, (w, b) in enumerate(layers):
        x = w @ x + b
        if k < len(layers) - 1:
            x = jax.nn.gelu(x)
    return x


class LatentSpectrum(eqx.Module):
    """Per-band fluxes = amplitude x band_shape(decoder(latents), z); `amplitude` is the mean
    flux over bands (scene units)."""

    latents: Parameter
    amplitude: Parameter
    decoder: tuple[tuple[Array, Array], ...]  # (weight, bias) per layer: array leaves only
    wave_rest: Float[Array, " w"]
    filt_wave: Float[Array, "band nw"]
    weights: Float[Array, "band nw"]
    redshift: float = eqx.field(static=True)

    def __init__(
        self,
        model: SpectrumAutoencoder,
        density: LatentDensity,
        amplitude: float | Parameter,
        wave: Float[ArrayLike, "band nw"],
        trans: Float[ArrayLike, "band nw"],
        redshift: float,
        *,
        latents: ArrayLike | Parameter | None = None,
    ):
        check_coverage(np.asarray(model.wave_rest), np.asarray(wave), float(redshift))
        if latents is None:  # the first multi-start point: heaviest component / largest cluster
            latents = density.starts[0]
        scale = float(density.scale())
        self.latents = (
            latents if isinstance(latents, Parameter)
            else Parameter(latents, Real(), step=0.3 * scale, prior=LatentPrior(density))
        )
        self.amplitude = (
            amplitude if isinstance(amplitude, Parameter)
            else Parameter(amplitude, Positive(), step=0.05)
        )
        self.decoder = decoder_arrays(model.decoder)
        self.wave_rest = model.wave_rest
        self.filt_wave = jnp.asarray(wave, dtype=float)
        self.weights = filter_weights(wave, trans)
        self.redshift = float(redshift)

    def rest_spectrum(self) -> Float[Array, " w"]:
        """Unit-mean rest-frame f_lambda on `wave_rest` (Angstrom)."""
        log_spec = apply_decoder(self.decoder, value(self.latents))
        return jax.nn.softmax(log_spec) * log_spec.shape[0]

    def __call__(self) -> Float[Array, " band"]:
        shape = band_shape(self.wave_rest, self.rest_spectrum(), self.filt_wave, self.weights,
                           self.redshift)
        return value(self.amplitude) * shape


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

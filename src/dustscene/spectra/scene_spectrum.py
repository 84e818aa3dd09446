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
from jaxtyping import Array, ArrayLike, Float

from dustscene.scene.parameters import Parameter, Positive, Real, value

from .bands import band_shape, check_coverage, filter_weights
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

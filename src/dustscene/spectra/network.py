"""The spectrum autoencoder: encoder (observed -> latents), decoder (latents -> rest spectrum) and
the explicit redshift + resampling transform between them (spender's architecture, simplified).

Encoder: the observed spectrum is first de-redshifted onto the rest grid (known z, as in spender's
decoder side) with a coverage mask, then an MLP maps (spectrum * mask, mask) to S latents. On a
fixed grid of a few hundred pixels an MLP sees every wavelength at once, so spender's attention
pooling (built for 4000-pixel SDSS spectra with variable coverage) is not needed; the mask carries
the coverage. Decoder: an MLP from S latents to log f_lambda on the rest grid (positive spectra).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .data import observed_to_rest, resample_rest_to_observed


class SpectrumAutoencoder(eqx.Module):
    """Encoder and decoder on fixed rest / observed grids (Angstrom, log-uniform)."""

    encoder: eqx.nn.MLP
    decoder: eqx.nn.MLP
    wave_rest: Float[Array, " w"]
    wave_obs: Float[Array, " q"]
    n_latent: int = eqx.field(static=True)

    def __init__(
        self,
        wave_rest: Float[Array, " w"],
        wave_obs: Float[Array, " q"],
        *,
        n_latent: int,
        width: int,
        depth: int,
        key: PRNGKeyArray,
    ):
        k1, k2 = jax.random.split(key)
        n_w = int(jnp.shape(wave_rest)[0])
        self.encoder = eqx.nn.MLP(2 * n_w, n_latent, width, depth, activation=jax.nn.gelu, key=k1)
        self.decoder = eqx.nn.MLP(n_latent, n_w, width, depth, activation=jax.nn.gelu, key=k2)
        self.wave_rest = jnp.asarray(wave_rest)
        self.wave_obs = jnp.asarray(wave_obs)
        self.n_latent = int(n_latent)

    def encode(
        self, observed: Float[Array, " q"], redshift: Float[Array, ""]
    ) -> Float[Array, " s"]:
        """Latents of one observed spectrum (unit-median normalised) at known redshift."""
        spec, mask = observed_to_rest(self.wave_obs, observed[None], self.wave_rest, redshift[None])
        spec = spec[0] / jnp.maximum(jnp.sum(spec[0] * mask[0]) / jnp.sum(mask[0]), 1e-6)
        return self.encoder(jnp.concatenate([spec * mask[0], mask[0]]))

    def decode(self, latents: Float[Array, " s"]) -> Float[Array, " w"]:
        """Unit-mean rest-frame f_lambda on `wave_rest`."""
        log_spec = self.decoder(latents)
        return jax.nn.softmax(log_spec) * log_spec.shape[0]

    def observe(
        self, latents: Float[Array, " s"], redshift: Float[Array, ""]
    ) -> Float[Array, " q"]:
        """The decoded spectrum redshifted and resampled onto `wave_obs` (shape only)."""
        rest = self.decode(latents)
        z = redshift[None]
        return resample_rest_to_observed(self.wave_rest, rest[None], self.wave_obs, z)[0]

    def reconstruct(
        self,
        observed: Float[Array, " q"],
        ivar: Float[Array, " q"],
        redshift: Float[Array, ""],
    ) -> tuple[Float[Array, " q"], Float[Array, " s"]]:
        """(best-amplitude model of `observed`, latents): encode, decode, redshift, rescale."""
        s = self.encode(observed, redshift)
        m = self.observe(s, redshift)
        amp = jnp.sum(ivar * observed * m) / jnp.maximum(jnp.sum(ivar * m * m), 1e-30)
        return amp * m, s


def chi2_per_pixel(
    model: SpectrumAutoencoder,
    observed: Float[Array, "n q"],
    ivar: Float[Array, "n q"],
    redshift: Float[Array, " n"],
) -> Float[Array, " n"]:
    """Inverse-variance weighted mean squared residual of each reconstruction (1 = at the noise)."""
    recon, _ = jax.vmap(model.reconstruct)(observed, ivar, redshift)
    return jnp.mean(ivar * (observed - recon) ** 2, axis=1)

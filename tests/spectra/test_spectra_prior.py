"""The latent SED prior in the forward model: filter projection physics, prior hook, coverage."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.scene.parameters import free_parameters, log_prior
from dustscene.scene.spectrum import filter_curves
from dustscene.sed import load_filters, load_ssp_table, photometry, rest_spectrum, sample_prior
from dustscene.sed.photometry import interp_log_grid
from dustscene.spectra import LatentPrior, LatentSpectrum, SpectrumGrid
from dustscene.spectra.bands import band_shape, check_coverage, filter_weights


def test_band_shape_matches_sed_photometry(spectra_ssp):
    """Projecting a rest spectrum sampled on the prior's grid through the filters gives the
    colours of dustscene.sed.photometry (the mocks' code) to better than 1 %."""
    table = load_ssp_table(spectra_ssp)
    fs = load_filters("hsc", list("grizy"))
    params = sample_prior(jax.random.key(2), 6, {"redshift": (0.02, 0.3)})
    ref = np.asarray(photometry(params, table, fs))
    ref = ref / ref.mean(axis=1, keepdims=True)
    g = SpectrumGrid(2500.0, 11000.0, 1500, 0.02, 0.3)
    spec = rest_spectrum(params, table)
    rest = interp_log_grid(table.wave, spec, jnp.broadcast_to(jnp.asarray(g.rest), (6, 1500)))
    w = filter_weights(fs.wave, fs.trans)
    for i in range(6):
        m = np.asarray(band_shape(jnp.asarray(g.rest), rest[i], fs.wave, w, params.redshift[i]))
        np.testing.assert_allclose(m, ref[i], rtol=0.01)


def test_latent_spectrum_fluxes_and_prior(trained_prior):
    _, model, dens, _, _ = trained_prior
    wave, trans = filter_curves(list("grizy"))
    spec = LatentSpectrum(model, dens, 50.0, wave, trans, 0.1)
    f = np.asarray(spec())
    assert f.shape == (5,) and np.all(f > 0)
    np.testing.assert_allclose(f.mean(), 50.0, rtol=1e-10)  # amplitude = mean band flux
    np.testing.assert_allclose(np.asarray(spec.rest_spectrum()),
                               np.asarray(model.decode(spec.latents.value)), rtol=1e-12)
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(spec.decoder))
    names = [n for n, _ in free_parameters(spec)]
    assert names == ["latents", "amplitude"]
    lp = float(log_prior(spec))
    assert lp == pytest.approx(float(dens.log_prob(spec.latents.value)))
    far = spec.latents.value + 50.0
    moved = LatentSpectrum(model, dens, 50.0, wave, trans, 0.1, latents=far)
    assert float(log_prior(moved)) < lp - 10  # far from the data: much less probable
    g = jax.grad(lambda s: dens.log_prob(s))(spec.latents.value)
    assert np.all(np.isfinite(np.asarray(g)))
    # the same spectrum at higher redshift is redder in the observed bands
    hi = LatentSpectrum(model, dens, 50.0, wave, trans, 0.28)
    assert hi()[0] / hi()[4] < f[0] / f[4]


def test_latent_prior_is_hashable_by_content(trained_prior):
    _, _, dens, _, _ = trained_prior
    arrays = lambda f: lambda x: f(x) if eqx.is_array(x) else x  # noqa: E731 (MLP activations)
    a, b = LatentPrior(dens), LatentPrior(jax.tree.map(arrays(jnp.copy), dens))
    assert a == b and hash(a) == hash(b)
    other = LatentPrior(jax.tree.map(arrays(lambda x: x + 1.0), dens))
    assert a != other


def test_coverage_error_names_the_range(trained_prior):
    _, model, dens, _, _ = trained_prior
    wave, trans = filter_curves(list("grizy"))
    with pytest.raises(ValueError, match="outside the spectrum prior's grid"):
        LatentSpectrum(model, dens, 1.0, wave, trans, 0.6)
    check_coverage(np.asarray(model.wave_rest), wave, 0.25)

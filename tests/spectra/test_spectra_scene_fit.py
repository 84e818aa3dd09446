"""Scene fit with the latent SED prior against a free spectrum, at low and high S/N.

A Sersic galaxy whose per-band fluxes come from a held-out SED-model spectrum at its redshift,
observed at a chosen S/N, is fitted once with `FreeSpectrum` and once with `LatentSpectrum`
(latents + amplitude, log p(latents) in the objective), both with the same free Sersic
morphology; the figure of merit is the RMS over bands of the fractional flux error. (The helper
lives here, not in the package: it is this test's, and it needs the inference layer above
`dustscene.spectra`.)
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.inference.fit import FitSettings, fit
from dustscene.scene import Component, Observation, Scene, SersicMorphology
from dustscene.scene.spectrum import FreeSpectrum, filter_curves
from dustscene.scene.synthetic import make_frame, observed_psf
from dustscene.spectra.bands import band_shape, filter_weights
from dustscene.spectra.density import LatentDensity
from dustscene.spectra.network import SpectrumAutoencoder
from dustscene.spectra.scene_spectrum import LatentSpectrum

BANDS = ("g", "r", "i", "z", "y")


def component_fluxes(model: SpectrumAutoencoder, rest: np.ndarray, redshift: float,
                     total: float) -> np.ndarray:
    """True per-band fluxes (mean `total`) of a rest spectrum on the prior's grid at `redshift`."""
    wave, trans = filter_curves(list(BANDS))
    shape = band_shape(model.wave_rest, jnp.asarray(rest), jnp.asarray(wave),
                       filter_weights(wave, trans), redshift)
    return total * np.asarray(shape)


def compare_flux_recovery(
    model: SpectrumAutoencoder,
    density: LatentDensity,
    rest: np.ndarray,
    redshift: float,
    snr: float,
    *,
    n_realisations: int,
    seed: int,
    settings: FitSettings | None = None,
) -> dict[str, np.ndarray]:
    """RMS fractional band-flux error (n_realisations,) of free and latent fits at total-flux
    S/N `snr` per band (noise sigma per pixel set so the mean band flux has that S/N)."""
    settings = settings or FitSettings()
    size, center, fluxes_mean = 32, (16.2, 15.7), 100.0
    frame = make_frame(size)
    truth_f = component_fluxes(model, rest, redshift, fluxes_mean)
    morph = SersicMorphology(center, n=1.5, r_e=3.0, q=0.7, theta=0.3)
    truth = Scene(frame, (Component(FreeSpectrum(truth_f), morph),))
    psf = observed_psf()
    flat = np.ones((5, size, size))
    clean = np.asarray(Observation.from_variance(np.zeros_like(flat), flat, psf, frame)
                       .render(truth))
    # sigma per pixel so that an aperture of the galaxy's effective area gives S/N = snr
    n_eff = 1.0 / np.sum((clean[2] / clean[2].sum()) ** 2)
    sigma = fluxes_mean / (snr * np.sqrt(n_eff))
    var = np.full_like(clean, sigma**2)
    wave, trans = filter_curves(list(BANDS))
    rng = np.random.default_rng([int(seed), 0xF17])
    err = {"free": np.empty(n_realisations), "latent": np.empty(n_realisations)}
    for r in range(n_realisations):
        data = clean + sigma * rng.standard_normal(clean.shape)
        obs = Observation.from_variance(data, var, psf, frame)
        init_f = np.maximum(data.reshape(5, -1).sum(1), 0.05 * fluxes_mean)
        m0 = SersicMorphology((center[0] + 0.4, center[1] - 0.3), n=2.0, r_e=2.5, q=0.8, theta=0.2)
        spectra = {
            "free": FreeSpectrum(init_f),
            "latent": LatentSpectrum(model, density, float(init_f.mean()), wave, trans, redshift),
        }
        for name, spec in spectra.items():
            res = fit(Scene(frame, (Component(spec, m0),)), obs, settings)
            f = np.asarray(res.scene.components[0].spectrum())
            err[name][r] = np.sqrt(np.mean(((f - truth_f) / truth_f) ** 2))
    return {**err, "sigma_flux_frac": np.full(1, 1.0 / snr)}



@pytest.mark.slow
def test_latent_prior_recovers_fluxes_at_low_and_high_snr(workflow_size_prior):
    """Low S/N (5 per band): the latent prior's band fluxes are at least as good as a free
    spectrum's on average. High S/N (200 per band, 0.5 % noise): both recover the fluxes to
    within 3x the noise and agree with each other to within 2x the noise."""
    model, dens, held, _ = workflow_size_prior
    out = {}
    for snr in (5.0, 200.0):
        errs = [compare_flux_recovery(model, dens, held.rest[i], float(held.redshift[i]), snr,
                                      n_realisations=2, seed=i) for i in range(3)]
        out[snr] = {k: np.concatenate([e[k] for e in errs]) for k in ("free", "latent")}
        print(f"S/N {snr}: free {out[snr]['free']} latent {out[snr]['latent']}")
    low, high = out[5.0], out[200.0]
    assert np.mean(low["latent"]) <= np.mean(low["free"])
    assert np.median(high["free"]) < 3 / 200 and np.median(high["latent"]) < 3 / 200
    assert abs(np.median(high["latent"]) - np.median(high["free"])) < 2 / 200

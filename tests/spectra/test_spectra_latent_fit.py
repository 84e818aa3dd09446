"""`spectrum: latent` in a scene fit from the fit config: the workflow path of the prior."""

from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.inference import run_fit_file
from dustscene.io.fitfile import read_fit
from dustscene.sed import SEDParams, load_filters, load_ssp_table
from dustscene.sed.model import photometry_counts
from dustscene.sed.sfh import N_BASIS

BANDS = ("g", "r", "i", "z", "y")
Z = 0.1


def _observation(path: Path, fluxes: np.ndarray, *, redshift: float | None) -> Path:
    """5 bands, 24x24, one Gaussian source with the given band fluxes, unit noise, seeded."""
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[:24, :24]
    src = np.exp(-((yy - 11.6) ** 2 + (xx - 12.3) ** 2) / (2 * 2.0**2))
    src /= src.sum()
    py, px = np.mgrid[:9, :9] - 4
    psf = np.exp(-(py**2 + px**2) / (2 * 1.2**2))
    psf /= psf.sum()
    extra = {} if redshift is None else {"redshift": np.float64(redshift)}
    np.savez(
        path,
        images=fluxes[:, None, None] * src[None] + rng.normal(size=(5, 24, 24)),
        variance=np.ones((5, 24, 24)),
        psfs=np.repeat(psf[None], 5, axis=0),
        filters=np.array(BANDS),
        catalog=np.array([(12.3, 11.6)], dtype=[("x", "f8"), ("y", "f8")]),
        **extra,
    )
    return path


def _true_fluxes(ssp: Path) -> np.ndarray:
    """HSC grizy counts of a known galaxy from the SED model itself (dustscene.sed, the mocks'
    code), inside the box the prior was trained on, scaled to a mean of 400 counts per band."""
    params = SEDParams(
        log_mass=jnp.array([10.0]), sfh_weights=jnp.full((1, N_BASIS), 1.0 / N_BASIS),
        f_burst=jnp.array([0.1]), t_burst=jnp.array([1.0]), log_z=jnp.array([-0.2]),
        tau_bc=jnp.array([0.8]), tau_ism=jnp.array([0.6]), n_dust=jnp.array([-0.3]),
        redshift=jnp.array([Z]),
    )
    counts = np.asarray(photometry_counts(params, load_ssp_table(ssp), load_filters("hsc", BANDS)))
    return counts[0] * (400.0 / counts[0].mean())


SETTINGS = {
    "morphology": "sersic",
    "spectrum": "latent",
    "sky": False,
    "adam_steps": 300,
    "lbfgs_steps": 100,
}


def test_latent_spectrum_fit_from_config(trained_prior, spectra_ssp, tmp_path: Path) -> None:
    """Data from the SED model (not from LatentSpectrum): the latent fit must reproduce them."""
    path, _, _, _, _ = trained_prior
    truth = _true_fluxes(spectra_ssp)
    obs = _observation(tmp_path / "obs.npz", truth, redshift=Z)
    attrs = run_fit_file(obs, tmp_path / "fit.h5", {**SETTINGS, "spectrum_prior": str(path)})
    assert attrs["chi2_per_dof"] < 1.3
    fit = read_fit(tmp_path / "fit.h5")
    model_flux = fit["model/observed"].sum(axis=(1, 2))
    # per-band flux noise with unit pixel noise on this source (Gaussian sigma 2 px through a
    # 1.2 px PSF): optimal extraction gives sqrt(4 pi sigma_eff^2) ~ 8 counts; 5 sigma of it is
    # the budget for noise plus the prior's representation of these colours
    sigma_eff2 = 2.0**2 + 1.2**2
    np.testing.assert_allclose(model_flux, truth, rtol=0, atol=5 * np.sqrt(4 * np.pi * sigma_eff2))


def test_latent_spectrum_needs_a_redshift_and_a_prior(
    trained_prior, spectra_ssp, tmp_path: Path
) -> None:
    path, _, _, _, _ = trained_prior
    obs = _observation(tmp_path / "noz.npz", _true_fluxes(spectra_ssp), redshift=None)
    with pytest.raises(ValueError, match="needs a redshift"):
        run_fit_file(obs, tmp_path / "a.h5", {**SETTINGS, "spectrum_prior": str(path)})
    with pytest.raises(ValueError, match="spectrum_prior"):
        run_fit_file(obs, tmp_path / "b.h5", SETTINGS)
    with pytest.raises(ValueError, match="'spectrum'"):
        run_fit_file(obs, tmp_path / "c.h5", {**SETTINGS, "spectrum": "planck"})
    assert not any(tmp_path.glob("*.h5"))



def test_hmc_in_the_fit_config_samples_the_latents(
    trained_prior, spectra_ssp, tmp_path: Path
) -> None:
    """`hmc: true` (run_fit_file's NUTS branch) with the one build_scene parameter that carries
    a proper prior, the latent spectrum's latents (everything else at the best fit): the fit
    file holds their draws, (chains, draws, n_latent), finite and spread, with R-hat and ESS."""
    path, _, _, _, _ = trained_prior
    obs = _observation(tmp_path / "obs.npz", _true_fluxes(spectra_ssp), redshift=Z)
    cfg = {**SETTINGS, "spectrum_prior": str(path), "hmc": True, "hmc_warmup": 100,
           "hmc_samples": 100, "hmc_chains": 2}
    run_fit_file(obs, tmp_path / "fit.h5", cfg)
    fit = read_fit(tmp_path / "fit.h5")
    draws = {k.removeprefix("samples/"): v for k, v in fit.items() if k.startswith("samples/")}
    assert len(draws) == 1 and next(iter(draws)).endswith("latents"), list(draws)
    (x,) = draws.values()
    assert x.shape[:2] == (2, 100) and np.all(np.isfinite(x)), x.shape
    assert np.all(x.reshape(200, -1).std(axis=0) > 0)
    diag = fit["sample_diagnostics"]
    assert set(diag["r_hat"]) == set(draws) == set(diag["ess"]), diag

"""`spectrum: latent` in a scene fit from the fit config: the workflow path of the prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dustscene.inference import run_fit_file
from dustscene.io.fitfile import read_fit
from dustscene.scene.spectrum import filter_curves
from dustscene.spectra import LatentSpectrum

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


def _true_fluxes(model, density) -> np.ndarray:
    wave, trans = filter_curves(BANDS, "hsc")
    spec = LatentSpectrum(model, density, 400.0, wave, trans, Z)
    return np.asarray(spec())


SETTINGS = {
    "morphology": "sersic",
    "spectrum": "latent",
    "sky": False,
    "adam_steps": 300,
    "lbfgs_steps": 100,
}


def test_latent_spectrum_fit_from_config(trained_prior, tmp_path: Path) -> None:
    path, model, density, _, _ = trained_prior
    truth = _true_fluxes(model, density)
    obs = _observation(tmp_path / "obs.npz", truth, redshift=Z)
    attrs = run_fit_file(obs, tmp_path / "fit.h5", {**SETTINGS, "spectrum_prior": str(path)})
    assert attrs["chi2_per_dof"] < 1.3
    fit = read_fit(tmp_path / "fit.h5")
    model_flux = fit["model/observed"].sum(axis=(1, 2))
    np.testing.assert_allclose(model_flux, truth, rtol=0.1)


def test_latent_spectrum_needs_a_redshift_and_a_prior(trained_prior, tmp_path: Path) -> None:
    path, model, density, _, _ = trained_prior
    obs = _observation(tmp_path / "noz.npz", _true_fluxes(model, density), redshift=None)
    with pytest.raises(ValueError, match="needs a redshift"):
        run_fit_file(obs, tmp_path / "a.h5", {**SETTINGS, "spectrum_prior": str(path)})
    with pytest.raises(ValueError, match="spectrum_prior"):
        run_fit_file(obs, tmp_path / "b.h5", SETTINGS)
    with pytest.raises(ValueError, match="'spectrum'"):
        run_fit_file(obs, tmp_path / "c.h5", {**SETTINGS, "spectrum": "planck"})
    assert not any(tmp_path.glob("*.h5"))

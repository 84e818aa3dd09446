"""Photometric noise model p(sigma | flux) and the flow's conditioning features (asinh mags).

The noise of band b has variance (sky_b 10^(-0.4 dm_b))^2 + (floor f_true,b)^2: a sky-limited
term from a 5-sigma depth per band with a per-galaxy, per-band depth offset dm_b ~ N(0,
depth_scatter_mag), plus a fractional calibration / model floor drawn log-uniform per galaxy.
Observed flux = f_true + that noise. The *reported* 1-sigma error is what a pipeline can
compute, sqrt(sky_b'^2 + (floor |f_obs,b|)^2), from the measured flux: a floor on the true flux
would make sigma_b / sigma_b' = f_true,b / f_true,b' for bright galaxies, i.e. hand the flow
noiseless colours (0.007 mag vs 0.045 mag from the fluxes) that no Gaussian
likelihood (NUTS) knows of. Given f_obs, sigma is ancillary, so the NUTS likelihood
N(f_obs | f(theta), sigma) is the simulator's up to floor |f_obs| vs floor f_true.
Features are asinh magnitudes (Lupton, Gunn & Szalay 1999) with a fixed softening b_b = the
nominal 1-sigma sky flux of each band, log10 of their 1-sigma errors in mag, and the redshift:
never linear fluxes (SEDflow conditions on magnitudes; linear fluxes train badly).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dustscene.sed.photometry import AB_ZP_NJY

F64 = NDArray[np.float64]
ASINH_K = 2.5 / math.log(10.0)  # 1.0857 mag per e-fold
# 5-sigma depths (AB mag) for extended galaxies: HSC-SSP Wide point-source depths minus ~1 mag;
# SDSS: the DR7 95%-completeness point-source limits minus ~0.5 mag.
DEFAULT_DEPTHS: dict[str, dict[str, float]] = {
    "hsc": {"g": 25.5, "r": 25.1, "i": 24.9, "z": 24.1, "y": 23.4},
    "sdss": {"u": 21.5, "g": 22.7, "r": 21.7, "i": 21.3, "z": 20.0},
}


@dataclasses.dataclass(frozen=True)
class NoiseModel:
    """Per-band 5-sigma depths (AB mag) plus depth scatter and a fractional floor range."""

    bands: tuple[str, ...]
    depth_mag: tuple[float, ...]  # 5-sigma sky-limited depth per band, AB mag
    depth_scatter_mag: float = 0.5  # sd of the per-galaxy, per-band depth offset, mag
    floor_min: float = 0.01  # fractional error floor, drawn log-uniform in [min, max]
    floor_max: float = 0.05

    @property
    def sky_sigma_njy(self) -> F64:
        """Nominal 1-sigma sky flux per band, nJy (also the asinh softening)."""
        return 10.0 ** (-0.4 * (np.asarray(self.depth_mag) - AB_ZP_NJY)) / 5.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (saved beside training sets and flows)."""
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NoiseModel:
        """Inverse of `to_dict`."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def default_noise_model(
    survey: str, bands: Sequence[str], **overrides: Any
) -> NoiseModel:
    """NoiseModel with the default depths of `survey` ("hsc" or "sdss") for `bands`."""
    depths = {**DEFAULT_DEPTHS[survey], **(overrides.pop("depth_mag_by_band", None) or {})}
    return NoiseModel(bands=tuple(bands), depth_mag=tuple(depths[b] for b in bands), **overrides)


def _draw_terms(
    model: NoiseModel, n: int, n_band: int, rng: np.random.Generator
) -> tuple[F64, F64]:
    """Per-galaxy noise terms: sky 1-sigma (n, band) in nJy and fractional floor (n, 1)."""
    dm = rng.normal(0.0, model.depth_scatter_mag, size=(n, n_band))
    sky = model.sky_sigma_njy[None, :] * 10.0 ** (-0.4 * dm)
    log_floor = rng.uniform(math.log(model.floor_min), math.log(model.floor_max), size=(n, 1))
    return sky, np.exp(log_floor)


def observe(
    model: NoiseModel, flux_true: F64, rng: np.random.Generator
) -> tuple[F64, F64]:
    """(observed flux, reported sigma), both nJy (n, band).

    flux ~ N(f_true, sqrt(sky^2 + (floor f_true)^2)); sigma = sqrt(sky^2 + (floor |flux|)^2).
    """
    sky, floor = _draw_terms(model, *flux_true.shape, rng)
    noise_sd = np.sqrt(sky**2 + (floor * flux_true) ** 2)
    flux = flux_true + noise_sd * rng.standard_normal(flux_true.shape)
    return flux, np.sqrt(sky**2 + (floor * np.abs(flux)) ** 2)


def asinh_mag(flux_njy: F64, softening_njy: F64) -> F64:
    """Asinh magnitude (Lupton et al. 1999): -> m_AB for f >> b, finite for f <= 0."""
    b = np.asarray(softening_njy)
    return AB_ZP_NJY - 2.5 * np.log10(b) - ASINH_K * np.arcsinh(np.asarray(flux_njy) / (2.0 * b))


def asinh_mag_sigma(flux_njy: F64, sigma_njy: F64, softening_njy: F64) -> F64:
    """1-sigma error of the asinh magnitude: 1.0857 sigma / sqrt(f^2 + 4 b^2)."""
    b = np.asarray(softening_njy)
    return ASINH_K * np.asarray(sigma_njy) / np.sqrt(np.asarray(flux_njy) ** 2 + 4.0 * b**2)


def features(
    model: NoiseModel, flux_njy: F64, sigma_njy: F64, redshift: F64
) -> F64:
    """Conditioning vectors x (n, 2 band + 1): asinh mags, log10 of their sigmas (mag), redshift.

    The log keeps the heavy tail of faint-galaxy errors from ruining sbi's z-scoring.
    """
    b = model.sky_sigma_njy[None, :]
    mags = asinh_mag(flux_njy, b)
    log_dmags = np.log10(asinh_mag_sigma(flux_njy, sigma_njy, b))
    z = np.asarray(redshift, dtype=np.float64)[:, None]
    return np.concatenate([mags, log_dmags, z], axis=1)


def feature_names(bands: Sequence[str]) -> list[str]:
    """Names of the columns of `features`."""
    return [f"mag_{b}" for b in bands] + [f"log10_sigma_mag_{b}" for b in bands] + ["redshift"]

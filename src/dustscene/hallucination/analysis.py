"""Hallucination analysis of one observation: prior MAP fit, F_L / F_P maps, masked-half test, AUC.

The masked-half test (Sampson et al. 2024, arXiv:2401.07313): zero the weights on one half of
a bright galaxy; a sound prior-plus-likelihood reports the masked half as prior-dominated
(dF > 0) and the observed half as data-dominated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from dustscene.priors.io import load_score_model
from dustscene.priors.map_fit import PixelSource, fit_map, initial_source, render
from dustscene.priors.prior import ScorePrior
from dustscene.scene import Frame, Observation, model_psf_sigma

from .fisher import likelihood_fisher_morphology, prior_fisher_hutchinson
from .score import HallucinationMaps, auc


@dataclass(frozen=True)
class HallucinationSettings:
    """Prior MAP fit and probe settings."""

    steps: int = 400
    lr: float = 0.01
    n_probes: int = 100


def prior_and_settings(
    block: dict, model_path: str | Path
) -> tuple[ScorePrior, HallucinationSettings]:
    """The score prior at the configured temperature and the fit/probe settings, from the
    workflow's `hallucination` config block and the trained model file."""
    net, _ = load_score_model(model_path)
    prior = ScorePrior(net, temperature=float(block["temperature"]))
    return prior, HallucinationSettings(
        steps=int(block["fit_steps"]), lr=float(block["fit_lr"]), n_probes=int(block["n_probes"])
    )


def observation(
    data: np.ndarray,
    variance: np.ndarray,
    psf: np.ndarray,
    bands: tuple[str, ...] | list[str],
    mask: np.ndarray | None = None,
) -> Observation:
    """An Observation on its own pixel grid with a model PSF narrower than every band's."""
    frame = Frame(tuple(bands), data.shape[-2:], psf_sigma=model_psf_sigma(psf))
    return Observation.from_variance(data, variance, psf, frame, mask=mask)


def hallucination_maps(
    obs: Observation,
    src: PixelSource,
    prior: ScorePrior,
    *,
    key: PRNGKeyArray,
    n_probes: int = 100,
    tau: Float[Array, "band y x"] | None = None,
) -> HallucinationMaps:
    """F_L (exact) and F_P (Hutchinson, Rademacher) of `src.morphology` at the prior's t."""
    f_l = likelihood_fisher_morphology(obs, src.spectrum, tau)
    f_p = prior_fisher_hutchinson(prior, src.morphology, key=key, n_probes=n_probes)
    return HallucinationMaps(f_l, f_p, prior.temperature)


def fit_and_score(
    obs: Observation,
    prior: ScorePrior,
    settings: HallucinationSettings,
    *,
    key: PRNGKeyArray,
    tau: Float[Array, "band y x"] | None = None,
) -> tuple[PixelSource, HallucinationMaps, np.ndarray]:
    """MAP fit with the prior, then the hallucination maps at the fit; returns the loss history."""
    src, hist = fit_map(
        obs, initial_source(obs), prior, steps=settings.steps, lr=settings.lr, tau=tau
    )
    maps = hallucination_maps(obs, src, prior, key=key, n_probes=settings.n_probes, tau=tau)
    return src, maps, np.asarray(hist)


def large_error_pixels(
    obs: Observation,
    src: PixelSource,
    truth: Float[np.ndarray, "band y x"],
    variance: Float[np.ndarray, "band y x"],
    *,
    tau: Float[Array, "band y x"] | None = None,
    n_sigma: float = 3.0,
) -> np.ndarray:
    """(y, x) True where the model misses the noiseless truth by > n_sigma in any band."""
    model = np.asarray(render(obs, src, tau))
    return np.max(np.abs(model - truth) / np.sqrt(variance), axis=0) > n_sigma


def large_error_auc(rho: np.ndarray, large: np.ndarray, on_source: np.ndarray) -> float:
    """AUC of rho for the large-error pixels among on-source pixels (nan if one class is empty)."""
    return auc(np.asarray(rho)[on_source], np.asarray(large)[on_source])


def masked_half(
    truth: Float[np.ndarray, "band y x"],
    variance: Float[np.ndarray, "band y x"],
    psf: Float[np.ndarray, "band ky kx"],
    bands: tuple[str, ...] | list[str],
    prior: ScorePrior,
    settings: HallucinationSettings,
    *,
    key: PRNGKeyArray,
    peak_snr: float = 200.0,
    on_source_frac: float = 0.02,
    tau: Float[Array, "band y x"] | None = None,
) -> dict[str, float]:
    """Scale the noiseless `truth` to peak S/N `peak_snr` (band-summed), add noise, zero the
    weights on the columns left of the light-weighted centre, fit with the prior and count
    on-source pixels (truth > on_source_frac x peak) with dF > 0 in each half, and in the
    masked interior (more than 2 FWHM from the mask edge)."""
    knoise, kprobe = jax.random.split(key)
    sig = np.sqrt(variance)
    snr_peak = np.max(np.sum(truth, 0) / np.sqrt(np.sum(variance, 0)))
    scaled = truth * (peak_snr / snr_peak)
    noise = np.asarray(jax.random.normal(knoise, truth.shape)) * sig
    img = scaled.sum(0)
    xs = np.arange(img.shape[1])
    cx = int(round(float(np.sum(img.sum(0) * xs) / np.sum(img))))
    masked = np.zeros(img.shape, bool)
    masked[:, :cx] = True
    obs = observation(
        scaled + noise, variance, psf, bands, mask=np.broadcast_to(masked, truth.shape)
    )
    src, maps, _ = fit_and_score(obs, prior, settings, key=kprobe, tau=tau)
    on = img > on_source_frac * img.max()
    d = np.asarray(maps.delta)
    # pixels within ~2 PSF FWHM of the mask edge still see data through the PSF wings
    fwhm = psf_fwhm_pixels(psf)
    edge = int(np.ceil(2.0 * fwhm))
    interior = masked & (xs[None, :] < cx - edge)
    # where the prior decides, its guess misses the truth: rho should flag those pixels
    large = large_error_pixels(obs, src, scaled, variance, tau=tau)
    r50 = half_light_radius_pixels(img)
    return {
        "auc_large_error": large_error_auc(np.asarray(maps.rho), large, on),
        # the data reach a fixed strip (~0.5 FWHM) into the mask through the PSF, so the
        # all-masked fraction grows with how well the galaxy is resolved: report both
        "half_light_radius_pixels": r50,
        "psf_fwhm_pixels": fwhm,
        "resolution_r50_over_fwhm": r50 / fwhm,
        "large_error_fraction_masked": float(np.mean(large[on & masked])),
        "large_error_fraction_unmasked": float(np.mean(large[on & ~masked])),
        "temperature": float(prior.temperature),
        "peak_snr": float(peak_snr),
        "prior_dominated_masked": float(np.mean(d[on & masked] > 0)),
        "prior_dominated_unmasked": float(np.mean(d[on & ~masked] > 0)),
        "prior_dominated_masked_interior": float(np.mean(d[on & interior] > 0)),
        "interior_edge_pixels": edge,
        "data_dominated_strip_pixels": _data_dominated_strip(d, on & masked, cx),
        "n_masked_on_source": int(np.sum(on & masked)),
        "n_masked_interior_on_source": int(np.sum(on & interior)),
        "n_unmasked_on_source": int(np.sum(on & ~masked)),
        "median_rho_masked": float(np.median(np.asarray(maps.rho)[on & masked])),
        "median_rho_unmasked": float(np.median(np.asarray(maps.rho)[on & ~masked])),
    }


def _data_dominated_strip(delta: np.ndarray, on_masked: np.ndarray, cx: int) -> int:
    """Columns next to the mask edge (at column cx) beyond which >= 90 % of the masked
    on-source pixels are prior-dominated: how far the data reach in through the PSF."""
    for width in range(cx + 1):
        far = on_masked & (np.arange(delta.shape[1])[None, :] < cx - width)
        if not far.any() or np.mean(delta[far] > 0) >= 0.9:
            return width
    return cx


def half_light_radius_pixels(img: Float[np.ndarray, "y x"]) -> float:
    """Radius (px) of a disc with the area of the brightest pixels that hold half the light."""
    f = np.sort(np.clip(np.asarray(img, dtype=float), 0.0, None).ravel())[::-1]
    n = int(np.searchsorted(np.cumsum(f), 0.5 * f.sum())) + 1
    return float(np.sqrt(n / np.pi))


def psf_fwhm_pixels(psf: Float[np.ndarray, "band ky kx"]) -> float:
    """Widest band's FWHM in pixels from the area above half maximum, sqrt(4 A / pi)."""
    p = np.asarray(psf, dtype=float)
    area = np.sum(p >= 0.5 * p.max(axis=(1, 2), keepdims=True), axis=(1, 2))
    return float(np.sqrt(4.0 * area.max() / np.pi))

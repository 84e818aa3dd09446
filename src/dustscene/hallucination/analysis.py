"""Hallucination analysis through the scene-fitting engine: the fit config of a score-prior fit,
large-error pixels against a noiseless truth, the masked-half test and the AUC of rho.

The masked-half test (Sampson et al. 2024, arXiv:2401.07313): zero the weights on one half of
a bright galaxy; a sound prior-plus-likelihood reports the masked half as prior-dominated
(dF > 0) and the observed half as data-dominated. The fit and its maps are those of every
score-prior fit (`inference.run.fit_data`, `inference.morphfisher`).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jaxtyping import Float, PRNGKeyArray

from dustscene.inference.run import fit_data, resolve_config
from dustscene.io.observations import ObservationData
from dustscene.priors.prior import ScorePrior

from .errors import large_error_auc, large_error_pixels, on_source_pixels

# a score-prior scene fit: per source one box of free pixels under the prior, a free spectrum
# and a resolved E(B-V) map under its smoothness prior (the dusty scene SED x morphology x
# exp(-tau)), Adam alone (the score prior is known by its gradient only, `inference.fit`).
# Without the dust map the first 4 mocks of the default seed fit at chi2/dof 1.34-1.44 and
# miss their truth by > 3 sigma in their colour gradients; with it at 1.20-1.23, and nowhere
# by > 3 sigma (workflow rule `hallucination`, 1500 steps)
FIT_DEFAULTS: dict[str, Any] = {
    "morphology": "free", "support_snr": 0.0, "spectrum": "free", "dust": "resolved",
    "sky": False, "laplace": False, "adam_steps": 1500, "lbfgs_steps": 0,
}


def fit_config(block: dict[str, Any], model: str | ScorePrior) -> dict[str, Any]:
    """The resolved fit config of the workflow's `hallucination` block: `FIT_DEFAULTS` updated
    by its `fit` overrides, the score prior `model` (path or ScorePrior) at its temperature."""
    cfg = {**FIT_DEFAULTS, **dict(block.get("fit") or {})}
    cfg.update(score_prior=model, score_temperature=float(block["temperature"]),
               score_probes=int(block["n_probes"]))
    return resolve_config(cfg)


def masked_half(
    truth: Float[np.ndarray, "band y x"],
    variance: Float[np.ndarray, "band y x"],
    psf: Float[np.ndarray, "band ky kx"],
    bands: tuple[str, ...] | list[str],
    cfg: dict[str, Any],
    *,
    key: PRNGKeyArray,
    peak_snr: float = 200.0,
    on_source_frac: float = 0.02,
) -> dict[str, float]:
    """Scale the noiseless `truth` to peak S/N `peak_snr` (band-summed), add noise, mask the
    columns left of the light-weighted centre, fit it with the score-prior config `cfg` (one
    source at that centre, its box the whole stamp, no dust map) and count on-source pixels
    (truth > on_source_frac x peak) with dF > 0 in each half, and in the masked interior (more
    than 2 FWHM from the mask edge)."""
    sig = np.sqrt(variance)
    snr_peak = np.max(np.sum(truth, 0) / np.sqrt(np.sum(variance, 0)))
    scaled = truth * (peak_snr / snr_peak)
    noise = np.asarray(jax.random.normal(key, truth.shape)) * sig
    img = scaled.sum(0)
    ys, xs = np.arange(img.shape[0]), np.arange(img.shape[1])
    cy = float(np.sum(img.sum(1) * ys) / np.sum(img))
    cx = int(round(float(np.sum(img.sum(0) * xs) / np.sum(img))))
    masked = np.zeros(img.shape, bool)
    masked[:, :cx] = True
    data = ObservationData(
        path="masked-half test", bands=tuple(bands), images=scaled + noise,
        variance=np.asarray(variance, float), bad=np.broadcast_to(masked, truth.shape).copy(),
        psfs=np.asarray(psf, float), centers=np.array([[cy, float(cx)]]),
    )
    # no dust map: the truth is dust-free, so the data alone set F_L of the pixels
    box = {"box_half_size": max(img.shape), "detect_extra": False, "dust": "none"}
    product = fit_data(data, {**cfg, **box})
    maps = product["hallucination"]
    d, rho = maps["delta_fisher"], maps["rho"]
    on = on_source_pixels(scaled, on_source_frac)
    # pixels within ~2 PSF FWHM of the mask edge still see data through the PSF wings
    fwhm = psf_fwhm_pixels(psf)
    edge = int(np.ceil(2.0 * fwhm))
    interior = masked & (xs[None, :] < cx - edge)
    # where the prior decides, its guess misses the truth: rho should flag those pixels
    model = product["observed"]
    large = large_error_pixels(model, scaled, variance)
    r50 = half_light_radius_pixels(img)
    return {
        "auc_large_error": large_error_auc(rho, large, on),
        # the data reach a fixed strip (~0.5 FWHM) into the mask through the PSF, so the
        # all-masked fraction grows with how well the galaxy is resolved: report both
        "half_light_radius_pixels": r50,
        "psf_fwhm_pixels": fwhm,
        "resolution_r50_over_fwhm": r50 / fwhm,
        "large_error_fraction_masked": float(np.mean(large[on & masked])),
        "large_error_fraction_unmasked": float(np.mean(large[on & ~masked])),
        "temperature": float(product["attrs"]["score_temperature"]),
        "peak_snr": float(peak_snr),
        "prior_dominated_masked": float(np.mean(d[on & masked] > 0)),
        "prior_dominated_unmasked": float(np.mean(d[on & ~masked] > 0)),
        "prior_dominated_masked_interior": float(np.mean(d[on & interior] > 0)),
        "interior_edge_pixels": edge,
        "data_dominated_strip_pixels": _data_dominated_strip(d, on & masked, cx),
        "n_masked_on_source": int(np.sum(on & masked)),
        "n_masked_interior_on_source": int(np.sum(on & interior)),
        "n_unmasked_on_source": int(np.sum(on & ~masked)),
        "median_rho_masked": float(np.nanmedian(rho[on & masked])),
        "median_rho_unmasked": float(np.nanmedian(rho[on & ~masked])),
        "fit_steps": int(product["attrs"]["n_steps"]),
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

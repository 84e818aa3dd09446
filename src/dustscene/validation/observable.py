"""Dust metrics in the space the data can see: attenuation after the PSF, smoothed E(B-V), ceiling.

A fit can only recover the dust as it appears through the seeing: lanes and clumps below the
PSF are invisible in the images. These functions compare model and truth after the same PSF,
and score the truth's own best screen representation (the ceiling) with the same statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dustscene.mocks.psf import convolve_same

from .metrics import pixel_stats

F64 = NDArray[np.float64]
SNR_MIN = 5.0  # pixels with i-band S/N > 5, as the other dust statistics
INCLINATION_BINS = {"face_on": (0.0, 40.0), "intermediate": (40.0, 70.0), "edge_on": (70.0, 90.0)}
EMPTY_PIXEL_STATS = {"bias": None, "nmad": None, "rms": None, "pearson_r": None, "slope": None,
                     "n_pixels": 0}


@dataclass(frozen=True)
class ObservablePixels:
    """One scene's selected pixels for the observable metrics (pooled across scenes later).

    a_*: band -> per-pixel post-PSF attenuation (mag) of model, truth, ceiling and colour limit
    (`colour_screen_attenuation` of the truth) on the pixels of that band; ebv_*: inferred,
    PSF-smoothed true and ceiling E(B-V) on the resolved pixels.
    """

    a_model: dict[str, F64] = field(default_factory=dict)
    a_true: dict[str, F64] = field(default_factory=dict)
    a_ceiling: dict[str, F64] = field(default_factory=dict)
    a_colour: dict[str, F64] = field(default_factory=dict)  # the colour limit of the truth
    ebv_model: F64 = field(default_factory=lambda: np.zeros(0))
    ebv_true: F64 = field(default_factory=lambda: np.zeros(0))
    ebv_ceiling: F64 = field(default_factory=lambda: np.zeros(0))
    arm_share: F64 | None = None  # young arms' share of the i-band light at the resolved pixels
    ebv_sigma: F64 | None = None  # the fit's Laplace sigma of E(B-V) at the resolved pixels


def inclination_bin(inclination_deg: float) -> str:
    """Face-on (< 40 deg), intermediate (40-70 deg) or edge-on (> 70 deg)."""
    if inclination_deg < 40.0:
        return "face_on"
    return "intermediate" if inclination_deg <= 70.0 else "edge_on"


def stats_or_empty(inferred: F64, true: F64) -> dict:
    """pixel_stats as a JSON dict, or n_pixels 0 and null statistics when no pixel is selected."""
    if np.size(true) == 0:
        return dict(EMPTY_PIXEL_STATS)
    return pixel_stats(inferred, true).as_dict()


def normalised_psf(psf: F64) -> F64:
    """PSF stamps (…, py, px) scaled to unit sum so convolution conserves flux."""
    psf = np.asarray(psf, dtype=np.float64)
    return psf / psf.sum(axis=(-2, -1), keepdims=True)


def smooth_map(image: F64, psf: F64) -> F64:
    """A (y, x) map seen through the PSF, renormalised at the stamp edge (no zeros from outside)."""
    kern = normalised_psf(psf)
    return convolve_same(image, kern) / convolve_same(np.ones_like(image), kern)


def attenuation_map(attenuated: F64, dustfree: F64) -> F64:
    """-2.5 log10(attenuated / dust-free) per pixel; NaN where either is not positive."""
    ok = (attenuated > 0) & (dustfree > 0)
    ratio = np.where(ok, attenuated, 1.0) / np.where(ok, dustfree, 1.0)
    return np.where(ok, -2.5 * np.log10(ratio), np.nan)


def integrated_attenuation(attenuated: F64, dustfree: F64) -> F64:
    """-2.5 log10(total attenuated / total dust-free) per band (band, y, x) -> (band,)."""
    att, free = attenuated.sum(axis=(-2, -1)), dustfree.sum(axis=(-2, -1))
    ok = (att > 0) & (free > 0)
    return np.where(ok, -2.5 * np.log10(np.where(ok, att / np.where(ok, free, 1.0), 1.0)), np.nan)


def colour_screen_attenuation(attenuation: F64, k_bands: F64) -> F64:
    """A_b of the foreground screen (extinction curve `k_bands`) that best fits the colour
    excesses A_b - A_ref of `attenuation` (band, ...), the reddest band the reference; one
    screen per trailing index (a galaxy's totals, or each pixel).

    Photometry sees attenuation only through colours; with stars and dust mixed, part of it is
    grey (Disney, Davies & Phillipps 1989; Witt & Gordon 2000) and a screen fitted to the
    galaxy's exact colours misses that part. The A_b it infers is the colour limit: what a fit
    with a screen law reaches from perfect photometry, unless the morphology tells it more.
    """
    a = np.asarray(attenuation, dtype=np.float64)
    k = np.asarray(k_bands, dtype=np.float64).reshape((-1,) + (1,) * (a.ndim - 1))
    dk, da = k - k[-1], a - a[-1]
    return k * (np.sum(dk * da, axis=0) / np.sum(dk * dk))


def screen_images(dustfree_intrinsic: F64, ebv: F64, k_bands: F64, psf: F64) -> tuple[F64, F64]:
    """(attenuated, dust-free) images of a foreground screen E(B-V) map, each through its PSF."""
    k = np.asarray(k_bands, dtype=np.float64)[:, None, None]
    screened = dustfree_intrinsic * 10.0 ** (-0.4 * k * ebv[None])
    kern = normalised_psf(psf)
    return convolve_same(screened, kern), convolve_same(dustfree_intrinsic, kern)


def screen_ebv(a_bands: F64, k_bands: F64) -> F64:
    """Least-squares screen E(B-V) of per-band attenuations: sum_b k_b A_b / sum_b k_b^2."""
    k = np.asarray(k_bands, dtype=np.float64)
    return np.tensordot(k, a_bands, axes=(0, 0)) / float(np.sum(k * k))


def band_pixels(a_model: F64, a_true: F64, sel: NDArray[np.bool_], bands: list[str],
                *limits: F64) -> tuple[dict, ...]:
    """Per band, the selected pixels where model, truth and every limit map (ceiling, colour
    limit) are defined: (model, truth, *limits), each band -> values."""
    out_m, out_t = {}, {}
    out_l: list[dict] = [{} for _ in limits]
    for b, band in enumerate(bands):
        ok = sel & np.isfinite(a_model[b]) & np.isfinite(a_true[b])
        for lim in limits:
            ok &= np.isfinite(lim[b])
        for out, lim in zip(out_l, limits, strict=True):
            out[band] = lim[b][ok]
        out_m[band], out_t[band] = a_model[b][ok], a_true[b][ok]
    return (out_m, out_t, *out_l)


def integrated_record(model: F64, true: F64, bands: list[str]) -> dict[str, dict[str, float]]:
    """band -> {model, true, err = model - true} of the integrated attenuation (mag)."""
    return {band: {"model": float(model[b]), "true": float(true[b]),
                   "err": float(model[b] - true[b])} for b, band in enumerate(bands)}


def pool_integrated(records: list[dict[str, dict[str, float]]], bands: list[str]) -> dict:
    """Per band over scenes: bias (median err), median |err| and the number of scenes."""
    out = {}
    for band in bands:
        err = np.array([r[band]["err"] for r in records if band in r], dtype=np.float64)
        err = err[np.isfinite(err)]
        out[band] = {"bias": float(np.median(err)) if err.size else None,
                     "median_abs_err": float(np.median(np.abs(err))) if err.size else None,
                     "n_scenes": int(err.size)}
    return out


ARM_SHARE_MIN = 0.3  # an arm pixel: the young arms carry > 30 % of its dust-free i-band light


def arms_record(pixels: list[ObservablePixels]) -> dict:
    """False E(B-V) on young stellar arms (suites with arms): median inferred minus PSF-smoothed
    true E(B-V) on arm pixels and on the other resolved pixels; a model that reads the arms' blue
    light as less dust, or their colour contrast as lanes, shows it as a difference. {} without
    arms."""
    with_arms = [p for p in pixels if p.arm_share is not None and p.ebv_model.size]
    if not with_arms:
        return {}
    d = _cat([p.ebv_model - p.ebv_true for p in with_arms])
    arm = _cat([p.arm_share for p in with_arms]) > ARM_SHARE_MIN

    def med(x: F64) -> float | None:
        return float(np.median(x)) if x.size else None

    return {"ebv_error_arms": med(d[arm]), "ebv_error_interarm": med(d[~arm]),
            "ebv_false_arms": None if not arm.any() or arm.all()
            else float(np.median(d[arm]) - np.median(d[~arm])),
            "n_arm_pixels": int(arm.sum()), "n_interarm_pixels": int((~arm).sum()),
            "arm_share_min": ARM_SHARE_MIN, "n_scenes": len(with_arms)}


# a calibrated Gaussian: P(|z| < 1), P(|z| < 2) and the median |z|
PULL_EXPECTED = {"frac_within_1sigma": 0.6827, "frac_within_2sigma": 0.9545,
                 "median_abs_pull": 0.6745}


def pull_record(pixels: list[ObservablePixels]) -> dict:
    """Are the fit's E(B-V) sigmas honest? Pulls (inferred - PSF-smoothed true) / sigma over the
    resolved pixels with a finite positive sigma: the fractions within 1 and 2 sigma and the
    median |pull|, beside a calibrated Gaussian's values. The sigma is the Laplace one, conditional
    on the other parameters, so a degeneracy with the stellar light shows up as too many large
    pulls. {} when no fit carries sigmas."""
    with_sigma = [p for p in pixels if p.ebv_sigma is not None and p.ebv_model.size]
    if not with_sigma:
        return {}
    sig = _cat([p.ebv_sigma for p in with_sigma])
    d = _cat([p.ebv_model - p.ebv_true for p in with_sigma])
    ok = np.isfinite(sig) & (sig > 0) & np.isfinite(d)
    if not ok.any():
        return {}
    z = np.abs(d[ok] / sig[ok])
    return {"frac_within_1sigma": float(np.mean(z < 1.0)),
            "frac_within_2sigma": float(np.mean(z < 2.0)),
            "median_abs_pull": float(np.median(z)), "median_sigma": float(np.median(sig[ok])),
            "n_pixels": int(ok.sum()), "expected": dict(PULL_EXPECTED)}


def _cat(arrays: list[F64]) -> F64:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def pool_observable(pixels: list[ObservablePixels], bands: list[str], ceiling: bool = False,
                    colour: bool = False) -> tuple[dict, dict]:
    """(a_band_observable per band, ebv_resolved) pooled over scenes; ceiling=True scores the
    ceiling, colour=True the colour limit's a_band_observable (its E(B-V) is the ceiling's)."""
    a_inf = "a_colour" if colour else ("a_ceiling" if ceiling else "a_model")
    e_inf = "ebv_ceiling" if ceiling or colour else "ebv_model"
    a_obs = {band: stats_or_empty(_cat([getattr(p, a_inf).get(band, np.zeros(0)) for p in pixels]),
                                  _cat([p.a_true.get(band, np.zeros(0)) for p in pixels
                                        if band in getattr(p, a_inf)]))
             for band in bands}
    ebv = stats_or_empty(_cat([getattr(p, e_inf) for p in pixels if getattr(p, e_inf).size]),
                         _cat([p.ebv_true for p in pixels if getattr(p, e_inf).size]))
    return a_obs, ebv

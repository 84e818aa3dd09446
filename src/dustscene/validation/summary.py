"""Aggregate per-scene records into results/validation/metrics.json (keys: the README's
"Reading the validation metrics")."""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dustscene.io.atomic import json_safe

from . import observable as obs
from .dust import DustScene
from .metrics import nmad, pixel_stats

PACKAGES = ("jax", "equinox", "optax", "numpyro", "torch", "sbi", "snakemake", "astropy", "h5py")
# Blocks filled by later stages; present with nulls until their stage has run.
STAGE_KEYS: dict[str, dict[str, Any]] = {
    "hallucination": {"temperature": None, "masked_half": {"prior_dominated_masked": None,
                                                           "prior_dominated_unmasked": None},
                      "auc_large_error": None},
    "sed": {"coverage_68": None, "coverage_95": None, "tarp_atc": None,
            "sbc_ks_pvalue_min": None, "c2st_vs_mcmc": None,
            "seconds_per_galaxy_10k_samples": None},
    "spectrum_prior": {"reconstruction_chi2_median": None, "outlier_rank_percentile_max": None},
}


def _binned(d: np.ndarray, key: np.ndarray, edges: np.ndarray, label: str) -> list[dict]:
    """Median bias and NMAD of `d` in bins of `key` (empty bins skipped)."""
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (key >= lo) & (key <= hi if hi == edges[-1] else key < hi)
        if m.sum() >= 5:
            dd = d[m]
            out.append({f"{label}_lo": float(lo), f"{label}_hi": float(hi),
                        "n_pixels": int(m.sum()), "bias": float(np.median(dd)), "nmad": nmad(dd)})
    return out


def _median_abs(values: Sequence[Mapping[str, float]]) -> float:
    return float(np.median(np.abs([v for rec in values for v in rec.values()])))


def _bands(records: Sequence[DustScene]) -> list[str]:
    return list(records[0].a_band_true)


def _observable_block(records: Sequence[DustScene], bands: list[str]) -> dict[str, Any]:
    """a_band_observable, ebv_resolved (pixels pooled) and a_band_integrated (over scenes)."""
    px = [r.observable for r in records if r.observable is not None]
    a_obs, ebv = obs.pool_observable(px, bands)
    return {"a_band_observable": a_obs, "ebv_resolved": ebv,
            "a_band_integrated": obs.pool_integrated([r.a_band_integrated for r in records],
                                                     bands)}


def _ceiling_block(records: Sequence[DustScene], bands: list[str]) -> dict[str, Any]:
    """The same three statistics for the truth's screen representation, over the same scenes,
    and the per-pixel and integrated A_b a screen infers from the truth's exact colours."""
    px = [r.observable for r in records if r.observable is not None and r.ceiling]
    a_obs, ebv = obs.pool_observable(px, bands, ceiling=True)
    a_col, _ = obs.pool_observable(px, bands, colour=True)
    # older records (before the colour limit) lack it: pooled over those that have it
    colours = [r.ceiling["a_band_integrated_colours"] for r in records
               if "a_band_integrated_colours" in r.ceiling]
    # the dust-free flux of a perfectly measured galaxy corrected by the colour limit's A_b
    free_err = [10.0 ** (0.4 * c[b]["err"]) - 1.0 for c in colours for b in c]
    return {"a_band_observable": a_obs, "ebv_resolved": ebv,
            "a_band_integrated": obs.pool_integrated(
                [r.ceiling["a_band_integrated"] for r in records if r.ceiling], bands),
            "a_band_observable_colours": a_col,
            "a_band_integrated_colours": obs.pool_integrated(colours, bands),
            "dustfree_flux_frac_err_median_colours":
                float(np.nanmedian(np.abs(free_err))) if free_err else None}


def _arms_block(records: Sequence[DustScene]) -> dict[str, Any]:
    """{"arms": false E(B-V) on young stellar arms} for suites with arms, else nothing."""
    rec = obs.arms_record([r.observable for r in records if r.observable is not None])
    return {"arms": rec} if rec else {}


def _pull_block(records: Sequence[DustScene]) -> dict[str, Any]:
    """{"ebv_pull": calibration of the E(B-V) sigmas} when the fits carry them, else nothing."""
    rec = obs.pull_record([r.observable for r in records if r.observable is not None])
    return {"ebv_pull": rec} if rec else {}


def _by_inclination(records: Sequence[DustScene], bands: list[str]) -> dict[str, Any]:
    """The observable block per inclination bin (empty bins: zero counts, null statistics)."""
    return {name: _observable_block([r for r in records
                                     if obs.inclination_bin(r.inclination_deg) == name], bands)
            for name in obs.INCLINATION_BINS}


def _versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = "not installed"
    return out


def aggregate(
    records: Sequence[DustScene],
    provenance: Mapping[str, Any],
    observations: Mapping[str, float] | None = None,
    stages: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole run's metrics: pooled pixel statistics over all mocks plus per-stage blocks.

    Bias is the median of inferred - true over pixels with i-band S/N > 5; flux errors are
    medians over scenes and bands of |model / truth - 1|. The observable dust blocks pool the
    scenes' selected pixels before the statistics; integrated A_b errors are over scenes.
    Fits with chi2/dof > 3 are listed under fit.failures with a likely cause.
    """
    if not records:
        raise ValueError("no scene records to aggregate")
    px = [r.pixels for r in records if r.pixels is not None]
    inf = np.concatenate([p.ebv_inferred for p in px])
    eff = np.concatenate([p.ebv_effective for p in px])
    col = np.concatenate([p.ebv_column for p in px])
    sb = np.concatenate([p.surface_brightness for p in px])
    incl = np.concatenate([np.full(p.ebv_inferred.size, r.inclination_deg)
                           for r, p in zip(records, px, strict=True)])
    d_eff = inf - eff
    q = np.linspace(0, 1, 6)
    dust = {
        "ebv_effective": pixel_stats(inf, eff).as_dict(),
        "ebv_column": pixel_stats(inf, col).as_dict(),
        "dustfree_flux_frac_err_median": _median_abs([r.dustfree_flux_frac_err for r in records]),
        "dustfree_flux_frac_bias_median": float(np.median(
            [v for r in records for v in r.dustfree_flux_frac_err.values()])),
        "dustfree_colour_err_median_abs": _median_abs([r.dustfree_colour_err for r in records]),
        "a_band_err_median": {b: float(np.median([r.a_band_inferred[b] - r.a_band_true[b]
                                                  for r in records]))
                              for b in records[0].a_band_true},
        "binned_ebv_effective_by_true": _binned(d_eff, eff, np.unique(np.quantile(eff, q)),
                                                "ebv_true"),
        "binned_ebv_effective_by_surface_brightness": _binned(
            d_eff, sb, np.unique(np.quantile(sb, q)), "counts"),
        "binned_ebv_effective_by_inclination": _binned(d_eff, incl, np.array([0, 30, 60, 90.0]),
                                                       "inclination_deg"),
        **_observable_block(records, _bands(records)),
        "by_inclination": _by_inclination(records, _bands(records)),
        "ceiling": _ceiling_block(records, _bands(records)),
        **_arms_block(records),
        **_pull_block(records),
    }
    failures = [r.failure for r in records if r.failure is not None]
    fit = {
        "chi2_per_dof_median": float(np.median([r.chi2_per_dof for r in records])),
        "flux_frac_err_median": _median_abs([r.flux_frac_err for r in records]),
        "morphology_cosine_median": float(np.median([r.morphology_cosine for r in records])),
        "n_scenes": len(records),
        "chi2_per_dof_observations": dict(observations or {}),
        "n_failures": len(failures),
        "failures": failures,
    }
    out: dict[str, Any] = {"dust": dust, "fit": fit}
    for name, keys in STAGE_KEYS.items():
        block = dict(stages.get(name, {})) if stages else {}
        out[name] = {**keys, **block} if block else {**keys, "status": "stage not run"}
    out["provenance"] = {**provenance, "packages": _versions()}
    return json_safe(out)

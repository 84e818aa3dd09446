"""The `hallucination` block of the validation: the masked-half test on the best-resolved mock
and the AUC of rho over the mapped mocks' fits (no I/O here)."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from dustscene.mocks import MockScene

from .analysis import half_light_radius_pixels, masked_half


def most_resolved(mocks: list[MockScene]) -> int:
    """Index of the mock whose band-summed dust-free light has the largest half-light radius.

    The masked-half test loses a fixed strip (~0.5 PSF FWHM) next to the mask edge to the
    data, so its all-masked fraction measures the prior only on a well-resolved galaxy.
    """
    r50 = [half_light_radius_pixels(np.sum(m.dustfree, axis=0)) for m in mocks]
    return int(np.argmax(r50))


def validation_summary(
    mock: MockScene,
    cfg: dict[str, Any],
    scenes: list[dict[str, Any]],
    *,
    seed: int,
    peak_snr: float = 200.0,
) -> dict[str, Any]:
    """The `hallucination` block of metrics.json: t, the masked-half fractions, and over the
    mapped mocks' fits (`errors.scene_errors` of each) the median AUC, the large-error pixel
    counts and the light in prior-dominated pixels. The masked-half test fits the dust-free
    truth without a dust map, so the data alone set F_L of the pixels."""
    aucs = [float(s["auc_large_error"]) for s in scenes]
    mh = masked_half(
        mock.dustfree,
        mock.variance,
        mock.psf,
        mock.attrs["bands"],
        cfg,
        key=jax.random.key(seed),
        peak_snr=peak_snr,
    )
    finite = [a for a in aucs if np.isfinite(a)]
    return {
        "temperature": float(cfg["score_temperature"]),
        "masked_half": mh,
        # median over the mock scenes' own fits (errors there are mostly misspecification in
        # data-dominated pixels), and in the masked-half test (errors made by the prior)
        "auc_large_error": float(np.median(finite)) if finite else float("nan"),
        "auc_per_scene": aucs,
        # a scene whose fit misses its truth nowhere by > 3 sigma has no AUC (nan)
        "n_large_error_per_scene": [int(np.sum(s["large_error"] & s["on_source"]))
                                    for s in scenes],
        "prior_dominated_flux_fraction_per_scene": [
            float(s["prior_dominated_flux_fraction"]) for s in scenes],
        "auc_large_error_masked_half": mh["auc_large_error"],
    }

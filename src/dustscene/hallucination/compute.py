"""Hallucination maps of one mock behind its fitted dust, and the masked-half validation summary
(the numbers the workflow writes; no I/O here)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dustscene.mocks import MockScene
from dustscene.priors.map_fit import render
from dustscene.priors.prior import ScorePrior
from dustscene.sed.dust import MAG_PER_TAU

from .analysis import (
    HallucinationSettings,
    fit_and_score,
    half_light_radius_pixels,
    large_error_auc,
    large_error_pixels,
    masked_half,
    observation,
)


def tau_from_ebv(ebv: np.ndarray, k_bands: np.ndarray) -> jnp.ndarray:
    """tau_b = k_b E(B-V) / 1.0857 (the screen the fit inferred)."""
    return jnp.asarray(np.asarray(k_bands)[:, None, None] * np.asarray(ebv)[None] / MAG_PER_TAU)


def scene_hallucination(
    mock: MockScene,
    ebv: np.ndarray | None,
    prior: ScorePrior,
    settings: HallucinationSettings,
    *,
    seed: int,
    on_source_frac: float = 0.02,
) -> dict[str, Any]:
    """Prior MAP fit of the mock's observation behind the fitted dust screen, F_L / F_P maps,
    large-error pixels against the noiseless truth and the AUC of rho for them."""
    obs = observation(mock.observed, mock.variance, mock.psf, mock.attrs["bands"])
    tau = None if ebv is None else tau_from_ebv(ebv, mock.attrs["k_bands"])
    src, maps, hist = fit_and_score(obs, prior, settings, key=jax.random.key(seed), tau=tau)
    large = large_error_pixels(obs, src, mock.attenuated, mock.variance, tau=tau)
    img = mock.dustfree.sum(0)
    on = img > on_source_frac * img.max()
    return {
        "f_l": np.asarray(maps.f_l),
        "f_p": np.asarray(maps.f_p),
        "delta_f": np.asarray(maps.delta),
        "rho": np.asarray(maps.rho),
        "morphology": np.asarray(src.morphology),
        "spectrum": np.asarray(src.spectrum),
        "model": np.asarray(render(obs, src, tau)),
        "large_error": large,
        "on_source": on,
        "loss_history": hist,
        "attrs": {
            "temperature": float(prior.temperature),
            "n_probes": int(settings.n_probes),
            "probe_distribution": "rademacher",
            "auc_large_error": large_error_auc(np.asarray(maps.rho), large, on),
            "prior_dominated_flux_fraction": float(
                maps.prior_dominated_flux_fraction(jnp.asarray(np.where(on, src.morphology, 0)))
            ),
            "confidence": float(maps.confidence(src.morphology)),
            "dust_from_fit": ebv is not None,
        },
    }


def most_resolved(mocks: list[MockScene]) -> int:
    """Index of the mock whose band-summed dust-free light has the largest half-light radius.

    The masked-half test loses a fixed strip (~0.5 PSF FWHM) next to the mask edge to the
    data, so its all-masked fraction measures the prior only on a well-resolved galaxy.
    """
    r50 = [half_light_radius_pixels(np.sum(m.dustfree, axis=0)) for m in mocks]
    return int(np.argmax(r50))


def validation_summary(
    mock: MockScene,
    prior: ScorePrior,
    settings: HallucinationSettings,
    aucs: list[float],
    *,
    seed: int,
    peak_snr: float = 200.0,
) -> dict[str, Any]:
    """The `hallucination` block of metrics.json: t, masked-half fractions, median AUC."""
    tau = None  # the masked-half test runs on the dust-free truth: the data alone set F_L
    mh = masked_half(
        mock.dustfree,
        mock.variance,
        mock.psf,
        mock.attrs["bands"],
        prior,
        settings,
        key=jax.random.key(seed),
        peak_snr=peak_snr,
        tau=tau,
    )
    finite = [a for a in aucs if np.isfinite(a)]
    return {
        "temperature": float(prior.temperature),
        "masked_half": mh,
        # median over the mock scenes' own fits (errors there are mostly misspecification in
        # data-dominated pixels), and in the masked-half test (errors made by the prior)
        "auc_large_error": float(np.median(finite)) if finite else float("nan"),
        "auc_per_scene": [float(a) for a in aucs],
        "auc_large_error_masked_half": mh["auc_large_error"],
    }

"""Scores of the spectrum prior: held-out reconstruction, injected-outlier ranks and the ranks of
fitted (and true) scene components' photometry; numbers only, no file access."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from jaxtyping import Float, Int

from dustscene.sed.ssp import SSPTable

from .bands import band_shape, filter_weights
from .data import SpectraSet, SpectrumGrid
from .density import LatentDensity
from .network import SpectrumAutoencoder
from .outliers import injected_outliers, rank_percentile, score_spectra
from .photometry_fit import fit_latents_to_photometry


def heldout_metrics(
    model: SpectrumAutoencoder, density: LatentDensity, data: SpectraSet,
    idx: Int[np.ndarray, " n"],
) -> dict[str, float]:
    """Held-out reconstruction: median chi2 per pixel against the noisy spectra, and the median
    RMS of (reconstruction - noiseless truth) in units of the noise sigma."""
    sub = data.take(idx)
    sc = score_spectra(model, density, sub.observed, sub.ivar, sub.redshift)
    err = np.sqrt(np.mean(sub.ivar * (sc["reconstruction"] - sub.observed_clean) ** 2, axis=1))
    return {
        "reconstruction_chi2_median": float(np.median(sc["chi2_per_pixel"])),
        "reconstruction_error_over_noise_median": float(np.median(err)),
        "reconstruction_error_over_noise_p90": float(np.percentile(err, 90)),
        "n_heldout": int(len(idx)),
    }


def reference_scores(model: SpectrumAutoencoder, density: LatentDensity, held: SpectraSet,
                     snr: float, rng: np.random.Generator, *,
                     refine_steps: int = 0) -> dict[str, np.ndarray]:
    """Scores of held-out noiseless spectra re-observed at per-pixel S/N `snr`: the reference
    distribution an injected outlier at the same S/N is ranked in (log p is only comparable at
    equal noise)."""
    sigma = 1.0 / snr
    obs = held.observed_clean + sigma * rng.standard_normal(held.observed_clean.shape)
    ivar = np.full_like(obs, 1.0 / sigma**2)
    return score_spectra(model, density, obs, ivar, held.redshift, refine_steps=refine_steps)


def outlier_report(
    model: SpectrumAutoencoder,
    density: LatentDensity,
    data: SpectraSet,
    va: Int[np.ndarray, " n_held_out"],
    ssp: SSPTable,
    grid: SpectrumGrid,
    fitted: Mapping[str, Sequence[Float[np.ndarray, " band"]]],
    mock_redshifts: Mapping[str, float | None],
    truths: Mapping[str, Sequence[tuple[str, str, Float[np.ndarray, " band"]]]],
    *,
    seed: int,
    cfg: Mapping[str, Any],
    survey: str = "hsc",
) -> dict[str, Any]:
    """Held-out reconstruction, injected-outlier ranks and log p of every fitted component
    (`fitted`: scene -> component fluxes, at the mock's redshift where `mock_redshifts` has one,
    else the best of a redshift grid), with the mocks' true components (`truths`) scored the
    same way as a control."""
    from dustscene.scene.spectrum import filter_curves

    held = data.take(va)
    metrics = heldout_metrics(model, density, data, va)
    rng = np.random.default_rng([int(seed), 0x0071])
    snr = float(np.median(np.sqrt(held.ivar[:, 0])))  # median S/N per pixel of the held-out set
    refine = int(cfg.get("refine_steps", 0))
    ref = reference_scores(model, density, held, snr, rng, refine_steps=refine)
    labels, obs, ivar, z = injected_outliers(rng, ssp, grid, snr, int(cfg["n_outliers_each"]))
    out_sc = score_spectra(model, density, obs, ivar, z, refine_steps=refine)
    pct = rank_percentile(out_sc["log_p"], ref["log_p"])
    pct_latent = rank_percentile(out_sc["log_p_latent"], ref["log_p_latent"])
    injected = [
        {"label": lab, "redshift": float(zz), "log_p": float(lp), "log_p_latent": float(ll),
         "chi2_per_pixel": float(c), "rank_percentile": float(p),
         "rank_percentile_latent": float(q)}
        for lab, zz, lp, ll, c, p, q in zip(labels, z, out_sc["log_p"], out_sc["log_p_latent"],
                                            out_sc["chi2_per_pixel"], pct, pct_latent, strict=True)
    ]
    # fitted components: per-band fluxes -> MAP latents at the component's redshift -> log p;
    # every row (reference spectra, components x candidate redshifts) goes into ONE compiled call
    bands = list(cfg["bands"])
    wave, trans = filter_curves(bands, survey)
    frac = float(cfg["photometry_frac_err"])
    n_ref = min(int(cfg["n_reference"]), len(va))
    w = filter_weights(wave, trans)
    ref_flux = [np.asarray(band_shape(model.wave_rest, jax.numpy.asarray(data.rest[i]),
                                      jax.numpy.asarray(wave), w, float(data.redshift[i])))
                for i in va[:n_ref]]
    rows_f, rows_z = list(ref_flux), [float(data.redshift[i]) for i in va[:n_ref]]
    z_grid = np.linspace(grid.z_min, grid.z_max, 8)
    comps = []  # (scene, k, z_known, first row, number of rows)
    for scene, fluxes in fitted.items():
        z_known = mock_redshifts.get(scene)
        for k, flux in enumerate(fluxes):
            flux = np.maximum(flux, 1e-6 * max(float(np.abs(flux).max()), 1e-12))
            zs = [z_known] if z_known is not None else list(z_grid)
            comps.append((scene, k, z_known, len(rows_f), len(zs)))
            rows_f += [flux] * len(zs)
            rows_z += zs
    truth_rows = []  # (scene, component, kind, row): the mocks' true components, same path
    for scene, rows in truths.items():
        z_true = mock_redshifts.get(scene)
        if z_true is None:
            continue
        for name, kind, flux in rows:
            truth_rows.append((scene, name, kind, len(rows_f)))
            rows_f.append(flux)
            rows_z.append(z_true)
    fl = np.asarray(rows_f)
    res = fit_latents_to_photometry(model, density, fl, frac * fl, np.asarray(rows_z), wave,
                                    trans, steps=int(cfg["photometry_steps"]))
    # score = log p(latents) + log N(flux | model, 5 % errors) up to a constant shared by every
    # row (equal fractional errors): the photometric analogue of the spectra's log p
    score = res["log_p"] - 0.5 * res["chi2"]
    ref_lp, ref_score = res["log_p"][:n_ref], score[:n_ref]

    def ranks(b: int) -> dict[str, float]:
        return {"log_p": float(score[b]), "log_p_latent": float(res["log_p"][b]),
                "chi2_photometry": float(res["chi2"][b]),
                "rank_percentile": float(rank_percentile(score[b : b + 1], ref_score)[0]),
                "rank_percentile_latent": float(
                    rank_percentile(res["log_p"][b : b + 1], ref_lp)[0])}

    components = []
    for scene, k, z_known, start, n in comps:
        b = start + int(np.argmax(score[start : start + n]))
        components.append({"scene": scene, "component": k, "redshift": float(rows_z[b]),
                           "redshift_known": z_known is not None, **ranks(b)})
    truth = [{"scene": scene, "component": name, "kind": kind, "redshift": float(rows_z[b]),
              **ranks(b)} for scene, name, kind, b in truth_rows]
    return {
        "reconstruction_chi2_median": metrics["reconstruction_chi2_median"],
        "outlier_rank_percentile_max": float(np.max(pct)),
        "detail": {
            "heldout": metrics,
            "heldout_snr_per_pixel_median": snr,
            "injected": injected,
            "outlier_rank_percentile_max_latent_only": float(np.max(pct_latent)),
            "components": components,
            "truth_components": truth,
            "photometry_frac_err": frac,
            "reference_photometry_log_p_median": float(np.median(ref_lp)),
        },
    }

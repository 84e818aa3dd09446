"""Workflow entry points of the spectrum prior: simulate, train, score outliers (thin scripts call
these)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

from dustscene.io.atomic import atomic_path, write_json_atomic
from dustscene.io.fitfile import read_fit
from dustscene.mocks.io import read_mock

from .data import SpectrumGrid, load_spectra
from .flow import FlowSettings
from .io import load_spectrum_prior, save_spectrum_prior
from .outliers import injected_outliers, rank_percentile, score_spectra
from .prior import band_shape, filter_weights, fit_latents_to_photometry
from .train import SpectrumTrainSettings, train_spectrum_prior

log = logging.getLogger(__name__)


def grid_from_config(cfg: Mapping[str, Any]) -> SpectrumGrid:
    """SpectrumGrid from the config's `spectra` block."""
    return SpectrumGrid(float(cfg["wave_range"][0]), float(cfg["wave_range"][1]),
                        int(cfg["n_wave"]), float(cfg["redshift"][0]), float(cfg["redshift"][1]))


def settings_from_config(cfg: Mapping[str, Any]) -> SpectrumTrainSettings:
    """SpectrumTrainSettings from the config's `spectra` block."""
    return SpectrumTrainSettings(
        n_latent=int(cfg["n_latent"]), width=int(cfg["width"]), depth=int(cfg["depth"]),
        steps=int(cfg["steps"]), batch_size=int(cfg["batch_size"]),
        learning_rate=float(cfg["learning_rate"]), n_components=int(cfg["n_components"]),
        density=str(cfg.get("density", "flow")),
        flow=FlowSettings(**{k: type(getattr(FlowSettings, k))(v)
                             for k, v in cfg.get("flow", {}).items()}),
    )


def heldout_metrics(model, density, data, idx: np.ndarray) -> dict[str, float]:
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


def run_training(
    train_path: str | Path,
    out_path: str | Path,
    loss_figures: Sequence[str | Path],
    *,
    seed: int,
    settings: SpectrumTrainSettings,
) -> dict[str, Any]:
    """Train on the merged set, write weights + JSON manifest and the loss figure."""
    data = load_spectra(train_path)
    tp = train_spectrum_prior(data, settings, seed=seed)
    metrics = heldout_metrics(tp.model, tp.density, data, tp.val_idx)
    log.info("held-out: %s (%.1f s)", metrics, tp.seconds)
    meta = {
        "training_set": Path(train_path).name,
        "training_set_sha256": data.sha256,
        "seed": int(seed),
        "settings": dataclasses.asdict(settings),
        "density_heldout_mean_log_p": tp.density_heldout,
        "n_train": int(len(tp.train_idx)),
        "heldout": metrics,
        "train_seconds": round(tp.seconds, 1),
        "final_train_chi2_per_pixel": float(tp.loss[-1]),
    }
    save_spectrum_prior(out_path, tp.model, tp.density, meta)
    from .figures import loss_figure

    loss_figure(tp.loss, tp.val_loss, loss_figures)
    return meta


def _mock_redshift(path: Path) -> float | None:
    """The mock's true redshift (root attribute), None if it has none; only attributes are read."""
    z = read_mock(path).attrs.get("redshift")
    return None if z is None else float(z)


TRUTH_COMPONENTS = ("bulge", "disk", "clumps")


def _truth_fluxes(path: Path, bands: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(component, kind, band fluxes) of a mock's true components: `dustfree` (sed_flux, what a
    fit with a dust map assigns to its components) and `attenuated` (the summed attenuated
    image, what a dust-free fit sees). The control for the fitted components' ranks."""
    out = []
    try:
        mock = read_mock(path, attrs=("bands",), components=("sed_flux", "attenuated"))
        if list(mock.bands) != bands:
            raise ValueError(f"bands {list(mock.bands)} differ from spectra.bands {bands}")
    except ValueError as err:
        raise ValueError(f"mock file {path}: unusable truth components: {err}") from err
    for name in TRUTH_COMPONENTS:
        g = mock.components.get(name)
        if g is None:
            continue
        out.append((name, "dustfree", np.asarray(g.arrays["sed_flux"], dtype=float)))
        out.append((name, "attenuated",
                    np.asarray(g.arrays["attenuated"], dtype=float).sum(axis=(1, 2))))
    for name, kind, flux in out:
        if flux.shape != (len(bands),) or not np.all(np.isfinite(flux)) or np.any(flux <= 0):
            raise ValueError(f"mock file {path}: truth {name} {kind} fluxes are not positive "
                             f"finite (band,) values")
    return out


def reference_scores(model, density, held, snr: float, rng: np.random.Generator, *,
                     refine_steps: int = 0):
    """Scores of held-out noiseless spectra re-observed at per-pixel S/N `snr`: the reference
    distribution an injected outlier at the same S/N is ranked in (log p is only comparable at
    equal noise)."""
    sigma = 1.0 / snr
    obs = held.observed_clean + sigma * rng.standard_normal(held.observed_clean.shape)
    ivar = np.full_like(obs, 1.0 / sigma**2)
    return score_spectra(model, density, obs, ivar, held.redshift, refine_steps=refine_steps)


def run_outliers(
    model_path: str | Path,
    train_path: str | Path,
    ssp_path: str | Path,
    fits: Mapping[str, str | Path],
    mocks: Mapping[str, str | Path],
    out_json: str | Path,
    *,
    seed: int,
    cfg: Mapping[str, Any],
    survey: str = "hsc",
) -> dict[str, Any]:
    """Held-out reconstruction, injected-outlier ranks and log p of every fitted component,
    with the mocks' true components scored the same way as a control (`truth_components`)."""
    from dustscene.scene.spectrum import filter_curves
    from dustscene.sed import load_ssp_table

    data = load_spectra(train_path)
    model, density, meta = load_spectrum_prior(
        model_path, expect={"training_set_sha256": data.sha256})
    settings = settings_from_config(cfg)
    from .train import split

    _, va = split(len(data), settings.validation_fraction, seed)
    held = data.take(va)
    metrics = heldout_metrics(model, density, data, va)
    rng = np.random.default_rng([int(seed), 0x0071])
    grid = grid_from_config(cfg)
    snr = float(np.median(np.sqrt(held.ivar[:, 0])))  # median S/N per pixel of the held-out set
    refine = int(cfg.get("refine_steps", 0))
    ref = reference_scores(model, density, held, snr, rng, refine_steps=refine)
    labels, obs, ivar, z = injected_outliers(rng, load_ssp_table(ssp_path), grid, snr,
                                             int(cfg["n_outliers_each"]))
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
    for scene, fpath in fits.items():
        fit = read_fit(fpath)
        fbands = list(fit["attrs"].get("bands", bands))
        if fbands != bands:
            raise ValueError(f"fit file {fpath}: bands {fbands} differ from spectra.bands {bands}")
        z_known = _mock_redshift(Path(mocks[scene])) if scene in mocks else None
        for k in range(int(fit["attrs"].get("n_components", 0))):
            flux = np.asarray(fit.get(f"components/{k}/spectrum", np.nan), dtype=float)
            if flux.shape != (len(bands),) or not np.all(np.isfinite(flux)):
                raise ValueError(f"fit file {fpath}: components/{k}/spectrum is not finite "
                                 f"(band,) fluxes")
            flux = np.maximum(flux, 1e-6 * max(float(np.abs(flux).max()), 1e-12))
            zs = [z_known] if z_known is not None else list(z_grid)
            comps.append((scene, k, z_known, len(rows_f), len(zs)))
            rows_f += [flux] * len(zs)
            rows_z += zs
    truth_rows = []  # (scene, component, kind, row): the mocks' true components, same path
    for scene, mpath in mocks.items():
        z_true = _mock_redshift(Path(mpath))
        if z_true is None:
            continue
        for name, kind, flux in _truth_fluxes(Path(mpath), bands):
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
    out = {
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
            "model_weights_sha256": meta["weights_sha256"],
            "training_set_sha256": data.sha256,
        },
    }
    write_json_atomic(out_json, out)
    return out


__all__ = ["atomic_path", "grid_from_config", "run_outliers", "run_training",
           "settings_from_config"]

"""Workflow entry points of the spectrum prior (the thin scripts call these): each reads its
inputs, hands them to the module that does the job (train, config, inputs, scoring) and writes
the outputs."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dustscene.io.atomic import write_json_atomic

from .config import grid_from_config, settings_from_config
from .data import load_spectra
from .inputs import fitted_component_fluxes, mock_redshift, truth_fluxes
from .io import load_spectrum_prior, save_spectrum_prior
from .scoring import heldout_metrics, outlier_report
from .train import SpectrumTrainSettings, split, train_spectrum_prior

log = logging.getLogger(__name__)


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
    from dustscene.sed import load_ssp_table

    data = load_spectra(train_path)
    model, density, meta = load_spectrum_prior(
        model_path, expect={"training_set_sha256": data.sha256})
    _, va = split(len(data), settings_from_config(cfg).validation_fraction, seed)
    bands = list(cfg["bands"])
    fitted = {scene: fitted_component_fluxes(Path(p), bands) for scene, p in fits.items()}
    redshifts = {scene: mock_redshift(Path(p)) for scene, p in mocks.items()}
    truths = {scene: truth_fluxes(Path(p), bands) for scene, p in mocks.items()
              if redshifts[scene] is not None}
    out = outlier_report(model, density, data, va, load_ssp_table(ssp_path),
                         grid_from_config(cfg), fitted, redshifts, truths, seed=seed, cfg=cfg,
                         survey=survey)
    out["detail"]["model_weights_sha256"] = meta["weights_sha256"]
    out["detail"]["training_set_sha256"] = data.sha256
    write_json_atomic(out_json, out)
    return out


__all__ = ["run_outliers", "run_training"]

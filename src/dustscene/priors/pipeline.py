"""Workflow entry points of the prior: stamps -> train -> .eqx + .json + loss-curve figure."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jax
import numpy as np

from dustscene.io.figure import save_figure

from .io import save_score_model
from .stamps import stamps_sha256, training_stamps
from .train import ScoreTrainSettings, TrainResult, train_score_model


def plot_loss_curve(result: TrainResult, path: str | Path, title: str = "") -> None:
    """Per-step DSM loss and its running mean (log scale), PNG or PDF by suffix."""
    import matplotlib.pyplot as plt

    loss = result.losses
    k = max(1, loss.size // 50)
    smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
    ax.plot(loss, lw=0.5, alpha=0.4, label="per step")
    ax.plot(np.arange(smooth.size) + k // 2, smooth, lw=1.5, label=f"running mean ({k})")
    ax.set(yscale="log", xlabel="step", ylabel="weighted DSM loss", title=title)
    ax.legend()
    save_figure(fig, path, close=True)


def train_score_prior(
    size: int,
    n_train: int,
    seed: int,
    settings: ScoreTrainSettings,
    out_model: str | Path,
    out_figure: str | Path | None = None,
    *,
    redshift_range: tuple[float, float] = (0.15, 0.5),
    progress: bool = True,
    suite: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Render stamps of `suite` (the configured mock suite), train, save weights + JSON
    (hyper-parameters, training-set sha256)."""
    stamps = training_stamps(n_train, size, seed, redshift_range=redshift_range,
                             progress=progress, suite=suite)
    result = train_score_model(stamps, settings, key=jax.random.key(seed), progress=progress)
    meta = {
        "stamp_size": int(size),
        "n_train": int(n_train),
        "seed": int(seed),
        "redshift_range": [float(v) for v in redshift_range],
        "training_set_sha256": stamps_sha256(stamps),
        "settings": dataclasses.asdict(settings),
        "final_loss": float(np.mean(result.losses[-max(1, settings.steps // 10) :])),
        "train_seconds": float(result.seconds),
        "noise": "VP: x_t = sqrt(exp(-t)) x + sqrt(1 - exp(-t)) eps, weight 1 - exp(-t)",
    }
    save_score_model(out_model, result.model, meta)
    if out_figure is not None:
        plot_loss_curve(result, out_figure, f"score prior {size}x{size}")
    return meta

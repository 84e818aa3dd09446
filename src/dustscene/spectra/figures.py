"""Spectrum-prior figures: training loss; reconstructions, most/least probable spectra and the
latent space coloured by physical parameters."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from dustscene.io.figure import save_figure

from .data import load_spectra
from .io import load_spectrum_prior
from .outliers import score_spectra
from .train import split


def loss_figure(loss: np.ndarray, val: np.ndarray, paths: Sequence[str | os.PathLike[str]]) -> None:
    """Training chi2 per pixel per step and the held-out median."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(np.arange(1, loss.size + 1), loss, lw=0.6, alpha=0.6, label="training batch")
    if len(val):
        ax.plot(val[:, 0], val[:, 1], "o-", ms=3, label="held-out median")
    ax.axhline(1.0, color="k", ls=":", lw=1, label="noise level")
    ax.set(xlabel="step", ylabel=r"$\chi^2$ / pixel", yscale="log")
    ax.legend(fontsize=7)
    save_figure(fig, paths, bbox_inches="tight", close=True)


def spectrum_prior_figure(
    model_path: str | Path,
    train_path: str | Path,
    outliers_path: str | Path,
    paths: Sequence[str | os.PathLike[str]],
    *,
    seed: int,
    validation_fraction: float = 0.1,
    n_examples: int = 3,
) -> None:
    """Top: held-out spectra with reconstructions; middle: the most and least probable held-out
    spectra; bottom: first two principal components of the latents coloured by sSFR, tau_ISM and
    metallicity (the injected outliers' log p ranks are written in the title)."""
    data = load_spectra(train_path)
    model, density, _ = load_spectrum_prior(model_path,
                                            expect={"training_set_sha256": data.sha256})
    _, va = split(len(data), validation_fraction, seed)
    held = data.take(va)
    sc = score_spectra(model, density, held.observed, held.ivar, held.redshift)
    outl = json.loads(Path(outliers_path).read_text())
    wave = data.wave_obs
    fig = plt.figure(figsize=(12, 10))
    gs = fig.add_gridspec(3, 3, hspace=0.5, wspace=0.35)
    for j in range(n_examples):
        ax = fig.add_subplot(gs[0, j])
        i = j * max(len(va) // n_examples, 1)
        ax.plot(wave, held.observed[i], color="0.6", lw=0.6, label="observed")
        ax.plot(wave, held.observed_clean[i], color="k", lw=0.8, label="noiseless")
        ax.plot(wave, sc["reconstruction"][i], color="C3", lw=0.8, label="reconstruction")
        ax.set(title=f"z={held.redshift[i]:.3f}  $\\chi^2$/pix={sc['chi2_per_pixel'][i]:.2f}",
               xlabel=r"observed $\lambda$ [$\AA$]", ylabel=r"$f_\lambda$ (median = 1)")
        if j == 0:
            ax.legend(fontsize=7)
    order = np.argsort(sc["log_p_latent"])
    for j, (title, idx) in enumerate((("most probable (latent log p)", order[-3:]),
                                      ("least probable (latent log p)", order[:3]))):
        ax = fig.add_subplot(gs[1, j])
        for k, i in enumerate(idx):
            ax.plot(data.wave_rest, held.rest[i] + 1.0 * k, lw=0.7,
                    label=f"log p={sc['log_p_latent'][i]:.1f}, "
                    f"sSFR={held.physical['log_ssfr'][i]:.1f}")
        ax.set(title=title, xlabel=r"rest $\lambda$ [$\AA$]", ylabel="unit mean + offset")
        ax.legend(fontsize=6)
    ax = fig.add_subplot(gs[1, 2])
    ax.hist(sc["log_p_latent"], bins=40, color="0.5", label="held-out")
    for rec in outl["detail"]["injected"]:
        ax.axvline(max(rec["log_p_latent"], np.min(sc["log_p_latent"]) - 5), color="C3", lw=0.8)
    ax.set(title="latent log p (red: injected outliers, clipped)", xlabel="log p(s)")
    s = sc["latents"] - sc["latents"].mean(0)
    _, _, vt = np.linalg.svd(s, full_matrices=False)
    pc = s @ vt[:2].T
    for j, (key, label) in enumerate((("log_ssfr", "log sSFR [1/yr]"),
                                      ("tau_ism", r"$\tau_{\rm ISM}$"),
                                      ("log_z", r"$\log Z/Z_\odot$"))):
        ax = fig.add_subplot(gs[2, j])
        v = held.physical[key]
        lo, hi = np.percentile(v, [2, 98])
        im = ax.scatter(pc[:, 0], pc[:, 1], c=np.clip(v, lo, hi), s=4, cmap="viridis")
        fig.colorbar(im, ax=ax)
        ax.set(xlabel="latent PC 1", ylabel="latent PC 2", title=f"colour: {label}")
    fig.suptitle(
        "spectrum prior: held-out median $\\chi^2$/pix = "
        f"{outl['reconstruction_chi2_median']:.2f}; "
        f"worst injected-outlier rank = {outl['outlier_rank_percentile_max']:.2f} %"
    )
    save_figure(fig, paths, bbox_inches="tight", close=True)

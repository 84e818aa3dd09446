"""SEDflow figures: loss curves, SBC rank histograms, coverage curves, flow-vs-NUTS corner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import NDArray

from dustscene.io.figure import save_figure

from .parameters import THETA_LABELS, THETA_NAMES


def loss_curves(summaries: Sequence[dict[str, Any]], paths: Sequence[str]) -> None:
    """Training and validation -log q per epoch for each ensemble member."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for i, s in enumerate(summaries):
        ax.plot(s["training_loss"], color=f"C{i}", lw=1, alpha=0.6)
        ax.plot(s["validation_loss"], color=f"C{i}", lw=1.5, label=f"seed {s['seed']} (val)")
    ax.set(xlabel="epoch", ylabel=r"$-\log q(\theta|x)$")
    ax.legend(fontsize=7)
    save_figure(fig, paths, bbox_inches="tight", close=True)


def rank_histograms(ranks: NDArray[np.floating], n_post: int, pvals: NDArray[np.floating],
                    paths: Sequence[str]) -> None:
    """SBC rank histograms per parameter with the uniform 99 % band (Talts et al. 2018)."""
    from scipy.stats import binom

    n, d = ranks.shape
    bins = 20
    fig, axes = plt.subplots(2, (d + 1) // 2, figsize=(2.2 * ((d + 1) // 2), 4.2), sharey=True)
    lo, hi = binom.ppf([0.005, 0.995], n, 1 / bins)
    for j, ax in enumerate(axes.flat):
        if j >= d:
            ax.axis("off")
            continue
        ax.axhspan(lo, hi, color="0.85")
        ax.hist(ranks[:, j], bins=bins, range=(0, n_post), color="C0")
        ax.set_title(f"{THETA_LABELS[THETA_NAMES[j]]}  p={pvals[j]:.2f}", fontsize=8)
        ax.set_xticks([])
    save_figure(fig, paths, bbox_inches="tight", close=True)


def coverage_curves(levels: NDArray[np.floating], cov: NDArray[np.floating],
                    alpha: NDArray[np.floating], ecp: NDArray[np.floating],
                    paths: Sequence[str]) -> None:
    """Expected HPD coverage and TARP ECP against credibility (diagonal = calibrated)."""
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.plot(levels, cov, label="HPD expected coverage")
    ax.plot(alpha, ecp, label="TARP ECP")
    ax.set(xlabel="credibility level", ylabel="empirical coverage", xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=8)
    save_figure(fig, paths, bbox_inches="tight", close=True)


def corner(flow: NDArray[np.floating], nuts: NDArray[np.floating], truth: NDArray[np.floating],
           paths: Sequence[str], title: str = "") -> None:
    """Corner plot of flow and NUTS samples for one galaxy with the true theta."""
    d = flow.shape[1]
    fig, axes = plt.subplots(d, d, figsize=(1.3 * d, 1.3 * d))
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j > i:
                ax.axis("off")
            elif i == j:
                rng = (min(flow[:, i].min(), nuts[:, i].min()),
                       max(flow[:, i].max(), nuts[:, i].max()))
                ax.hist(flow[:, i], 30, range=rng, density=True, histtype="step", color="C0")
                ax.hist(nuts[:, i], 30, range=rng, density=True, histtype="step", color="C1")
                ax.axvline(truth[i], color="k", lw=0.8)
            else:
                ax.plot(flow[:2000, j], flow[:2000, i], ",", color="C0", alpha=0.4)
                ax.plot(nuts[:, j], nuts[:, i], ",", color="C1", alpha=0.6)
                ax.plot(truth[j], truth[i], "k+", ms=6)
            if i == d - 1:
                ax.set_xlabel(THETA_LABELS[THETA_NAMES[j]], fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(THETA_LABELS[THETA_NAMES[i]], fontsize=7)
    fig.suptitle(f"{title}  flow (C0) vs NUTS (C1) vs truth (black)", fontsize=9)
    save_figure(fig, paths, bbox_inches="tight", close=True)

"""Fit diagnostics: data, model and residual/sigma per band for one fitted observation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dustscene.io.figure import save_figure


def _stretch(img: np.ndarray, scale: float) -> np.ndarray:
    return np.arcsinh(img / scale)


def plot_fit_residuals(
    data: np.ndarray,
    model: np.ndarray,
    weights: np.ndarray,
    bands: tuple[str, ...] | list[str],
    path: str | Path | None = None,
    *,
    title: str = "",
    centers: np.ndarray | None = None,
):
    """Rows = bands; columns = data, model, (data - model)/sigma (masked pixels grey).

    `data`, `model`, `weights` are (band, y, x) arrays on the observation's pixels (weights =
    1/variance, 0 = masked). Per band the panel title gives chi2 per unmasked pixel. Returns the
    figure; saves it to `path` if given.
    """
    import matplotlib.pyplot as plt

    data, model, weights = (np.asarray(a, dtype=float) for a in (data, model, weights))
    nb = data.shape[0]
    fig, axes = plt.subplots(nb, 3, figsize=(7.5, 2.4 * nb), squeeze=False)
    for b in range(nb):
        good = weights[b] > 0
        sig = np.sqrt(np.median(1.0 / weights[b][good])) if good.any() else 1.0
        z = np.where(good, (data[b] - model[b]) * np.sqrt(weights[b]), np.nan)
        chi2 = float(np.nansum(z**2) / max(good.sum(), 1))
        lo, hi = _stretch(np.array([-2 * sig, np.percentile(data[b][good], 99.5)]), 3 * sig)
        for j, (img, name) in enumerate(((data[b], "data"), (model[b], "model"))):
            ax = axes[b, j]
            ax.imshow(_stretch(img, 3 * sig), origin="lower", cmap="gray_r", vmin=lo, vmax=hi)
            ax.set_title(f"{bands[b]} {name}", fontsize=8)
        ax = axes[b, 2]
        cmap = plt.get_cmap("RdBu_r").copy()
        cmap.set_bad("0.7")
        im = ax.imshow(z, origin="lower", cmap=cmap, vmin=-4, vmax=4)
        ax.set_title(f"{bands[b]} (data-model)/sigma, chi2/pix {chi2:.2f}", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046)
        if centers is not None:
            for a in axes[b]:
                a.plot(centers[:, 1], centers[:, 0], "+", color="orange", ms=5)
    for a in axes.ravel():
        a.set_xticks([])
        a.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=90)
    return fig


def plot_fit_file(
    fit_path: str | Path,
    data_path: str | Path,
    out: str | Path | None,
    *,
    mask_bits: int | None = None,
):
    """`plot_fit_residuals` for a fit HDF5 (layout: `dustscene.io.fitfile`) and the observation
    it fitted."""
    from dustscene.io.fitfile import read_fit
    from dustscene.io.observations import load_observation

    fitted = read_fit(fit_path)
    obs = load_observation(data_path, mask_bits=mask_bits)
    a = fitted["attrs"]
    title = (
        f"{Path(data_path).name}: chi2/dof {float(a['chi2_per_dof']):.3f}, "
        f"{int(a['n_params'])} parameters, {int(a['n_steps'])} steps"
    )
    return plot_fit_residuals(
        np.where(fitted["observed/weights"] > 0, obs.images, 0.0),
        fitted["model/observed"],
        fitted["observed/weights"],
        obs.bands,
        out,
        title=title,
        centers=obs.centers,
    )

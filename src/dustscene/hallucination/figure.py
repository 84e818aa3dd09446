"""Figure of one scene's hallucination maps (`dustscene.io.figure.save_figure`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dustscene.io.figure import save_figure
from dustscene.mocks import MockScene


def plot_maps(mock: MockScene, result: dict[str, Any], path: str | Path, title: str = "") -> None:
    """Data, model (i band), rho and the large-error pixels of one scene, PNG/PDF by suffix."""
    import matplotlib.pyplot as plt

    bands = list(mock.attrs["bands"])
    b = bands.index("i") if "i" in bands else 0
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.3), constrained_layout=True)
    vmax = float(np.percentile(mock.observed[b], 99.5))
    panels = [
        (mock.observed[b], "data (i)", "gray_r", 0, vmax),
        (result["model"][b], "prior MAP model (i)", "gray_r", 0, vmax),
        (result["rho"], rf"$\rho$ at t={result['attrs']['temperature']:g}", "magma", 0, 1),
        (np.asarray(result["large_error"], float), "|model - truth| > 3$\\sigma$", "Reds", 0, 1),
    ]
    for ax, (img, name, cmap, lo, hi) in zip(axes, panels, strict=True):
        im = ax.imshow(img, origin="lower", cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title)
    save_figure(fig, path, dpi=110, close=True)

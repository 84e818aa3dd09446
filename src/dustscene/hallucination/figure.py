"""Figure of one scene's hallucination maps (`dustscene.io.figure.save_figure`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from jaxtyping import Float

from dustscene.io.figure import save_figure


def plot_maps(
    images: Float[np.ndarray, "band y x"],
    bands: Sequence[str],
    fit: dict[str, Any],
    errors: dict[str, Any] | None,
    path: str | Path,
    title: str = "",
) -> None:
    """Data, the score-prior fit's model (i band), rho of its pixels (and of its dust map when
    it has one) and, for a mock (`errors`: `errors.scene_errors`), the pixels where the fit
    misses the truth; `fit`: `io.fitfile.read_fit` of the fit. PNG/PDF by suffix."""
    import matplotlib.pyplot as plt

    b = list(bands).index("i") if "i" in bands else 0
    vmax = float(np.percentile(images[b], 99.5))
    t = float(fit["attrs"]["score_temperature"])
    panels = [
        (images[b], "data (i)", "gray_r", 0, vmax),
        (fit["model/observed"][b], "score-prior fit (i)", "gray_r", 0, vmax),
        (fit["hallucination/rho"], rf"pixels: $\rho$ at t={t:g}", "magma", 0, 1),
    ]
    if "dust/rho" in fit:  # the fit's resolved dust map under its smoothness prior
        panels.append((fit["dust/rho"], r"dust map: $\rho$", "magma", 0, 1))
    if errors is not None:
        panels.append((np.asarray(errors["large_error"], float),
                       "|model - truth| > 3$\\sigma$", "Reds", 0, 1))
    fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.3),
                             constrained_layout=True)
    for ax, (img, name, cmap, lo, hi) in zip(axes, panels, strict=True):
        im = ax.imshow(img, origin="lower", cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title)
    save_figure(fig, path, dpi=110, close=True)

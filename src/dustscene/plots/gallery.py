"""Mock gallery: i-band without/with dust and E(B-V) over inclinations (the NIHAO+SKIRT slide)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from dustscene.io.figure import save_figure
from dustscene.io.mockfile import read_mock

GALLERY_DATASETS = ("truth/dustfree", "truth/attenuated", "truth/ebv_effective")


def _band_index(bands: Sequence[str], wanted: str = "i") -> int:
    """Index of `wanted` in the scene's bands, else the middle band."""
    names = list(bands)
    return names.index(wanted) if wanted in names else len(names) // 2


def read_gallery_panel(path: str | Path) -> dict:
    """The images one gallery column needs from a mock scene file (as stored, float32)."""
    mock = read_mock(path, GALLERY_DATASETS, attrs=("bands", "inclination_deg"))
    b = _band_index(mock.bands)
    return {
        "name": Path(path).stem,
        "galaxy": int(mock.attrs.get("galaxy_index", 0)),
        "inclination": float(mock.attrs["inclination_deg"]),
        "dustfree": np.asarray(mock.arrays["truth/dustfree"][b]),
        "attenuated": np.asarray(mock.arrays["truth/attenuated"][b]),
        "ebv": np.asarray(mock.arrays["truth/ebv_effective"]),
    }


def choose_panels(panels: list[dict], max_columns: int = 6) -> list[dict]:
    """Pick the galaxy with the most inclinations and spread up to `max_columns` of them."""
    by_gal: dict[int, list[dict]] = {}
    for p in panels:
        by_gal.setdefault(p["galaxy"], []).append(p)
    best = max(by_gal.values(), key=len)
    best.sort(key=lambda p: p["inclination"])
    if len(best) <= max_columns:
        return best
    idx = np.unique(np.linspace(0, len(best) - 1, max_columns).round().astype(int))
    return [best[i] for i in idx]


def plot_gallery(scene_paths: Sequence[str | Path], png: str | Path, pdf: str | Path) -> None:
    """Write the gallery as PNG and PDF (atomically); asinh stretch shared within each column."""
    panels = choose_panels([read_gallery_panel(p) for p in scene_paths])
    n = len(panels)
    fig, axes = plt.subplots(3, n, figsize=(2.2 * n, 6.9), squeeze=False)
    ebv_max = max(float(np.nanmax(p["ebv"])) for p in panels) or 1.0
    for j, p in enumerate(panels):
        scale = float(np.nanmax(p["dustfree"])) or 1.0  # no clipping: the core stays visible
        soft = 0.01 * scale
        for row, key in enumerate(("dustfree", "attenuated")):
            ax = axes[row, j]
            ax.imshow(np.arcsinh(p[key] / soft) / np.arcsinh(scale / soft), origin="lower",
                      cmap="gray", vmin=0, vmax=1)
        im = axes[2, j].imshow(p["ebv"], origin="lower", cmap="magma", vmin=0, vmax=ebv_max)
        axes[0, j].set_title(f"i = {p['inclination']:.0f} deg", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("i-band: no dust")
    axes[1, 0].set_ylabel("i-band: with dust")
    axes[2, 0].set_ylabel("E(B-V) effective")
    fig.colorbar(im, ax=axes[2, :].tolist(), shrink=0.8, label="E(B-V) [mag]")
    fig.suptitle(f"Mock galaxy {panels[0]['galaxy']} over inclinations")
    save_figure(fig, [png, pdf], close=True)

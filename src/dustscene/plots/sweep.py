"""The seed sweep figure: one panel per headline metric, values across seeds, the target band."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..validation.targets import HEADLINE, Target  # noqa: E402
from .paper import save_png_pdf  # noqa: E402

COLOURS = {"pass": "tab:green", "FAIL": "tab:red", "reported": "tab:blue"}


def _draw_target(ax: Any, target: Target) -> None:  # noqa: ANN401 - a matplotlib Axes
    """Shade the allowed band of a target within the panel's y range; dash its finite bounds."""
    low, high = target.band()
    if low is None and high is None:
        return
    for bound in (low, high):
        if bound is not None:
            ax.axhline(bound, color="0.3", ls="--", lw=1)
    ymin, ymax = ax.get_ylim()
    lo = max(low, ymin) if low is not None else ymin
    hi = min(high, ymax) if high is not None else ymax
    if lo < hi:
        ax.axhspan(lo, hi, color="tab:green", alpha=0.08, lw=0)


def _panel(ax: Any, seeds: Sequence[str], metric: Mapping[str, Any], target: Target) -> None:  # noqa: ANN401
    """One metric: a point per seed coloured by its status, missing seeds noted."""
    xs, ys, cs, missing = [], [], [], []
    for i, s in enumerate(seeds):
        rec = metric["per_seed"][s]
        if rec["value"] is None:
            missing.append(s)
            continue
        xs.append(i)
        ys.append(rec["value"])
        cs.append(COLOURS[rec["status"]])
    finite = [v for v in (*ys, *target.band()) if v is not None and math.isfinite(v)]
    if finite:
        span = (max(finite) - min(finite)) or abs(max(finite)) or 1.0
        ax.set_ylim(min(finite) - 0.15 * span, max(finite) + 0.15 * span)
    _draw_target(ax, target)
    ax.scatter(xs, ys, c=cs, s=28, zorder=3)
    if missing:
        ax.text(0.5, 0.88, "missing: seed " + ", ".join(missing), transform=ax.transAxes,
                ha="center", va="center", fontsize=7, color="0.3",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xticks(range(len(seeds)), seeds, fontsize=7)
    ax.set_xlim(-0.5, len(seeds) - 0.5)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(f"{target.path}\n{target.text}", fontsize=7)


def plot_sweep(summary: Mapping[str, Any], targets: Sequence[Target] = HEADLINE,
               columns: int = 5) -> Figure:
    """Every headline metric of a sweep summary, one panel each; x is the seed."""
    seeds = [str(s) for s in summary["seeds"]]
    shown = [t for t in targets if t.path in summary["metrics"]]
    rows = max(1, math.ceil(len(shown) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.1 * rows), squeeze=False)
    for ax, target in zip(axes.flat, shown, strict=False):
        _panel(ax, seeds, summary["metrics"][target.path], target)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_axis_off()
    fig.supxlabel("seed", fontsize=8)
    fig.tight_layout()
    return fig


def write_sweep_figure(summary: Mapping[str, Any], png: str | Path, pdf: str | Path) -> None:
    """Plot a sweep summary to PNG and PDF."""
    save_png_pdf(plot_sweep(summary), png, pdf)

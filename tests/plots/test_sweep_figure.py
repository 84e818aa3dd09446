"""The sweep figure: one panel per headline metric, written as PNG and PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from dustscene.plots.sweep import plot_sweep, write_sweep_figure
from dustscene.validation.sweep import summarize
from dustscene.validation.targets import HEADLINE


def _summary() -> dict:
    return summarize({1: {"fit": {"chi2_per_dof_median": 1.0, "n_failures": 2}},
                      2: {"fit": {"chi2_per_dof_median": 250.0}}})


def test_one_panel_per_metric_with_the_allowed_band_inside_the_axes() -> None:
    fig = plot_sweep(_summary())
    shown = [ax for ax in fig.axes if ax.axison]
    assert len(shown) == len(HEADLINE)
    chi2 = next(ax for ax in shown if ax.get_title().startswith("fit.chi2_per_dof_median"))
    ymin, ymax = chi2.get_ylim()
    band = chi2.patches[0].get_path().get_extents(chi2.patches[0].get_transform())
    assert band.height < chi2.bbox.height  # only the allowed part (<= 1.1) is shaded
    assert ymin < 1.0 and ymax > 250.0
    plt.close(fig)


def test_png_and_pdf_are_written(tmp_path: Path) -> None:
    write_sweep_figure(_summary(), tmp_path / "s.png", tmp_path / "s.pdf")
    assert (tmp_path / "s.png").stat().st_size > 10_000
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")

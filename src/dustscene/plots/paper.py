"""Paper figures 2-8: plot the arrays of results/figures/data/ (no computation, only style).

Each `plot_*` takes the dict that `paper_data` extracted (or the calibration .npz / speed JSON),
returns a matplotlib Figure and never touches the run's data products, so a style change here
or in a workflow/scripts/fig*.py reruns only plots. `save_png_pdf` writes both formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np  # noqa: E402
from matplotlib.figure import Figure

from dustscene.io.figure import save_figure

Arrays = Mapping[str, Any]


def save_png_pdf(fig: Figure, png: str | Path, pdf: str | Path) -> None:
    """Write `fig` atomically as PNG and PDF (no timestamps, so reruns are byte-stable), close."""
    save_figure(fig, png, dpi=150)
    save_figure(fig, pdf)
    plt.close(fig)


def _clean(ax: Any) -> None:  # noqa: ANN401 - a matplotlib Axes
    ax.set_xticks([])
    ax.set_yticks([])


def _note(ax: Any, text: str) -> None:  # noqa: ANN401 - a matplotlib Axes
    """A panel that says, in words, why it holds no data."""
    _clean(ax)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, wrap=True,
            transform=ax.transAxes, color="0.3")
    for s in ax.spines.values():
        s.set_linestyle(":")


def _asinh(img: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
    """asinh stretch scaled to the peak of `ref` (default `img`), soft at 1 % of it."""
    peak = float(np.nanmax(ref if ref is not None else img)) or 1.0
    soft = 0.01 * peak
    return np.arcsinh(img / soft) / np.arcsinh(peak / soft)


def _count(d: Arrays, prefix: str) -> int:
    n = 0
    while f"{prefix}_{n}" in d:
        n += 1
    return n


def _plot_dustmaps_observable(d: Arrays, n: int) -> Figure:
    """Figure 2 as the data see it: i band without and with dust, true E(B-V) through the PSF,
    inferred E(B-V) and inferred - smoothed truth, one row per example (face-on to edge-on)."""
    fig, axes = plt.subplots(n, 5, figsize=(12.5, 2.5 * n), squeeze=False,
                             constrained_layout=True)
    vmax = max(float(np.nanmax(d[f"ebv_smoothed_{k}"])) for k in range(n)) or 1.0
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.8")
    for k in range(n):
        smooth, inf = d[f"ebv_smoothed_{k}"], d[f"ebv_inferred_{k}"]
        resid = np.where(d[f"snr_mask_{k}"], inf - smooth, np.nan)
        finite = np.abs(resid[np.isfinite(resid)])  # 98th percentile: one hot pixel saturates
        rmax = float(np.percentile(finite, 98)) if finite.size and finite.max() > 0 else 0.1
        ax = axes[k]
        ref = d[f"dustfree_{k}"]
        ax[0].imshow(_asinh(ref), origin="lower", cmap="gray", vmin=0, vmax=1)
        ax[1].imshow(_asinh(d[f"image_{k}"], ref), origin="lower", cmap="gray", vmin=0, vmax=1)
        im2 = ax[2].imshow(smooth, origin="lower", cmap="magma", vmin=0, vmax=vmax)
        ax[3].imshow(inf, origin="lower", cmap="magma", vmin=0, vmax=vmax)
        im4 = ax[4].imshow(resid, origin="lower", cmap=cmap, vmin=-rmax, vmax=rmax)
        fig.colorbar(im2, ax=ax[2:4].tolist(), shrink=0.85, label="E(B-V) [mag]")
        fig.colorbar(im4, ax=ax[4], shrink=0.85, label=r"$\Delta$E(B-V)")
        ax[0].set_ylabel(f"{d['names'][k]}\ni = {float(d['inclination'][k]):.0f} deg", fontsize=8)
        for a in ax:
            _clean(a)
        if k == 0:
            for a, t in zip(ax, ("i band, no dust (truth)", "i band with dust (data)",
                                 "true E(B-V) through the PSF", "inferred E(B-V)",
                                 "inferred - true (S/N>5)"), strict=True):
                a.set_title(t, fontsize=9)
    return fig


def plot_dustmaps(d: Arrays) -> Figure:
    """Figure 2: per example mock (rows) the i-band data, true, inferred E(B-V), inferred - true.

    Outside the validation's pixel selection (i-band S/N <= 5) the residual is greyed out. Data
    with the dust-free truth and the PSF-smoothed true map get the five-column observable layout.
    """
    n = _count(d, "ebv_true")
    if n == 0:
        raise ValueError("figure 2 data holds no example (ebv_true_0 missing)")
    if all(f"ebv_smoothed_{k}" in d and f"dustfree_{k}" in d for k in range(n)):
        return _plot_dustmaps_observable(d, n)
    fig, axes = plt.subplots(n, 4, figsize=(10.0, 2.5 * n), squeeze=False,
                             constrained_layout=True)
    vmax = max(float(np.nanmax(d[f"ebv_true_{k}"])) for k in range(n)) or 1.0
    for k in range(n):
        true, inf = d[f"ebv_true_{k}"], d[f"ebv_inferred_{k}"]
        resid = np.where(d[f"snr_mask_{k}"], inf - true, np.nan)
        rmax = float(np.nanmax(np.abs(resid))) if np.isfinite(resid).any() else 0.1
        ax = axes[k]
        ax[0].imshow(_asinh(d[f"image_{k}"]), origin="lower", cmap="gray", vmin=0, vmax=1)
        im1 = ax[1].imshow(true, origin="lower", cmap="magma", vmin=0, vmax=vmax)
        ax[2].imshow(inf, origin="lower", cmap="magma", vmin=0, vmax=vmax)
        cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.8")
        im3 = ax[3].imshow(resid, origin="lower", cmap=cmap, vmin=-rmax, vmax=rmax)
        fig.colorbar(im1, ax=ax[1:3].tolist(), shrink=0.85, label="E(B-V) [mag]")
        fig.colorbar(im3, ax=ax[3], shrink=0.85, label=r"$\Delta$E(B-V)")
        ax[0].set_ylabel(f"{d['names'][k]}\ni = {float(d['inclination'][k]):.0f} deg", fontsize=8)
        for a in ax:
            _clean(a)
        if k == 0:
            for a, t in zip(ax, ("i-band data", "true E(B-V) eff.", "inferred E(B-V)",
                                 "inferred - true (S/N>5)"), strict=True):
                a.set_title(t, fontsize=9)
    return fig


def plot_observation(d: Arrays, band: str = "i") -> Figure:
    """Figure 3: a real cutout: data, convolved model, deconvolved model, residual/sigma, E(B-V).

    Images in one band (`band`, else the middle one) on one asinh stretch; the E(B-V) panel says
    "no dust component fitted" when the fit had none instead of drawing a map of zeros.
    """
    bands = [str(b) for b in d["bands"]]
    b = bands.index(band) if band in bands else len(bands) // 2
    fig, axes = plt.subplots(1, 5, figsize=(14.0, 3.2), constrained_layout=True)
    ref = d["data"][b]
    for ax, key, title in zip(axes[:3], ("data", "model", "deconvolved"),
                              ("data", "model (PSF-convolved)", "model (deconvolved)"),
                              strict=True):
        ax.imshow(_asinh(np.clip(d[key][b], 0, None), ref), origin="lower", cmap="gray",
                  vmin=0, vmax=1)
        ax.set_title(f"{bands[b]}: {title}", fontsize=9)
        _clean(ax)
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.7")
    im = axes[3].imshow(d["residual_sigma"][b], origin="lower", cmap=cmap, vmin=-5, vmax=5)
    axes[3].set_title(f"{bands[b]}: (data - model)/$\\sigma$", fontsize=9)
    _clean(axes[3])
    fig.colorbar(im, ax=axes[3], shrink=0.85)
    if bool(d["has_dust"]):
        im = axes[4].imshow(d["ebv"], origin="lower", cmap="magma", vmin=0)
        axes[4].set_title("inferred E(B-V)", fontsize=9)
        _clean(axes[4])
        fig.colorbar(im, ax=axes[4], shrink=0.85, label="mag")
    else:
        _note(axes[4], f"E(B-V): no dust component fitted\n(fit config dust: "
                       f"{d['dust_model']})")
    fig.suptitle(f"{d['name']}: chi2/dof {float(d['chi2_per_dof']):.3f}", fontsize=10)
    return fig


def plot_ebv_density(d: Arrays) -> Figure:
    """Figure 4: inferred vs true E(B-V) per pixel (2-D histogram, log counts), for the effective
    and the column truth, with the binned median bias and NMAD of inferred - true below."""
    from matplotlib.colors import LogNorm

    fig, axes = plt.subplots(2, 2, figsize=(9.0, 6.5), sharex="col", constrained_layout=True,
                             gridspec_kw={"height_ratios": [3, 1.3]})
    inf = np.asarray(d["inferred"], np.float64)
    for j, (key, name) in enumerate((("effective", "effective"), ("column", "column (screen)"))):
        true = np.asarray(d[key], np.float64)
        hi = float(max(np.percentile(true, 99.5), np.percentile(inf, 99.5), 1e-3))
        ax = axes[0, j]
        h = ax.hist2d(true, inf, bins=60, range=[[0, hi], [0, hi]], cmap="viridis",
                      norm=LogNorm(), cmin=1)
        ax.plot([0, hi], [0, hi], "r--", lw=1)
        ax.set(ylabel="inferred E(B-V) [mag]",
               title=f"true E(B-V) {name}: {inf.size} pixels, {len(np.unique(d['scene']))} mocks")
        fig.colorbar(h[3], ax=ax, label="pixels")
        bb = {k: np.asarray(d[f"{key}_bin_{k}"], np.float64) for k in ("centre", "bias", "nmad")}
        ax = axes[1, j]
        ax.axhline(0, color="k", lw=0.8)
        ax.fill_between(bb["centre"], bb["bias"] - bb["nmad"], bb["bias"] + bb["nmad"],
                        color="C1", alpha=0.3, label="NMAD")
        ax.plot(bb["centre"], bb["bias"], "o-", color="C1", ms=3, label="median bias")
        ax.set(xlabel=f"true E(B-V) {name} [mag]", ylabel="inferred - true", xlim=(0, hi))
        ax.legend(fontsize=7)
    return fig


def plot_hallucination(d: Arrays) -> Figure:
    """Figure 5: per mapped scene the i-band data and rho = F_P/(F_P+F_L) with the > 3 sigma
    model-error pixels outlined; last panel: masked-half test, fraction of on-source pixels
    with dF > 0 (prior-dominated) in the unmasked half, the masked half and its interior."""
    n = _count(d, "rho")
    if n == 0:
        raise ValueError("figure 5 data holds no scene (rho_0 missing)")
    fig, axes = plt.subplots(2, n + 1, figsize=(2.9 * (n + 1), 5.6), squeeze=False,
                             constrained_layout=True)
    im = None
    for k in range(n):
        axes[0, k].imshow(_asinh(np.clip(d[f"image_{k}"], 0, None)), origin="lower",
                          cmap="gray", vmin=0, vmax=1)
        axes[0, k].set_title(f"{d['names'][k]}: i-band data", fontsize=9)
        rho = np.where(d[f"on_source_{k}"], d[f"rho_{k}"], np.nan)
        cmap = plt.get_cmap("magma").with_extremes(bad="0.85")
        im = axes[1, k].imshow(rho, origin="lower", cmap=cmap, vmin=0, vmax=1)
        if np.any(d[f"large_error_{k}"]):
            axes[1, k].contour(d[f"large_error_{k}"].astype(float), levels=[0.5], colors="c",
                               linewidths=0.7)
        auc = float(d["auc"][k])
        axes[1, k].set_title(rf"$\rho$ (on source), AUC {auc:.2f}", fontsize=9)
        _clean(axes[0, k])
        _clean(axes[1, k])
    fig.colorbar(im, ax=axes[1, :n].tolist(), shrink=0.85, label=r"$\rho=F_P/(F_P+F_L)$")
    _note(axes[0, n], f"cyan: |model - truth| > 3$\\sigma$\n"
                      f"grey: off source\nt = {float(d['temperature']):g}")
    ax = axes[1, n]
    vals = np.asarray(d["mh_values"], np.float64)
    ax.bar(range(len(vals)), np.nan_to_num(vals), color=["C0", "C3", "C3"], alpha=0.8)
    ax.set_xticks(range(len(vals)), [str(s) for s in d["mh_labels"]], rotation=20, fontsize=7)
    ax.set(ylim=(0, 1), ylabel="fraction with dF > 0", title="masked-half test")
    ax.title.set_fontsize(9)
    return fig


def plot_sed_corner(d: Arrays) -> Figure:
    """Figure 6: corner plot of flow (C0) and NUTS (C1) posterior samples with the truth (black)
    for the first held-out calibration galaxy; a labelled empty panel if NUTS was not run."""
    names = [str(s) for s in d["theta_names"]]
    if "corner_flow" not in d:
        fig, ax = plt.subplots(figsize=(5, 3))
        _note(ax, "no NUTS reference in this run (sedflow.n_nuts_galaxies = 0)")
        return fig
    from ..sedflow.parameters import THETA_LABELS

    flow, nuts, truth = (np.asarray(d[k], np.float64)
                         for k in ("corner_flow", "corner_nuts", "corner_truth"))
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(1.25 * n, 1.25 * n))
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            _clean(ax)
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                both = np.concatenate([flow[:, i], nuts[:, i]])
                rng = (float(both.min()), float(both.max()) + 1e-12)
                ax.hist(flow[:, i], 30, range=rng, density=True, histtype="step", color="C0")
                ax.hist(nuts[:, i], 30, range=rng, density=True, histtype="step", color="C1")
                ax.axvline(truth[i], color="k", lw=0.8)
            else:
                ax.plot(flow[:, j], flow[:, i], ".", color="C0", alpha=0.25, ms=1)
                ax.plot(nuts[:, j], nuts[:, i], ".", color="C1", alpha=0.4, ms=1)
                ax.plot(truth[j], truth[i], "k+", ms=6)
            if i == n - 1:
                ax.set_xlabel(THETA_LABELS.get(names[j], names[j]), fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(THETA_LABELS.get(names[i], names[i]), fontsize=7)
    fig.suptitle(f"held-out galaxy {int(d['corner_index'])}, z = "
                 f"{float(d['corner_redshift']):.3f}: flow (blue, {len(flow)}) vs NUTS "
                 f"(orange, {len(nuts)}) vs truth (black)", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.06, top=0.95, wspace=0.05, hspace=0.05)
    return fig


def plot_calibration(d: Arrays) -> Figure:
    """Figure 7: SBC rank histograms per parameter with the 99 % band of a uniform histogram
    (Talts et al. 2018), and HPD expected coverage and TARP ECP (Lemos et al. 2023)."""
    from scipy.stats import binom

    from ..sedflow.parameters import THETA_LABELS

    ranks = np.asarray(d["ranks"], np.float64)
    names = [str(s) for s in d["theta_names"]]
    n, dim = ranks.shape
    n_post, bins = int(d["n_posterior"]), 20
    ncol = (dim + 1) // 2 + 1
    fig = plt.figure(figsize=(2.0 * ncol + 1.5, 4.4), constrained_layout=True)
    gs = fig.add_gridspec(2, ncol, width_ratios=[1] * (ncol - 1) + [2])
    lo, hi = binom.ppf([0.005, 0.995], n, 1 / bins)
    for j in range(dim):
        ax = fig.add_subplot(gs[j % 2, j // 2])
        ax.axhspan(lo, hi, color="0.85")
        ax.hist(ranks[:, j], bins=bins, range=(0, n_post), color="C0")
        ax.set_title(f"{THETA_LABELS.get(names[j], names[j])} p={float(d['ks_pvals'][j]):.2f}",
                     fontsize=8)
        _clean(ax)
    ax = fig.add_subplot(gs[:, -1])
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.plot(d["levels"], d["coverage"], label="HPD expected coverage")
    ax.plot(d["tarp_alpha"], d["tarp_ecp"], label=f"TARP ECP (ATC {float(d['tarp_atc']):.3f})")
    ax.set(xlabel="credibility level", ylabel="empirical coverage", xlim=(0, 1), ylim=(0, 1),
           title=f"{n} held-out simulations")
    ax.legend(fontsize=7)
    return fig


def _bars(ax: Any, labels: list[str], vals: list[float], colours: list[str],  # noqa: ANN401
           xlabel: str, title: str) -> None:
    """Horizontal bars on a log axis, each labelled with its value in seconds."""
    from matplotlib.ticker import NullFormatter

    ax.barh(range(len(vals)), vals, color=colours)
    ax.set_yticks(range(len(vals)), labels, fontsize=7)
    ax.set(xscale="log", xlabel=xlabel, title=title, xlim=(min(vals) / 3, max(vals) * 3))
    ax.xaxis.set_minor_formatter(NullFormatter())
    for k, v in enumerate(vals):
        ax.text(v * 1.05, k, f"{v:.3g} s", va="center", fontsize=7)


def plot_speed(s: Mapping[str, Any]) -> Figure:
    """Figure 8: left, seconds per scene fit (this run's fits; dustscene vs scarlet2 from
    bench/ when its JSON exists); right, seconds per galaxy posterior, flow (10,000 samples) vs
    NUTS (in-run calibration; bench when present). A missing bench says "bench not run"."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 3.8), constrained_layout=True)
    fits = s["fit_seconds"]
    labels, vals, colours = list(fits), [float(v) for v in fits.values()], ["C0"] * len(fits)
    bf = s.get("bench_fit")
    if bf:
        labels.append("bench: dustscene")
        vals.append(bf["dustscene_seconds_per_scene"])
        colours.append("C2")
        if bf.get("scarlet2_seconds_per_scene") is not None:
            labels.append("bench: scarlet2")
            vals.append(bf["scarlet2_seconds_per_scene"])
            colours.append("C3")
    _bars(a1, labels, vals, colours, "seconds per scene fit", "scene fits")
    if not bf or bf.get("scarlet2_seconds_per_scene") is None:
        a1.text(0.98, 0.02, f"scarlet2: bench not run\n({s['bench_dir']}/fit_vs_scarlet2.json)",
                transform=a1.transAxes, ha="right", va="bottom", fontsize=7, color="C3")
    rows = [("in-run", s["in_run"])]
    if s.get("bench_sedflow"):
        rows.append(("bench", s["bench_sedflow"]))
    labels, vals, colours = [], [], []
    for src, r in rows:
        for key, name, c in (("flow_seconds_per_galaxy_10k", "flow (10k samples)", "C0"),
                             ("nuts_seconds_per_galaxy", "NUTS", "C1")):
            if r.get(key) is not None:
                labels.append(f"{src}: {name}")
                vals.append(float(r[key]))
                colours.append(c)
    if vals:
        _bars(a2, labels, vals, colours, "seconds per galaxy", "SED posteriors")
    else:
        _note(a2, "no SED posterior timing in this run")
    if not s.get("bench_sedflow"):
        a2.text(0.98, 0.02, f"bench not run\n({s['bench_dir']}/sedflow.json)",
                transform=a2.transAxes, ha="right", va="bottom", fontsize=7, color="C3")
    return fig

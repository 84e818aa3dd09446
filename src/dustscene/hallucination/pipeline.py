"""Workflow entry points: hallucination maps of one mock/fit pair, the masked-half validation,
their HDF5 product and figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import jax
import jax.numpy as jnp
import numpy as np

from dustscene.io.atomic import atomic_path
from dustscene.io.figure import save_figure
from dustscene.mocks import MockScene
from dustscene.priors.map_fit import render
from dustscene.priors.prior import ScorePrior
from dustscene.sed.dust import MAG_PER_TAU

from .analysis import (
    FitSettings,
    fit_and_score,
    half_light_radius_pixels,
    large_error_auc,
    large_error_pixels,
    masked_half,
    observation,
)


def tau_from_ebv(ebv: np.ndarray, k_bands: np.ndarray) -> jnp.ndarray:
    """tau_b = k_b E(B-V) / 1.0857 (the screen the fit inferred)."""
    return jnp.asarray(np.asarray(k_bands)[:, None, None] * np.asarray(ebv)[None] / MAG_PER_TAU)


def scene_hallucination(
    mock: MockScene,
    ebv: np.ndarray | None,
    prior: ScorePrior,
    settings: FitSettings,
    *,
    seed: int,
    on_source_frac: float = 0.02,
) -> dict[str, Any]:
    """Prior MAP fit of the mock's observation behind the fitted dust screen, F_L / F_P maps,
    large-error pixels against the noiseless truth and the AUC of rho for them."""
    obs = observation(mock.observed, mock.variance, mock.psf, mock.attrs["bands"])
    tau = None if ebv is None else tau_from_ebv(ebv, mock.attrs["k_bands"])
    src, maps, hist = fit_and_score(obs, prior, settings, key=jax.random.key(seed), tau=tau)
    large = large_error_pixels(obs, src, mock.attenuated, mock.variance, tau=tau)
    img = mock.dustfree.sum(0)
    on = img > on_source_frac * img.max()
    return {
        "f_l": np.asarray(maps.f_l),
        "f_p": np.asarray(maps.f_p),
        "delta_f": np.asarray(maps.delta),
        "rho": np.asarray(maps.rho),
        "morphology": np.asarray(src.morphology),
        "spectrum": np.asarray(src.spectrum),
        "model": np.asarray(render(obs, src, tau)),
        "large_error": large,
        "on_source": on,
        "loss_history": hist,
        "attrs": {
            "temperature": float(prior.temperature),
            "n_probes": int(settings.n_probes),
            "probe_distribution": "rademacher",
            "auc_large_error": large_error_auc(np.asarray(maps.rho), large, on),
            "prior_dominated_flux_fraction": float(
                maps.prior_dominated_flux_fraction(jnp.asarray(np.where(on, src.morphology, 0)))
            ),
            "confidence": float(maps.confidence(src.morphology)),
            "dust_from_fit": ebv is not None,
        },
    }


def write_hallucination(path: str | Path, result: dict[str, Any]) -> None:
    """results/hallucination/{scene}.h5: maps (y, x) float32, masks uint8, attrs as documented."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".h5.tmp")
    with h5py.File(tmp, "w") as f:
        for k in ("f_l", "f_p", "delta_f", "rho", "morphology", "spectrum", "model"):
            f.create_dataset(k, data=np.asarray(result[k], np.float32))
        for k in ("large_error", "on_source"):
            f.create_dataset(k, data=np.asarray(result[k], np.uint8))
        f.create_dataset("loss_history", data=np.asarray(result["loss_history"], np.float64))
        for k, v in result["attrs"].items():
            f.attrs[k] = v
    tmp.replace(path)


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
        (result["large_error"].astype(float), "|model - truth| > 3$\\sigma$", "Reds", 0, 1),
    ]
    for ax, (img, name, cmap, lo, hi) in zip(axes, panels, strict=True):
        im = ax.imshow(img, origin="lower", cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title)
    save_figure(fig, path, dpi=110, close=True)


def most_resolved(mocks: list[MockScene]) -> int:
    """Index of the mock whose band-summed dust-free light has the largest half-light radius.

    The masked-half test loses a fixed strip (~0.5 PSF FWHM) next to the mask edge to the
    data, so its all-masked fraction measures the prior only on a well-resolved galaxy.
    """
    r50 = [half_light_radius_pixels(np.sum(m.dustfree, axis=0)) for m in mocks]
    return int(np.argmax(r50))


def validation_summary(
    mock: MockScene,
    prior: ScorePrior,
    settings: FitSettings,
    aucs: list[float],
    *,
    seed: int,
    peak_snr: float = 200.0,
) -> dict[str, Any]:
    """The `hallucination` block of metrics.json: t, masked-half fractions, median AUC."""
    tau = None  # the masked-half test runs on the dust-free truth: the data alone set F_L
    mh = masked_half(
        mock.dustfree,
        mock.variance,
        mock.psf,
        mock.attrs["bands"],
        prior,
        settings,
        key=jax.random.key(seed),
        peak_snr=peak_snr,
        tau=tau,
    )
    finite = [a for a in aucs if np.isfinite(a)]
    return {
        "temperature": float(prior.temperature),
        "masked_half": mh,
        # median over the mock scenes' own fits (errors there are mostly misspecification in
        # data-dominated pixels), and in the masked-half test (errors made by the prior)
        "auc_large_error": float(np.median(finite)) if finite else float("nan"),
        "auc_per_scene": [float(a) for a in aucs],
        "auc_large_error_masked_half": mh["auc_large_error"],
    }


def write_json(path: str | Path, obj: dict[str, Any]) -> None:
    """Atomic JSON (NaN allowed for an undefined AUC)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(obj, indent=2, sort_keys=True, allow_nan=True))

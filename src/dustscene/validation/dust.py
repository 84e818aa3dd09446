"""Per-scene validation of a fit against its mock truth: dust map, dust-free fluxes, morphology.

The fitted sky (`model/sky`, per band, added after the PSF) is removed from every model total
and per-pixel ratio; fit files written before it was recorded are read with a sky of zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dustscene.io.atomic import json_safe
from dustscene.io.fitfile import read_fit
from dustscene.io.mockfile import read_mock
from dustscene.io.observations import band_names

from . import observable as obs
from .failures import CHI2_FAILURE, likely_cause
from .metrics import cosine_similarity, pixel_stats

SNR_MIN = obs.SNR_MIN  # dust statistics over pixels with i-band S/N > 5


@dataclass(frozen=True)
class ScenePixels:
    """The selected pixels of one scene: inferred and true E(B-V) (effective and column)."""

    ebv_inferred: NDArray[np.float64]
    ebv_effective: NDArray[np.float64]
    ebv_column: NDArray[np.float64]
    surface_brightness: NDArray[np.float64]  # i-band counts per pixel (dust-free truth)


@dataclass(frozen=True)
class DustScene:
    """One mock's verdict: dust-map agreement, fluxes, colours and morphology, with its context."""

    scene: str
    inclination_deg: float
    chi2_per_dof: float
    n_pixels: int
    ebv_effective: dict
    ebv_column: dict
    a_band_true: dict
    a_band_inferred: dict
    dustfree_flux_frac_err: dict
    flux_frac_err: dict
    dustfree_colour_err: dict
    morphology_cosine: float
    pixels: ScenePixels | None = field(default=None, repr=False, compare=False)
    inclination_bin: str = ""
    a_band_observable: dict = field(default_factory=dict)
    ebv_resolved: dict = field(default_factory=dict)
    a_band_integrated: dict = field(default_factory=dict)
    ceiling: dict = field(default_factory=dict)
    failure: dict | None = None
    observable: obs.ObservablePixels | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The JSON record: every metric, without the per-pixel arrays."""
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("pixels", "observable")}
        return json_safe(out)


MOCK_KEYS = ["observed/variance", "truth/attenuated", "truth/dustfree",
             "truth/ebv_effective", "truth/ebv_column"]
FIT_KEYS = ["model/observed", "model/dustfree_observed", "dust/ebv"]
MOCK_OPTIONAL = ("truth/dustfree_intrinsic", "observed/psf", "truth/components/arms/dustfree")
FIT_OPTIONAL = ("model/sky", "residuals", "observed/weights", "dust/ebv_sigma")


def _read_mock(path: Path) -> dict:
    """The mock's datasets the validation uses, as float64, plus its root attrs (`attrs`)."""
    parts = read_mock(path, MOCK_KEYS, optional=MOCK_OPTIONAL, attrs=("bands", "inclination_deg"))
    return {**{k: parts.array(k) for k in parts.arrays}, "attrs": parts.attrs}


def _read_fit(path: Path) -> dict:
    """The fit's datasets the validation uses, as float64, plus its root attrs (`attrs`)."""
    fit = read_fit(path, FIT_KEYS, optional=FIT_OPTIONAL)
    return {**{k: np.asarray(fit[k], np.float64) for k in [*FIT_KEYS, *FIT_OPTIONAL] if k in fit},
            "attrs": fit["attrs"]}


def _sky_free(fit: dict) -> tuple[NDArray, NDArray]:
    """Model images with and without dust, the fitted sky removed (sky 0 in older fit files)."""
    sky = fit.get("model/sky", np.zeros(fit["model/observed"].shape[0]))[:, None, None]
    return fit["model/observed"] - sky, fit["model/dustfree_observed"] - sky


def _observable(mock: dict, fit: dict, bands: list[str], i: int
                ) -> tuple[obs.ObservablePixels, dict, dict]:
    """Selected pixels (post-PSF A_b, smoothed E(B-V), ceilings), integrated A_b and its two
    limits: the screen ceiling and the colour limit (`obs.colour_screen_attenuation`).

    The ceiling is the truth's E(B-V) as a foreground screen of the mock's own law over the
    pre-PSF dust-free image, through each band's PSF; it needs `truth/dustfree_intrinsic` and
    the `k_bands` attribute and the PSFs (older mocks lack the first two: then no ceiling and
    no resolved E(B-V)).
    """
    var_i = mock["observed/variance"][i]
    true_att, true_free = mock["truth/attenuated"], mock["truth/dustfree"]
    mod_att, mod_free = _sky_free(fit)
    a_true = obs.attenuation_map(true_att, true_free)
    sel_a = true_att[i] / np.sqrt(var_i) > obs.SNR_MIN
    int_true = obs.integrated_attenuation(true_att, true_free)
    integrated = obs.integrated_record(obs.integrated_attenuation(mod_att, mod_free), int_true,
                                       bands)
    intrinsic, k = mock.get("truth/dustfree_intrinsic"), mock["attrs"].get("k_bands")
    psf = mock.get("observed/psf")
    if intrinsic is None or k is None or psf is None:
        a_m, a_t = obs.band_pixels(obs.attenuation_map(mod_att, mod_free), a_true, sel_a,
                                   bands)
        return obs.ObservablePixels(a_model=a_m, a_true=a_t), integrated, {}
    ebv = mock["truth/ebv_effective"]
    ceil_att, ceil_free = obs.screen_images(intrinsic, ebv, k, psf)
    a_m, a_t, a_c, a_col = obs.band_pixels(obs.attenuation_map(mod_att, mod_free), a_true,
                                           sel_a, bands, obs.attenuation_map(ceil_att, ceil_free),
                                           obs.colour_screen_attenuation(a_true, k))
    ebv_smooth = obs.smooth_map(ebv, psf[i])
    ebv_ceil = obs.screen_ebv(a_true, k)
    sel_e = (intrinsic[i] / np.sqrt(var_i) > obs.SNR_MIN) & np.isfinite(ebv_ceil)
    sel_e &= np.isfinite(fit["dust/ebv"])
    arms = mock.get("truth/components/arms/dustfree")
    share = None if arms is None else arms[i][sel_e] / np.maximum(true_free[i][sel_e], 1e-30)
    sigma = fit.get("dust/ebv_sigma")
    px = obs.ObservablePixels(a_m, a_t, a_c, a_col, fit["dust/ebv"][sel_e], ebv_smooth[sel_e],
                              ebv_ceil[sel_e], share,
                              None if sigma is None else sigma[sel_e])
    ceiling = obs.integrated_record(obs.integrated_attenuation(ceil_att, ceil_free), int_true,
                                    bands)
    colours = obs.integrated_record(obs.colour_screen_attenuation(int_true, k), int_true, bands)
    return px, integrated, {"screen": ceiling, "colours": colours}


def _failure(scene: str, chi2: float, fit: dict) -> dict | None:
    """The failure record of a fit with chi2/dof > CHI2_FAILURE, with its likely cause."""
    if not chi2 > CHI2_FAILURE:
        return None
    if "residuals" not in fit or "observed/weights" not in fit:
        return {"scene": scene, "chi2_per_dof": chi2, "likely_cause": "unknown (no residuals)"}
    return {"scene": scene, "chi2_per_dof": chi2,
            **likely_cause(fit["residuals"], fit["observed/weights"])}


def _ceiling(px: obs.ObservablePixels, integrated: dict, bands: list[str]) -> dict:
    """The screen ceiling scored like the model: per-pixel A_b, resolved E(B-V), integrated A_b;
    and the colour limit, the per-pixel and integrated A_b a screen infers from the truth's exact
    colours."""
    if not integrated:
        return {}
    a_obs, ebv = obs.pool_observable([px], bands, ceiling=True)
    a_col, _ = obs.pool_observable([px], bands, colour=True)
    return {"a_band_observable": a_obs, "ebv_resolved": ebv,
            "a_band_integrated": integrated["screen"],
            "a_band_observable_colours": a_col,
            "a_band_integrated_colours": integrated["colours"]}


def validate_scene(mock_path: str | Path, fit_path: str | Path) -> DustScene:
    """Compare the fit at `fit_path` with the truth of the mock at `mock_path`."""
    mock = _read_mock(Path(mock_path))
    fit = _read_fit(Path(fit_path))
    bands = list(band_names(mock["attrs"]["bands"]))
    if fit["model/observed"].shape != mock["truth/attenuated"].shape:
        raise ValueError(
            f"{fit_path}: model shape {fit['model/observed'].shape} does not match the mock "
            f"{mock_path} {mock['truth/attenuated'].shape}"
        )
    i = bands.index("i") if "i" in bands else len(bands) // 2
    snr = mock["truth/attenuated"][i] / np.sqrt(mock["observed/variance"][i])
    sel = snr > SNR_MIN
    if not sel.any():
        raise ValueError(f"{mock_path}: no pixel with i-band S/N > {SNR_MIN}")
    ebv = fit["dust/ebv"]
    eff, col = mock["truth/ebv_effective"], mock["truth/ebv_column"]

    def total(a: NDArray) -> NDArray:
        return a.sum(axis=(1, 2))

    model_att, model_free = _sky_free(fit)
    true_att, true_free = total(mock["truth/attenuated"]), total(mock["truth/dustfree"])
    mod_att, mod_free = total(model_att), total(model_free)
    a_true = -2.5 * np.log10(true_att / true_free)
    a_inf = -2.5 * np.log10(np.clip(mod_att, 1e-30, None) / np.clip(mod_free, 1e-30, None))
    free_err = mod_free / true_free - 1.0
    mag_err = -2.5 * np.log10(np.clip(mod_free, 1e-30, None) / true_free)
    colours = {f"{a}-{b}": float(mag_err[k] - mag_err[k + 1])
               for k, (a, b) in enumerate(zip(bands[:-1], bands[1:], strict=True))}
    px, integrated, ceiling_int = _observable(mock, fit, bands, i)
    a_obs, ebv_resolved = obs.pool_observable([px], bands)
    scene = Path(mock_path).stem
    chi2 = float(fit["attrs"].get("chi2_per_dof", np.nan))
    incl = float(mock["attrs"]["inclination_deg"])
    return DustScene(
        scene=scene,
        inclination_deg=incl,
        chi2_per_dof=chi2,
        n_pixels=int(sel.sum()),
        ebv_effective=pixel_stats(ebv[sel], eff[sel]).as_dict(),
        ebv_column=pixel_stats(ebv[sel], col[sel]).as_dict(),
        a_band_true=dict(zip(bands, a_true.tolist(), strict=True)),
        a_band_inferred=dict(zip(bands, a_inf.tolist(), strict=True)),
        dustfree_flux_frac_err=dict(zip(bands, free_err.tolist(), strict=True)),
        flux_frac_err=dict(zip(bands, (mod_att / true_att - 1.0).tolist(), strict=True)),
        dustfree_colour_err=colours,
        morphology_cosine=cosine_similarity(model_free[i], mock["truth/dustfree"][i]),
        pixels=ScenePixels(ebv[sel], eff[sel], col[sel], mock["truth/dustfree"][i][sel]),
        inclination_bin=obs.inclination_bin(incl),
        a_band_observable=a_obs,
        ebv_resolved=ebv_resolved,
        a_band_integrated=integrated,
        ceiling=_ceiling(px, ceiling_int, bands),
        failure=_failure(scene, chi2, fit),
        observable=px,
    )

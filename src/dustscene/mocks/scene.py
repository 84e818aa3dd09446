"""One mock scene end to end: draw, render with and without dust, PSF, noise, truth maps."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

import dustscene
from dustscene.mocks.attenuation import ebv_effective, ebv_from_tau_v, effective_attenuation
from dustscene.mocks.noise import add_noise, variance_map
from dustscene.mocks.psf import convolve_same, moffat_psf
from dustscene.mocks.sed_link import ComponentFluxesFn, band_k, toy_component_fluxes
from dustscene.mocks.suite import SceneParams, draw_scene_params, noise_rng, validate_suite
from dustscene.mocks.transfer import render_raw, scale_to_fluxes

F64 = NDArray[np.float64]
KFn = Callable[[str, dict[str, Any], float], tuple[F64, float]]


@dataclass(frozen=True)
class ComponentTruth:
    """One component's noiseless images (band, y, x; PSF-convolved, counts) and its SED."""

    dustfree: F64
    attenuated: F64
    sed_flux: F64  # (band,) dust-free flux of the rendered field, counts
    sed_params: dict[str, Any]


@dataclass(frozen=True)
class MockScene:
    """A mock observation and its truth, arrays in counts at the zero point (see io.py)."""

    observed: F64  # (band, y, x)
    variance: F64  # (band, y, x)
    psf: F64  # (band, py, px)
    attenuated: F64  # (band, y, x) noiseless, PSF-convolved
    dustfree: F64  # (band, y, x) noiseless, PSF-convolved
    ebv_effective: F64  # (y, x) before the PSF
    ebv_column: F64  # (y, x)
    tau_v_column: F64  # (y, x)
    a_eff: F64  # (band, y, x) before the PSF
    components: dict[str, ComponentTruth]
    attrs: dict[str, Any] = field(default_factory=dict)
    geometry: dict[str, Any] = field(default_factory=dict)
    dustfree_intrinsic: F64 | None = None  # (band, y, x) noiseless, dust-free, before the PSF


def _crop(a: F64, pad: int) -> F64:
    return a[..., pad : a.shape[-2] - pad, pad : a.shape[-1] - pad] if pad else a


def render_scene(
    suite: dict[str, Any],
    params: SceneParams,
    component_fluxes: dict[str, F64],
    k_bands: F64,
    k_v: float,
    config_json: str = "{}",
    sed_model: str = "sed",
) -> MockScene:
    """Pure core: render a drawn scene given component fluxes (band,) and k_b, k_V of the law."""
    k_bands = np.asarray(k_bands, dtype=np.float64)
    pad = int(suite["render"]["pad_pixels"])
    n_field = int(suite["stamp_size"]) + 2 * pad
    raw = render_raw(
        params.geometry,
        np.radians(params.inclination_deg),
        np.radians(params.position_angle_deg),
        n_field,
        k_bands / k_v,
        n_nodes=int(suite["render"]["n_nodes"]),
    )
    free, att = scale_to_fluxes(raw, component_fluxes)
    obs = suite["observing"]
    scale = float(suite["pixel_scale_arcsec"])
    psf = np.stack(
        [
            moffat_psf(f, scale, int(obs["psf_size"]), float(obs["psf_beta"]))
            for f in params.psf_fwhm_arcsec
        ]
    )
    names = tuple(raw.dustfree)  # bulge, disk, clumps (, arms)
    conv = {}
    for name in names:
        both = np.stack([free[name], att[name]])  # (2, band, y, x): one FFT pass
        conv[name] = _crop(convolve_same(both, psf[None]), pad)
    total_free = sum(free[c] for c in names)
    total_att = sum(att[c] for c in names)
    a_eff = _crop(effective_attenuation(total_att, total_free), pad)
    dustfree = sum(conv[c][0] for c in names)
    attenuated = sum(conv[c][1] for c in names)
    variance = variance_map(attenuated, np.asarray(obs["sky_sigma"], float), obs["gain"])
    observed = add_noise(attenuated, variance, noise_rng(params))
    tau_col = _crop(raw.tau_v_column, pad)
    components = {
        c: ComponentTruth(
            dustfree=conv[c][0],
            attenuated=conv[c][1],
            sed_flux=np.asarray(component_fluxes[c], dtype=np.float64),
            sed_params=params.sed[c],
        )
        for c in names
    }
    attrs = {
        "bands": list(suite["bands"]),
        "pixel_scale_arcsec": scale,
        "zeropoint": float(suite["zeropoint"]),
        "attenuation_law": str(suite["dust"]["attenuation_law"]),
        "inclination_deg": params.inclination_deg,
        "seed": params.seed,
        "config": config_json,
        "dustscene_version": dustscene.__version__,
        "scene_index": params.scene_index,
        "galaxy_index": params.galaxy_index,
        "inclination_index": params.inclination_index,
        "position_angle_deg": params.position_angle_deg,
        "redshift": params.redshift,
        "kpc_per_pixel": params.kpc_per_pixel,
        "psf_fwhm_arcsec": list(params.psf_fwhm_arcsec),
        "sky_sigma": [float(v) for v in obs["sky_sigma"]],
        "k_bands": [float(v) for v in k_bands],
        "k_v": float(k_v),
        "center_xy": [0.5 * (int(suite["stamp_size"]) - 1)] * 2,
        "sed_model": sed_model,
        "ebv_effective_definition": "sum_b k_b a_eff_b / sum_b k_b^2 (unweighted LSQ screen)",
    }
    g = params.geometry
    geometry = {
        **{f"{k}_kpc" if k != "bulge_to_total" else k: v for k, v in params.structure_kpc.items()},
        "bulge_n": g.bulge_n,
        "bulge_q": g.bulge_q,
        "tau_v0": g.tau_v0,
        "pitch_deg": float(np.degrees(g.pitch)),
        "lane_amplitude": g.lane_amplitude,
        "clumpiness_sigma": g.clumpiness_sigma,
        "n_clumps": int(g.clump_weight.shape[0]),
        "clump_xyz_pix": g.clump_xyz,
        "clump_sigma_pix": g.clump_sigma,
        "clump_weight": g.clump_weight,
        "clump_tau_bc": g.clump_tau_bc,
        **({"arm_width": g.arm_width} if g.arm_width > 0 else {}),
    }
    return MockScene(
        observed=observed,
        variance=variance,
        psf=psf,
        attenuated=attenuated,
        dustfree=dustfree,
        ebv_effective=ebv_effective(a_eff, k_bands),
        ebv_column=ebv_from_tau_v(tau_col, k_v),
        tau_v_column=tau_col,
        a_eff=a_eff,
        dustfree_intrinsic=_crop(total_free, pad),
        components=components,
        attrs=attrs,
        geometry=geometry,
    )


def make_scene(
    suite: dict[str, Any],
    scene_index: int,
    seed: int,
    component_fluxes_fn: ComponentFluxesFn | None = None,
    k_fn: KFn | None = None,
    config_json: str | None = None,
) -> MockScene:
    """Draw and render scene `scene_index` of `suite` under root `seed`.

    component_fluxes_fn: (sed_params_by_component, suite) -> {component: (band,) counts};
    None uses `toy_component_fluxes` (recorded in attr `sed_model`); the workflow passes
    `sed_link.ssp_component_fluxes(ssp_path)`. k_fn: (law, suite, redshift) -> (k_bands, k_V);
    None uses `sed_link.band_k` (dustscene.sed).
    """
    suite = validate_suite(suite)
    params = draw_scene_params(suite, scene_index, seed)
    fluxes_fn = component_fluxes_fn or toy_component_fluxes
    k_bands, k_v = (k_fn or band_k)(
        str(suite["dust"]["attenuation_law"]), suite, params.redshift
    )
    fluxes = fluxes_fn(params.sed, suite)
    cfg = config_json if config_json is not None else json.dumps(suite, sort_keys=True)
    sed_model = "toy_powerlaw" if component_fluxes_fn is None else "sed"
    return render_scene(suite, params, fluxes, k_bands, k_v, cfg, sed_model)

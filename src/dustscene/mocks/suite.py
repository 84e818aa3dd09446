"""Mock-suite definition (a plain dict from YAML) and the seeded draw of one scene's parameters.

The default suite is simulations/nihao_like.yaml (`default_suite()` reads it; the workflow reads
the same file); `validate_suite` is dustscene.config's, against workflow/schemas/suite.schema.yaml.
Suite keys (all required; ranges are [lo, hi], uniform):
  survey: str ("hsc"); bands: list[str]; stamp_size: int (pixels, even or odd);
  pixel_scale_arcsec: float; zeropoint: float (AB magnitude of one count);
  redshift_range: [lo, hi]; inclinations_per_galaxy: int >= 1;
  inclination_deg_range: [lo, hi] within [0, 90] (cos i stratified uniform: equal axis-ratio
    strata, one random draw per stratum, index 0 the most face-on);
  render: {n_nodes: int (depth samples per ray), pad_pixels: int (margin rendered around the
    stamp so the PSF sees light from outside it)};
  stellar: {h_s_kpc, z_s_over_h_s, bulge_n, bulge_re_over_h_s, bulge_q, bulge_to_total
    (stellar-mass fraction, lo > 0), n_clumps (ints, inclusive), clump_sigma_kpc,
    clump_radius_over_h_s, pitch_deg};
  dust: {tau_v0_range, h_d_over_h_s, z_d_over_z_s, lanes: bool, lane_amplitude,
    lane_width_rad: float, lane_offset_rad: float, clumpiness_sigma, clumpiness_scale_kpc,
    clumpiness_modes: int, tau_bc_range, attenuation_law: str};
  observing: {seeing_fwhm_arcsec (drawn per band and scene), psf_beta: float, psf_size: int
    (odd), sky_sigma: list[float] per band (counts), gain: float | null (null: sky only)};
  sed: {log_mass (total stellar mass formed), clump_mass_fraction (of the non-bulge mass),
    bulge|disk|clumps: {sfh_alpha: 4 Dirichlet concentrations over sed.BASIS_NAMES
    (early, declining, constant, rising), f_burst, t_burst_gyr, log_z}}.
Optional young stellar arms (a suite where not every colour change is dust): stellar.arm_width_rad
  (float > 0), sed.arm_mass_fraction (of the disk's non-clump mass) and sed.arms (as bulge);
  all three or none. Their draws use a stream of their own, so adding them changes no other
  draw of the suite.
Scene index -> galaxy index = index // inclinations_per_galaxy, inclination index = the rest.
Galaxy structure, SEDs, position angle and all inclinations come from
default_rng(SeedSequence([seed, galaxy_index])); seeing and noise of one inclination from
SeedSequence([seed, galaxy_index], spawn_key=(inclination_index,)).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.cosmology import FlatLambdaCDM

from dustscene.config import DEFAULT_SUITE_PATH, load_suite_file, repo_file
from dustscene.config import validate_suite as validate_suite
from dustscene.mocks.geometry import GalaxyGeometry

COSMOLOGY = FlatLambdaCDM(H0=70.0, Om0=0.3)
ARCSEC_PER_RAD = 206264.80624709636
COMPONENT_NAMES = ("bulge", "disk", "clumps")



@functools.lru_cache(maxsize=1)
def _default_suite() -> dict[str, Any]:
    """The validated default suite, read once."""
    return load_suite_file(repo_file(DEFAULT_SUITE_PATH))


def default_suite() -> dict[str, Any]:
    """A fresh copy of the default mock suite, simulations/nihao_like.yaml (its one source)."""
    return copy.deepcopy(_default_suite())


@dataclass(frozen=True)
class SceneParams:
    """Everything random about one scene: geometry (pixels), viewing, PSF, SED parameters."""

    scene_index: int
    galaxy_index: int
    inclination_index: int
    seed: int
    redshift: float
    kpc_per_pixel: float
    inclination_deg: float
    position_angle_deg: float
    geometry: GalaxyGeometry
    psf_fwhm_arcsec: tuple[float, ...]  # per band
    sed: dict[str, dict[str, Any]]  # component -> SEDParams fields (floats, sfh_weights list)
    structure_kpc: dict[str, float]  # the physical draws, for the record


def _range(v: Any, name: str) -> tuple[float, float]:
    """A [lo, hi] pair as floats (validate_suite has checked it)."""
    if not (isinstance(v, list | tuple) and len(v) == 2 and float(v[0]) <= float(v[1])):
        raise ValueError(f"suite key {name!r} must be [lo, hi] with lo <= hi, got {v!r}")
    return float(v[0]), float(v[1])


def has_arms(suite: dict[str, Any]) -> bool:
    """True when the suite draws young stellar arms with their own SED."""
    return "arms" in suite["sed"]


def kpc_per_pixel(redshift: float, pixel_scale_arcsec: float) -> float:
    """Proper kpc per pixel from the angular-diameter distance (FlatLambdaCDM H0=70, Om0=0.3)."""
    d_a_kpc = float(COSMOLOGY.angular_diameter_distance(redshift).to_value("kpc"))
    return d_a_kpc * pixel_scale_arcsec / ARCSEC_PER_RAD


def stratified_inclinations(lo_deg: float, hi_deg: float, u: np.ndarray) -> np.ndarray:
    """Inclinations (deg) with cos i uniform, one per equal-width stratum of cos i (0: face-on)."""
    c_hi, c_lo = np.cos(np.radians(lo_deg)), np.cos(np.radians(hi_deg))
    n = u.shape[0]
    cos_i = c_hi - (c_hi - c_lo) * (np.arange(n) + u) / n
    return np.degrees(np.arccos(np.clip(cos_i, -1.0, 1.0)))


def _u(rng: np.random.Generator, r: Any, name: str) -> float:
    lo, hi = _range(r, name)
    return float(rng.uniform(lo, hi))


def _component_sed(
    rng: np.random.Generator, c: dict[str, Any], comp: str, mass: float, redshift: float
) -> dict[str, Any]:
    """One component's SEDParams fields from its population block (dust-free)."""
    return {
        "log_mass": float(np.log10(mass)),
        "sfh_weights": [float(v) for v in rng.dirichlet(np.asarray(c["sfh_alpha"], float))],
        "f_burst": _u(rng, c["f_burst"], f"sed.{comp}.f_burst"),
        "t_burst": _u(rng, c["t_burst_gyr"], f"sed.{comp}.t_burst_gyr"),
        "log_z": _u(rng, c["log_z"], f"sed.{comp}.log_z"),
        "tau_bc": 0.0,
        "tau_ism": 0.0,
        "n_dust": 0.0,
        "redshift": redshift,
    }


def _draw_sed(
    rng: np.random.Generator,
    suite: dict[str, Any],
    redshift: float,
    bt: float,
    arms_rng: np.random.Generator | None = None,
) -> dict[str, dict[str, Any]]:
    """Per-component SED parameters (SEDParams fields; dust-free: tau_bc = tau_ism = 0);
    `arms_rng`: the young arms' own stream (suites with arms)."""
    s = suite["sed"]
    log_m = _u(rng, s["log_mass"], "sed.log_mass")
    fc = _u(rng, s["clump_mass_fraction"], "sed.clump_mass_fraction")
    m_tot = 10.0**log_m
    fa = 0.0
    if arms_rng is not None:
        fa = _u(arms_rng, s["arm_mass_fraction"], "sed.arm_mass_fraction")
    masses = {
        "bulge": bt * m_tot,
        "disk": (1 - bt) * (1 - fc) * (1 - fa) * m_tot,
        "clumps": (1 - bt) * fc * m_tot,
    }
    out = {
        comp: _component_sed(rng, s[comp], comp, masses[comp], redshift)
        for comp in COMPONENT_NAMES
    }
    if arms_rng is not None:
        mass = (1 - bt) * (1 - fc) * fa * m_tot
        out["arms"] = _component_sed(arms_rng, s["arms"], "arms", mass, redshift)
    return out


def draw_scene_params(suite: dict[str, Any], scene_index: int, seed: int) -> SceneParams:
    """Draw one scene's parameters; the same galaxy index gives the same galaxy at every i."""
    n_inc = int(suite["inclinations_per_galaxy"])
    gal, inc = divmod(int(scene_index), n_inc)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), gal]))
    st, du = suite["stellar"], suite["dust"]
    z = _u(rng, suite["redshift_range"], "redshift_range")
    kpp = kpc_per_pixel(z, float(suite["pixel_scale_arcsec"]))
    h_s_kpc = _u(rng, st["h_s_kpc"], "stellar.h_s_kpc")
    h_s = h_s_kpc / kpp
    z_s = h_s * _u(rng, st["z_s_over_h_s"], "stellar.z_s_over_h_s")
    bulge_n = _u(rng, st["bulge_n"], "stellar.bulge_n")
    bulge_re = h_s * _u(rng, st["bulge_re_over_h_s"], "stellar.bulge_re_over_h_s")
    bulge_q = _u(rng, st["bulge_q"], "stellar.bulge_q")
    bt = _u(rng, st["bulge_to_total"], "stellar.bulge_to_total")
    pitch = np.radians(_u(rng, st["pitch_deg"], "stellar.pitch_deg"))
    arm_phase = float(rng.uniform(0.0, 2.0 * np.pi))
    tau_v0 = _u(rng, du["tau_v0_range"], "dust.tau_v0_range")
    h_d = h_s * _u(rng, du["h_d_over_h_s"], "dust.h_d_over_h_s")
    z_d = z_s * _u(rng, du["z_d_over_z_s"], "dust.z_d_over_z_s")
    lane_amp = _u(rng, du["lane_amplitude"], "dust.lane_amplitude") if du["lanes"] else 0.0
    clumpy = _u(rng, du["clumpiness_sigma"], "dust.clumpiness_sigma")
    n_modes = int(du["clumpiness_modes"])
    lam = (
        np.exp(
            rng.uniform(
                *np.log(_range(du["clumpiness_scale_kpc"], "dust.clumpiness_scale_kpc")), n_modes
            )
        )
        / kpp
    )
    ang = rng.uniform(0.0, 2.0 * np.pi, n_modes)
    field_k = (2.0 * np.pi / lam)[:, None] * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    field_phase = rng.uniform(0.0, 2.0 * np.pi, n_modes)
    lo_c, hi_c = (int(v) for v in st["n_clumps"])
    n_cl = int(rng.integers(lo_c, hi_c + 1))
    r_cl = h_s * rng.uniform(
        *_range(st["clump_radius_over_h_s"], "stellar.clump_radius_over_h_s"), n_cl
    )
    arm = rng.integers(0, 2, n_cl)
    phi = arm_phase + np.pi * arm + np.log(r_cl / h_s) / np.tan(pitch) + rng.normal(0.0, 0.15, n_cl)
    clump_xyz = np.stack(
        [r_cl * np.cos(phi), r_cl * np.sin(phi), rng.normal(0.0, 0.5 * z_s, n_cl)], 1
    )
    clump_sigma = rng.uniform(*_range(st["clump_sigma_kpc"], "stellar.clump_sigma_kpc"), n_cl) / kpp
    w = rng.lognormal(0.0, 0.5, n_cl)
    clump_tau_bc = rng.uniform(*_range(du["tau_bc_range"], "dust.tau_bc_range"), n_cl)
    pa = float(rng.uniform(0.0, 180.0))
    incs = stratified_inclinations(
        *_range(suite["inclination_deg_range"], "inclination_deg_range"), rng.uniform(size=n_inc)
    )
    arms_rng = None
    if has_arms(suite):
        arms_rng = np.random.default_rng(np.random.SeedSequence([int(seed), gal, 1]))
    sed = _draw_sed(rng, suite, z, bt, arms_rng)
    geometry = GalaxyGeometry(
        h_s=h_s,
        z_s=z_s,
        bulge_n=bulge_n,
        bulge_re=bulge_re,
        bulge_q=bulge_q,
        h_d=h_d,
        z_d=z_d,
        tau_v0=tau_v0,
        pitch=float(pitch),
        arm_phase=arm_phase,
        lane_amplitude=lane_amp,
        lane_width=float(du["lane_width_rad"]),
        lane_offset=float(du["lane_offset_rad"]),
        clumpiness_sigma=clumpy,
        field_k=field_k,
        field_phase=field_phase,
        clump_xyz=clump_xyz,
        clump_sigma=clump_sigma,
        clump_weight=w / w.sum(),
        clump_tau_bc=clump_tau_bc,
        arm_width=float(st["arm_width_rad"]) if has_arms(suite) else 0.0,
    )
    obs_rng = np.random.default_rng(np.random.SeedSequence([int(seed), gal], spawn_key=(inc,)))
    fwhm = obs_rng.uniform(
        *_range(suite["observing"]["seeing_fwhm_arcsec"], "observing.seeing_fwhm_arcsec"),
        len(suite["bands"]),
    )
    return SceneParams(
        scene_index=int(scene_index),
        galaxy_index=gal,
        inclination_index=inc,
        seed=int(seed),
        redshift=z,
        kpc_per_pixel=kpp,
        inclination_deg=float(incs[inc]),
        position_angle_deg=pa,
        geometry=geometry,
        psf_fwhm_arcsec=tuple(float(f) for f in fwhm),
        sed=sed,
        structure_kpc={
            "h_s": h_s_kpc,
            "z_s": z_s * kpp,
            "h_d": h_d * kpp,
            "z_d": z_d * kpp,
            "bulge_re": bulge_re * kpp,
            "bulge_to_total": bt,
        },
    )


def noise_rng(params: SceneParams) -> np.random.Generator:
    """The noise generator of a scene: a stream of its own, after the seeing draw."""
    ss = np.random.SeedSequence(
        [params.seed, params.galaxy_index], spawn_key=(params.inclination_index,)
    )
    return np.random.default_rng(ss.spawn(1)[0])

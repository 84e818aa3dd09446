"""Analytic 3-D stellar emissivities and dust density of a mock disk galaxy (galaxy frame, pixels).

Every density is a closed-form function of galaxy-frame coordinates (x, y in the disk plane,
z along the rotation axis), so the renderer evaluates it at rotated points without interpolation.
Emissivities are unnormalised (the renderer scales each component to its flux); the dust
density is in tau_V per pixel, normalised so the face-on central column of the smooth disk is
`tau_v0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ive

from dustscene.sersic import sersic_bn_exact

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class GalaxyGeometry:
    """Structural parameters of one mock galaxy; lengths in pixels, angles in radians."""

    h_s: float  # stellar disk scale length
    z_s: float  # stellar disk scale height (exponential)
    bulge_n: float  # Sersic index
    bulge_re: float  # bulge effective (major-axis) radius
    bulge_q: float  # bulge intrinsic axis ratio c/a (< 1: oblate)
    h_d: float  # dust disk scale length
    z_d: float  # dust disk scale height (exponential)
    tau_v0: float  # face-on central V-band optical depth of the smooth dust disk
    pitch: float  # logarithmic-spiral pitch angle
    arm_phase: float  # azimuth of arm 0 at R = h_s
    lane_amplitude: float  # dust-lane contrast (0: no lanes)
    lane_width: float  # lane width in arm phase (radians, von Mises-like)
    lane_offset: float  # lane phase offset from the stellar arm (radians)
    clumpiness_sigma: float  # log-normal sigma of the dust clumpiness (0: smooth)
    field_k: F64  # (m, 2) in-plane wave vectors of the clumpiness field, rad / pixel
    field_phase: F64  # (m,) phases of the clumpiness field
    clump_xyz: F64  # (n, 3) star-forming clump centres, galaxy frame
    clump_sigma: F64  # (n,) clump Gaussian sigma
    clump_weight: F64  # (n,) clump light fractions, sum 1
    clump_tau_bc: F64  # (n,) birth-cloud V-band optical depth at each clump centre
    core: float = 0.3  # softening radius of the bulge cusp (pixels; pixel-centre sampling)
    arm_width: float = 0.0  # young stellar arms' width in arm phase (radians; 0: no arms)


def disk_emissivity(x: F64, y: F64, z: F64, g: GalaxyGeometry) -> F64:
    """Double-exponential stellar disk, exp(-R/h_s) exp(-|z|/z_s)."""
    r = np.hypot(x, y)
    return np.exp(-r / g.h_s - np.abs(z) / g.z_s)


def bulge_emissivity(x: F64, y: F64, z: F64, g: GalaxyGeometry) -> F64:
    """Oblate Sersic spheroid exp(-b_n (m/R_e)^(1/n)), m^2 = x^2 + y^2 + (z/q)^2 + core^2."""
    m = np.sqrt(x * x + y * y + (z / g.bulge_q) ** 2 + g.core**2)
    return np.exp(-sersic_bn_exact(g.bulge_n) * (m / g.bulge_re) ** (1.0 / g.bulge_n))


def arm_phase_offset(x: F64, y: F64, g: GalaxyGeometry, offset: float = 0.0) -> F64:
    """Twice the azimuth from the nearest of two log-spiral arms (period 2 pi per arm pair)."""
    r = np.maximum(np.hypot(x, y), 1e-3 * g.h_s)
    phi = np.arctan2(y, x)
    return 2.0 * (phi - g.arm_phase - offset - np.log(r / g.h_s) / np.tan(g.pitch))


def arm_emissivity(x: F64, y: F64, z: F64, g: GalaxyGeometry) -> F64:
    """Young stellar arms: the disk's double exponential times a mean-one von Mises bump on the
    two log-spiral arms (the dust lanes trail them by `lane_offset`), zero without arms."""
    if g.arm_width <= 0.0:
        return np.zeros_like(x)
    kappa = 1.0 / g.arm_width**2
    bump = np.exp(kappa * (np.cos(arm_phase_offset(x, y, g)) - 1.0)) / ive(0, kappa)
    return disk_emissivity(x, y, z, g) * bump


def lane_factor(x: F64, y: F64, g: GalaxyGeometry) -> F64:
    """Mean-one azimuthal modulation (1 - a) + a * lane / <lane> along the spiral dust lanes."""
    if g.lane_amplitude <= 0.0:
        return np.ones_like(x)
    kappa = 1.0 / g.lane_width**2
    delta = arm_phase_offset(x, y, g, g.lane_offset)
    # von Mises bump exp(kappa (cos d - 1)); its azimuthal mean is ive(0, kappa)
    lane = np.exp(kappa * (np.cos(delta) - 1.0)) / ive(0, kappa)
    return (1.0 - g.lane_amplitude) + g.lane_amplitude * lane


def clumpiness_factor(x: F64, y: F64, g: GalaxyGeometry) -> F64:
    """Mean-one log-normal field exp(s G - s^2/2), G a unit-variance random-phase wave sum."""
    m = g.field_phase.shape[0]
    if g.clumpiness_sigma <= 0.0 or m == 0:
        return np.ones_like(x)
    # float32 trig: the field is a texture, and this loop dominates the render time
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    field = np.zeros_like(x32)
    for (kx, ky), ph in zip(
        g.field_k.astype(np.float32), g.field_phase.astype(np.float32), strict=True
    ):
        field += np.cos(kx * x32 + ky * y32 + ph)
    s = g.clumpiness_sigma
    return np.exp(s * np.sqrt(2.0 / m) * field.astype(np.float64) - 0.5 * s * s)


def dust_density(x: F64, y: F64, z: F64, g: GalaxyGeometry, cut: float = 1e-7) -> F64:
    """Diffuse dust, tau_V per pixel: exponential disk times lanes times clumpiness.

    Lanes and clumpiness are evaluated only where the smooth disk exceeds `cut` of its peak
    (a thin layer; elsewhere the density is set to zero, an optical depth below ~1e-5).
    """
    if g.tau_v0 <= 0.0:
        return np.zeros_like(x)
    rho0 = g.tau_v0 / (2.0 * g.z_d)  # face-on central column = tau_v0
    smooth = np.exp(-np.hypot(x, y) / g.h_d - np.abs(z) / g.z_d)
    keep = smooth > cut
    xk, yk = x[keep], y[keep]
    out = np.zeros_like(x)
    out[keep] = rho0 * smooth[keep] * lane_factor(xk, yk, g) * clumpiness_factor(xk, yk, g)
    return out

"""Absorption-only radiative transfer of the analytic galaxy onto an observer pixel grid.

Observer frame: X, Y are pixel offsets from the field centre, s is depth along the line of
sight (s grows away from the observer, so optical depth accumulates from s = -U). The galaxy
frame follows from rotating (X, Y) by -PA and then tilting by the inclination i about the
x axis: x = X', y = Y' cos i + s sin i, z = -Y' sin i + s cos i.

Each line of sight is sampled on its own node set: half of the nodes resolve the stellar
layer around the midplane crossing s0 = Y' tan i, the rest cover the ray out to +-U. Clumps
are small 3-D Gaussians integrated analytically along s; their light is attenuated by the
diffuse dust in front of the clump centre and by their own birth cloud (a screen).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

from dustscene.mocks.geometry import (
    GalaxyGeometry,
    arm_emissivity,
    bulge_emissivity,
    disk_emissivity,
    dust_density,
)

F64 = NDArray[np.float64]
COMPONENTS = ("bulge", "disk", "clumps")  # every scene's parts; "arms" where the suite has them
BC_SIZE = 1.5  # birth-cloud sigma / clump sigma: the cloud envelops its stars


@dataclass(frozen=True)
class RawRender:
    """Unnormalised field renders per component: dust-free (y, x), attenuated (band, y, x)."""

    dustfree: dict[str, F64]
    attenuated: dict[str, F64]
    tau_v_column: F64  # (y, x) diffuse column plus birth clouds


def pixel_centres(n: int) -> F64:
    """Pixel-centre offsets from the field centre (n - 1) / 2, in pixels."""
    return np.arange(n, dtype=np.float64) - 0.5 * (n - 1)


def ray_half_length(g: GalaxyGeometry, n: int) -> float:
    """Half-length U of every ray: 6 dust scale lengths, kept within [1.5, 4] field half-widths."""
    half = 0.5 * n
    return float(np.clip(6.0 * g.h_d, 1.5 * half, 4.0 * half))


def ray_nodes(yp: F64, cos_i: float, sin_i: float, z_scale: float, u: float, n_nodes: int) -> F64:
    """Per-pixel monotone depth nodes (…, n_nodes) on [-U, U], refined around the midplane."""
    c = max(cos_i, 1e-6)
    s0 = np.clip(yp * (sin_i / c), -u, u)
    w = min(5.0 * z_scale / c, u)
    a = np.clip(s0 - w, -u, u)
    b = np.clip(s0 + w, -u, u)
    l1, lw, l2 = a + u, b - a, u - b
    frac_w = np.maximum(0.5, lw / (2.0 * u))
    lc = l1 + l2
    t1 = (1.0 - frac_w) * np.divide(l1, lc, out=np.zeros_like(lc), where=lc > 0)
    t2 = t1 + frac_w
    t = np.linspace(0.0, 1.0, n_nodes)
    t1, t2 = t1[..., None], t2[..., None]
    tiny = 1e-300
    s = (
        -u
        + l1[..., None] * np.clip(t / np.maximum(t1, tiny), 0.0, 1.0)
        + lw[..., None] * np.clip((t - t1) / np.maximum(t2 - t1, tiny), 0.0, 1.0)
        + l2[..., None] * np.clip((t - t2) / np.maximum(1.0 - t2, tiny), 0.0, 1.0)
    )
    return s


def trapezoid_weights(s: F64) -> F64:
    """Trapezoid quadrature weights along the last axis of monotone nodes `s`."""
    ds = np.diff(s, axis=-1)
    w = np.zeros_like(s)
    w[..., :-1] += 0.5 * ds
    w[..., 1:] += 0.5 * ds
    return w


def cumulative_tau(rho: F64, s: F64) -> F64:
    """Optical depth from the observer end of each ray to every node (trapezoid, starts at 0)."""
    seg = 0.5 * (rho[..., 1:] + rho[..., :-1]) * np.diff(s, axis=-1)
    tau = np.zeros_like(rho)
    np.cumsum(seg, axis=-1, out=tau[..., 1:])
    return tau


def to_galaxy(xp: F64, yp: F64, s: F64, cos_i: float, sin_i: float) -> tuple[F64, F64, F64]:
    """Observer (X', Y', s) after the PA rotation -> galaxy-frame (x, y, z)."""
    return xp + 0.0 * s, yp * cos_i + s * sin_i, -yp * sin_i + s * cos_i


def to_observer(xyz: F64, cos_i: float, sin_i: float, pa: float) -> tuple[F64, F64, F64]:
    """Galaxy-frame points (n, 3) -> observer (X, Y, s), inverse of `to_galaxy` plus the PA."""
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    xp, yp, s = x, y * cos_i - z * sin_i, y * sin_i + z * cos_i
    cp, sp = np.cos(pa), np.sin(pa)
    return xp * cp - yp * sp, xp * sp + yp * cp, s


def _pixel_gauss_1d(centres: F64, mu: float, sigma: float) -> F64:
    """Fraction of a 1-D Gaussian falling in each unit pixel (pixel-integrated, not sampled)."""
    r2 = np.sqrt(2.0) * sigma
    return 0.5 * (erf((centres + 0.5 - mu) / r2) - erf((centres - 0.5 - mu) / r2))


def _interp_nodes(s_nodes: F64, tau: F64, s_c: float) -> F64:
    """Linear interpolation of per-pixel cumulative tau (…, n) at depth s_c."""
    n = s_nodes.shape[-1]
    idx = np.clip(np.sum(s_nodes < s_c, axis=-1), 1, n - 1)[..., None]
    s_lo = np.take_along_axis(s_nodes, idx - 1, -1)[..., 0]
    s_hi = np.take_along_axis(s_nodes, idx, -1)[..., 0]
    t_lo = np.take_along_axis(tau, idx - 1, -1)[..., 0]
    t_hi = np.take_along_axis(tau, idx, -1)[..., 0]
    ds = s_hi - s_lo
    f = np.clip(np.divide(s_c - s_lo, ds, out=np.zeros_like(ds), where=ds > 0), 0.0, 1.0)
    return t_lo + f * (t_hi - t_lo)


def _render_clumps(
    g: GalaxyGeometry,
    centres: F64,
    s_nodes: F64,
    tau_v: F64,
    kappa: F64,
    cos_i: float,
    sin_i: float,
    pa: float,
) -> tuple[F64, F64, F64]:
    """Clump light dust-free (y, x), attenuated (band, y, x) and birth-cloud tau_V (y, x)."""
    n = centres.shape[0]
    free = np.zeros((n, n))
    att = np.zeros((kappa.shape[0], n, n))
    bc = np.zeros((n, n))
    if g.clump_weight.shape[0] == 0:
        return free, att, bc
    cx, cy, cs = to_observer(g.clump_xyz, cos_i, sin_i, pa)
    lo_edge = centres[0]
    for k in range(g.clump_weight.shape[0]):
        sig = float(g.clump_sigma[k])
        rad = 6.0 * BC_SIZE * sig + 1.0
        x0 = int(np.clip(np.floor(cx[k] - rad - lo_edge), 0, n))
        x1 = int(np.clip(np.ceil(cx[k] + rad - lo_edge) + 1, 0, n))
        y0 = int(np.clip(np.floor(cy[k] - rad - lo_edge), 0, n))
        y1 = int(np.clip(np.ceil(cy[k] + rad - lo_edge) + 1, 0, n))
        if x1 <= x0 or y1 <= y0:
            continue
        xs, ys = centres[x0:x1], centres[y0:y1]
        img = g.clump_weight[k] * np.outer(
            _pixel_gauss_1d(ys, cy[k], sig), _pixel_gauss_1d(xs, cx[k], sig)
        )
        sig_bc = BC_SIZE * sig
        r2 = (xs[None, :] - cx[k]) ** 2 + (ys[:, None] - cy[k]) ** 2
        tau_bc = g.clump_tau_bc[k] * np.exp(-0.5 * r2 / sig_bc**2)
        tau_ism = _interp_nodes(s_nodes[y0:y1, x0:x1], tau_v[y0:y1, x0:x1], float(cs[k]))
        free[y0:y1, x0:x1] += img
        att[:, y0:y1, x0:x1] += img * np.exp(-kappa[:, None, None] * (tau_ism + tau_bc))
        bc[y0:y1, x0:x1] += tau_bc
    return free, att, bc


def render_raw(
    g: GalaxyGeometry,
    inclination_rad: float,
    position_angle_rad: float,
    n_pix: int,
    kappa: F64,
    n_nodes: int = 128,
) -> RawRender:
    """Render bulge, disk, clumps (and young arms where `g.arm_width` > 0) with and without
    dust; kappa = k_b / k_V per band."""
    kappa = np.asarray(kappa, dtype=np.float64)
    cos_i, sin_i = float(np.cos(inclination_rad)), float(np.sin(inclination_rad))
    cp, sp = float(np.cos(position_angle_rad)), float(np.sin(position_angle_rad))
    c = pixel_centres(n_pix)
    xx, yy = np.meshgrid(c, c)  # (y, x)
    xp = xx * cp + yy * sp
    yp = -xx * sp + yy * cp
    u = ray_half_length(g, n_pix)
    s = ray_nodes(yp, cos_i, sin_i, max(g.z_s, g.bulge_q * g.bulge_re), u, n_nodes)
    x, y, z = to_galaxy(xp[..., None], yp[..., None], s, cos_i, sin_i)
    w = trapezoid_weights(s)
    rho = dust_density(x, y, z, g)
    tau_v = cumulative_tau(rho, s)
    trans = np.exp(-kappa[:, None, None, None] * tau_v[None])  # (band, y, x, s)
    free: dict[str, F64] = {}
    att: dict[str, F64] = {}
    parts = [("bulge", bulge_emissivity), ("disk", disk_emissivity)]
    if g.arm_width > 0.0:
        parts.append(("arms", arm_emissivity))
    for name, emis in parts:
        wj = w * emis(x, y, z, g)
        free[name] = np.sum(wj, axis=-1)
        att[name] = np.sum(wj[None] * trans, axis=-1)
    free["clumps"], att["clumps"], bc = _render_clumps(
        g, c, s, tau_v, kappa, cos_i, sin_i, position_angle_rad
    )
    return RawRender(dustfree=free, attenuated=att, tau_v_column=tau_v[..., -1] + bc)


def scale_to_fluxes(
    raw: RawRender, fluxes: dict[str, F64]
) -> tuple[dict[str, F64], dict[str, F64]]:
    """Scale each component so its dust-free field sums to its flux f_comp(b) (band,)."""
    free: dict[str, F64] = {}
    att: dict[str, F64] = {}
    for name in raw.dustfree:
        if name not in fluxes:
            raise ValueError(f"component fluxes lack '{name}' (rendered: {sorted(raw.dustfree)})")
        f = np.asarray(fluxes[name], dtype=np.float64)
        total = float(np.sum(raw.dustfree[name]))
        scale = f / total if total > 0.0 else np.zeros_like(f)
        free[name] = scale[:, None, None] * raw.dustfree[name][None]
        att[name] = scale[:, None, None] * raw.attenuated[name]
    return free, att

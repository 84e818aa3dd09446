"""Benchmark: seconds per 64x64x5 mock scene versus a naive per-band transfer in the same run.

Run: .venv/bin/python bench/mocks.py [--n 10] [--ssp results/sed/ssp_table.h5] [--json [PATH]]
The naive baseline renders the same scene the straightforward way: a Python loop over bands
that re-evaluates every density (clumpiness in float64 on every voxel, clumps as 3-D
Gaussians on the voxel grid) on the same ray nodes; only the transfer is timed for it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from dustscene.mocks import default_suite, make_scene
from dustscene.mocks.geometry import (
    GalaxyGeometry,
    bulge_emissivity,
    disk_emissivity,
    lane_factor,
)
from dustscene.mocks.suite import draw_scene_params
from dustscene.mocks.transfer import (
    cumulative_tau,
    pixel_centres,
    ray_half_length,
    ray_nodes,
    to_galaxy,
    to_observer,
    trapezoid_weights,
)

RESULTS = Path(__file__).resolve().parent / "results"
K_FALLBACK = (np.array([4.61, 3.50, 2.69, 2.22, 1.94]), 4.05)  # only if dustscene.sed is absent


def naive_render(g: GalaxyGeometry, incl: float, pa: float, n: int, kappa: np.ndarray) -> float:
    """Straightforward per-band render; returns a checksum so nothing is optimised away."""
    cos_i, sin_i = np.cos(incl), np.sin(incl)
    c = pixel_centres(n)
    xx, yy = np.meshgrid(c, c)
    xp, yp = xx * np.cos(pa) + yy * np.sin(pa), -xx * np.sin(pa) + yy * np.cos(pa)
    u = ray_half_length(g, n)
    s = ray_nodes(yp, cos_i, sin_i, max(g.z_s, g.bulge_q * g.bulge_re), u, 128)
    total = 0.0
    for kb in kappa:
        x, y, z = to_galaxy(xp[..., None], yp[..., None], s, cos_i, sin_i)
        field = np.zeros_like(x)
        for (kx, ky), ph in zip(g.field_k, g.field_phase, strict=True):
            field += np.cos(kx * x + ky * y + ph)
        sig = g.clumpiness_sigma
        clumpy = np.exp(sig * np.sqrt(2.0 / max(len(g.field_phase), 1)) * field - 0.5 * sig**2)
        rho = g.tau_v0 / (2 * g.z_d) * np.exp(-np.hypot(x, y) / g.h_d - np.abs(z) / g.z_d)
        rho = rho * lane_factor(x, y, g) * clumpy
        trans = np.exp(-kb * cumulative_tau(rho, s))
        w = trapezoid_weights(s)
        j = bulge_emissivity(x, y, z, g) + disk_emissivity(x, y, z, g)
        cx, cy, cs = to_observer(g.clump_xyz, cos_i, sin_i, pa)
        for k in range(len(g.clump_weight)):
            d2 = (xx[..., None] - cx[k]) ** 2 + (yy[..., None] - cy[k]) ** 2 + (s - cs[k]) ** 2
            j = j + g.clump_weight[k] * np.exp(-0.5 * d2 / g.clump_sigma[k] ** 2)
        total += float(np.sum(w * j * trans))
    return total


def _k_fn() -> Any:
    try:
        from dustscene.mocks.sed_link import band_k

        band_k("calzetti00", default_suite())
        return band_k
    except ImportError:
        return lambda law, suite, redshift=0.0: K_FALLBACK


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="timed scenes")
    ap.add_argument("--n-naive", type=int, default=3, help="timed naive renders")
    ap.add_argument("--ssp", default=None, help="SSP table for real SEDs (default: toy SEDs)")
    ap.add_argument("--json", nargs="?", const=str(RESULTS / "mocks.json"), default=None,
                    help="also write the numbers as JSON (default path bench/results/mocks.json)")
    args = ap.parse_args()
    from dustscene._jax import configure_jax

    configure_jax()  # the SED model needs float64 (as every workflow script sets)
    suite = default_suite()
    k_fn = _k_fn()
    fluxes_fn = None
    if args.ssp:
        from dustscene.mocks.sed_link import ssp_component_fluxes

        fluxes_fn = ssp_component_fluxes(args.ssp)
    step = int(suite["inclinations_per_galaxy"]) + 1  # vary galaxy and inclination
    make_scene(suite, 0, 0, fluxes_fn, k_fn)  # warm-up: imports, jit, filter curves
    times = []
    for i in range(args.n):
        t0 = time.perf_counter()
        make_scene(suite, i * step, 0, fluxes_fn, k_fn)
        times.append(time.perf_counter() - t0)
    k_b, k_v = k_fn("calzetti00", suite)
    n_field = int(suite["stamp_size"]) + 2 * int(suite["render"]["pad_pixels"])
    naive = []
    for i in range(args.n_naive):
        p = draw_scene_params(suite, i * step, 0)
        t0 = time.perf_counter()
        naive_render(
            p.geometry,
            np.radians(p.inclination_deg),
            np.radians(p.position_angle_deg),
            n_field,
            np.asarray(k_b) / k_v,
        )
        naive.append(time.perf_counter() - t0)
    fast, slow = statistics.median(times), statistics.median(naive)
    print(f"scene (draw+render+PSF+noise, {n_field}px field -> 64x64x5): {fast:.3f} s median")
    print(f"naive per-band transfer only:                        {slow:.3f} s median")
    print(f"speed-up (naive / scene): {slow / fast:.1f}x")
    if args.json:
        from dustscene.io.atomic import write_json_atomic

        write_json_atomic(args.json, {
            "scene_seconds": times, "scene_seconds_median": fast,
            "naive_transfer_seconds": naive, "naive_transfer_seconds_median": slow,
            "ratio": slow / fast, "field_pixels": n_field, "ssp": args.ssp,
        })
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

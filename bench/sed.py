"""Benchmark: galaxies per second of sed.photometry (JAX, jit) vs a plain numpy loop.

Run: .venv/bin/python bench/sed.py [--n 10000] [--table PATH] [--json [PATH]]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from dustscene._jax import configure_jax
from dustscene.sed import build_ssp_table, load_filters, load_ssp_table, photometry, sample_prior
from dustscene.sed.cosmology import age_of_universe_gyr, ln_luminosity_distance_cm
from dustscene.sed.dust import calzetti00, charlot_fall, drude

RESULTS = Path(__file__).resolve().parent / "results"


def numpy_photometry(p: dict, i: int, t: dict, fs: dict) -> np.ndarray:
    """Reference for one galaxy in plain numpy: same physics, loops and np.interp."""
    z = p["redshift"][i]
    t_h = t["t_h"][i] * 1e9
    x = np.clip(t["age_edges"] / t_h, 0, 1)
    cdf = np.stack([x**4, x**2, x, 1 - (1 - x) ** 3])
    smooth = p["sfh_weights"][i] @ np.diff(cdf, axis=1)
    la = np.log10(min(p["t_burst"][i], t["t_h"][i]) * 1e9)
    pos = np.interp(la, np.log10(t["age_mid"]), np.arange(t["age_mid"].size))
    burst = np.zeros_like(smooth)
    k = min(int(pos), burst.size - 2)
    burst[k], burst[k + 1] = 1 - (pos - k), pos - k
    mass = (1 - p["f_burst"][i]) * smooth + p["f_burst"][i] * burst
    posz = np.interp(p["log_z"][i], t["log_z"], np.arange(t["log_z"].size))
    kz = min(int(posz), t["log_z"].size - 2)
    wz = np.zeros(t["log_z"].size)
    wz[kz], wz[kz + 1] = 1 - (posz - kz), posz - kz
    ny = t["n_young"]
    spec_z = np.tensordot(wz, t["spectra"], axes=1)  # (age, wave)
    young, old = mass[:ny] @ spec_z[:ny], mass[ny:] @ spec_z[ny:]
    wave = t["wave"]
    d = p["n_dust"][i]
    e_b = 0.85 - 1.9 * d
    k_v = t["kcal_v"] + e_b * t["drude_v"]
    r_ism = (t["kcal"] + e_b * t["drude"]) * (wave / 5500.0) ** d / k_v
    spec = (young * np.exp(-p["tau_bc"][i] * t["cf"]) + old) * np.exp(-p["tau_ism"][i] * r_ism)
    out = np.empty(len(fs["wave"]))
    ln_fac = (p["log_mass"][i] * math.log(10) - math.log(4 * math.pi) - 2 * t["ln_dl"][i]
              - math.log1p(z) + math.log(1e32 / 2.99792458e18))
    for b, (wb, tb) in enumerate(zip(fs["wave"], fs["trans"], strict=True)):
        fnu = np.interp(wb / (1 + z), wave, spec) * wb**2
        out[b] = np.trapezoid(fnu * tb / wb, wb) / np.trapezoid(tb / wb, wb) * math.exp(ln_fac)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--n-numpy", type=int, default=200)
    ap.add_argument("--table", type=Path, default=None)
    ap.add_argument("--json", nargs="?", const=str(RESULTS / "sed.json"), default=None,
                    help="also write the numbers as JSON (default path bench/results/sed.json)")
    args = ap.parse_args()
    configure_jax()

    path = args.table or Path(tempfile.mkdtemp()) / "ssp.h5"
    if not path.exists():
        t0 = time.perf_counter()
        build_ssp_table(path)
        print(f"build_ssp_table: {time.perf_counter() - t0:.2f} s")
    table = load_ssp_table(path)
    fs = load_filters("hsc", ["g", "r", "i", "z", "y"])
    params = sample_prior(jax.random.key(0), args.n)

    t0 = time.perf_counter()
    flux = jax.block_until_ready(photometry(params, table, fs))
    print(f"compile + first call (n={args.n}): {time.perf_counter() - t0:.2f} s")
    times, cpu = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        jax.block_until_ready(photometry(params, table, fs))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    jax_rate = args.n / min(times)
    print(f"jax CPU time per call (all threads): {min(cpu):.3f} s "
          f"-> {args.n / min(cpu):,.0f} galaxies per CPU-second")
    print(f"jax photometry: best {min(times):.3f} s, median {np.median(times):.3f} s "
          f"-> {jax_rate:,.0f} galaxies/s ({jax.default_backend()}, "
          f"{'float64' if jax.config.jax_enable_x64 else 'float32'})")

    m = min(args.n_numpy, args.n)
    p_np = {k: np.asarray(v) for k, v in vars(params).items()}
    t_np = {
        "age_edges": np.asarray(table.age_edges), "age_mid": np.asarray(table.age_mid),
        "log_z": np.asarray(table.log_z), "spectra": np.asarray(table.spectra),
        "wave": np.asarray(table.wave), "n_young": table.n_young,
        "t_h": np.asarray(age_of_universe_gyr(params.redshift)),
        "ln_dl": np.asarray(ln_luminosity_distance_cm(params.redshift)),
        "cf": np.asarray(charlot_fall(table.wave)),
        "kcal": np.asarray(calzetti00(table.wave)), "drude": np.asarray(drude(table.wave)),
        "kcal_v": float(calzetti00(5500.0)), "drude_v": float(drude(5500.0)),
    }
    fs_np = {"wave": np.asarray(fs.wave), "trans": np.asarray(fs.trans)}
    t0 = time.perf_counter()
    ref = np.stack([numpy_photometry(p_np, i, t_np, fs_np) for i in range(m)])
    np_rate = m / (time.perf_counter() - t0)
    err = np.max(np.abs(2.5 * np.log10(ref / np.asarray(flux[:m]))))
    print(f"numpy loop: {np_rate:,.0f} galaxies/s (n={m}); max |dmag| vs jax = {err:.2e}")
    print(f"speed-up jax / numpy: {jax_rate / np_rate:.1f}x")
    if args.json:
        from dustscene.io.atomic import write_json_atomic

        write_json_atomic(args.json, {
            "n": args.n, "jax_seconds_per_call": times, "jax_galaxies_per_s": jax_rate,
            "numpy_galaxies_per_s": np_rate, "n_numpy": m, "ratio": jax_rate / np_rate,
            "max_abs_dmag": float(err), "backend": jax.default_backend(),
        })
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

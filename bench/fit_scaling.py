"""Cost model of a scene fit: seconds (compile and run apart) against stamp size, number of
sources and bands, the fitted power laws, and what a 10^5-galaxy run costs.

Each configuration is a synthetic scene of `n` Sersic sources with free spectra (the same component
family as bench/fit_vs_scarlet2.py) on an S x S stamp in B bands, fitted by
`dustscene.inference.fit` with the default `FitSettings` from a perturbed start. The first fit of a
structure compiles; a second fit of the same structure on new noise runs from the cache: run =
second, compile = first minus its own step count at the second's seconds per step. Exponents come
from least squares in log-log over the sweep of one variable at the others' reference values (S =
64, n = 2, B = 5), for the run, the run per optimiser step (the step count varies with convergence)
and the compile.

    .venv/bin/python bench/fit_scaling.py [--sizes 32 64 128 256] [--sources 1 2 5 10 20]
        [--bands 3 5] [--nodes 10 --cores-per-node 32] [--json bench/results/fit_scaling.json]

A 10^5-galaxy run is costed at the reference structure as 10^5 x run seconds spread over the
cores (one single-threaded fit per core) plus one compile per job of --galaxies-per-job
galaxies (the structure is fixed within a job, so the cache holds). Minutes on 2 cores with
the defaults; 256 px and 20 sources dominate.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from dustscene._jax import configure_jax
from dustscene.inference import FitSettings, fit
from dustscene.scene import (
    Component,
    Frame,
    FreeSpectrum,
    Observation,
    Scene,
    SersicMorphology,
    gaussian_psf,
    n_free,
)

REF = {"size": 64, "sources": 2, "bands": 5}
BANDS = "grizy"


def scene(frame: Frame, p: np.ndarray, n: int) -> Scene:
    """n Sersic sources; row k of p: spectrum (B), centre (2), n, r_e, q, theta."""
    b = frame.n_bands
    comps = []
    for k in range(n):
        row = p[k]
        comps.append(Component(FreeSpectrum(row[:b]), SersicMorphology(
            row[b:b + 2], n=row[b + 2], r_e=row[b + 3], q=row[b + 4], theta=row[b + 5])))
    return Scene(frame, tuple(comps))


def truth_params(rng: np.random.Generator, size: int, n: int, b: int) -> np.ndarray:
    """Sources spread over the stamp, sizes scaling with it, red-to-blue spectra."""
    rows = []
    for _ in range(n):
        spec = rng.uniform(5.0, 40.0) * np.linspace(0.6, 1.2, b) * rng.uniform(0.8, 1.2, b)
        centre = rng.uniform(0.2 * size, 0.8 * size, 2)
        rows.append(np.concatenate([spec, centre, [rng.uniform(0.8, 3.0),
                                                   rng.uniform(0.03, 0.08) * size,
                                                   rng.uniform(0.4, 0.9),
                                                   rng.uniform(0.0, np.pi)]]))
    return np.stack(rows)


def perturbed(rng: np.random.Generator, p: np.ndarray, b: int) -> np.ndarray:
    q = p.copy()
    q[:, :b] *= rng.uniform(0.8, 1.2, (p.shape[0], b))
    q[:, b:b + 2] += rng.uniform(-0.5, 0.5, (p.shape[0], 2))
    q[:, b + 2:b + 4] *= rng.uniform(0.8, 1.2, (p.shape[0], 2))
    return q


def observation(rng: np.random.Generator, frame: Frame, truth: Scene, size: int,
                b: int) -> Observation:
    psf = np.stack([np.asarray(gaussian_psf(s, 25)) for s in np.linspace(2.0, 1.8, b)])
    sigma = np.linspace(0.03, 0.2, b)
    var = np.broadcast_to((sigma**2)[:, None, None], (b, size, size))
    clean = Observation.from_variance(np.zeros((b, size, size)), var, psf, frame).render(truth)
    data = np.asarray(clean) + rng.normal(size=clean.shape) * sigma[:, None, None]
    return Observation.from_variance(data, var, psf, frame)


def time_structure(size: int, n: int, b: int, seed: int, settings: FitSettings) -> dict:
    """Compile and run seconds of one structure (two fits, the second from the cache)."""
    rng = np.random.default_rng(seed)
    frame = Frame(BANDS[:b], (size, size), psf_sigma=0.8)
    p = truth_params(rng, size, n, b)
    walls, steps, chi2 = [], [], []
    for _ in range(2):
        obs = observation(rng, frame, scene(frame, p, n), size, b)
        start = scene(frame, perturbed(rng, p, b), n)
        t0 = time.perf_counter()
        res = fit(start, obs, settings)
        walls.append(time.perf_counter() - t0)
        steps.append(max(int(res.n_steps), 1))
        w = np.asarray(obs.weights)
        resid = np.asarray(obs.data) - np.asarray(obs.render(res.scene))
        chi2.append(float(np.sum(w * resid**2) / max(w.size - n_free(start), 1)))
    per_step = walls[1] / steps[1]
    # the two fits take different step counts: compile = first wall - its steps at the cached rate
    return {"size": size, "sources": n, "bands": b, "n_params": n_free(start),
            "compile_s": max(walls[0] - steps[0] * per_step, 0.0), "run_s": walls[1],
            "steps": steps[1], "run_s_per_step": per_step, "chi2_per_dof": chi2[1]}


def exponent(rows: list[dict], key: str, what: str) -> float | None:
    """Slope of log(what) against log(key) over rows (None with fewer than two points)."""
    x = np.log([r[key] for r in rows])
    y = np.log([max(r[what], 1e-6) for r in rows])
    return float(np.polyfit(x, y, 1)[0]) if len(rows) > 1 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    ap.add_argument("--sources", type=int, nargs="+", default=[1, 2, 5, 10, 20])
    ap.add_argument("--bands", type=int, nargs="+", default=[3, 5])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--galaxies", type=float, default=1e5)
    ap.add_argument("--galaxies-per-job", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--cores-per-node", type=int, default=32)
    ap.add_argument("--json", default=str(Path(__file__).with_name("results")
                                          / "fit_scaling.json"))
    args = ap.parse_args()
    configure_jax()
    settings = FitSettings()
    sweeps: dict[str, list[dict]] = {"size": [], "sources": [], "bands": []}
    done: dict[tuple[int, int, int], dict] = {}

    def run(size: int, n: int, b: int) -> dict:
        if (size, n, b) not in done:
            done[(size, n, b)] = time_structure(size, n, b, args.seed, settings)
            r = done[(size, n, b)]
            print(f"S {size:4d} sources {n:3d} bands {b}: {r['n_params']:4d} parameters, "
                  f"compile {r['compile_s']:6.1f} s, run {r['run_s']:6.2f} s "
                  f"({r['steps']} steps), chi2/dof {r['chi2_per_dof']:.3f}", flush=True)
        return done[(size, n, b)]

    for s in args.sizes:
        sweeps["size"].append(run(s, REF["sources"], REF["bands"]))
    for n in args.sources:
        sweeps["sources"].append(run(REF["size"], n, REF["bands"]))
    for b in args.bands:
        sweeps["bands"].append(run(REF["size"], REF["sources"], b))
    exps = {f"{what}_vs_{key}": exponent(sweeps[key], key, what)
            for key in sweeps for what in ("run_s", "run_s_per_step", "compile_s")}
    ref = run(REF["size"], REF["sources"], REF["bands"])
    cores = os.cpu_count() or 1
    jobs = int(np.ceil(args.galaxies / args.galaxies_per_job))

    def hours(n_cores: int) -> float:
        return (args.galaxies * ref["run_s"] + jobs * ref["compile_s"]) / n_cores / 3600.0

    cost = {"galaxies": args.galaxies, "reference": REF, "run_s": ref["run_s"],
            "compile_s": ref["compile_s"], "jobs": jobs,
            "hours_this_machine": hours(cores), "cores_this_machine": cores,
            "hours_cluster": hours(args.nodes * args.cores_per_node),
            "cluster": {"nodes": args.nodes, "cores_per_node": args.cores_per_node}}
    print("\nexponents (seconds ~ variable^k):")
    for k, v in exps.items():
        print(f"  {k:27s} {v:+.2f}" if v is not None else f"  {k:27s} --")
    print(f"{args.galaxies:.0e} galaxies at S {REF['size']}, {REF['sources']} sources, "
          f"{REF['bands']} bands: {cost['hours_this_machine']:.1f} h on this machine "
          f"({cores} cores), {cost['hours_cluster']:.2f} h on {args.nodes} x "
          f"{args.cores_per_node} cores")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "sweeps": sweeps, "exponents": exps,
                               "cost": cost}, indent=1))


if __name__ == "__main__":
    main()

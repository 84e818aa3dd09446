"""Bench: 32 synthetic 5-band 64x64 scenes (two Sersics + a star) fitted one after another in
one process (one compile for their shared structure, timed apart), against scarlet2 0.5.1 on the
first of the same scenes from the same starts, in the same run.

Run: `make bench` (creates scarlet2's own environment, .bench/scarlet2/, from
bench/scarlet2-requirements.txt), or .venv/bin/python bench/fit_vs_scarlet2.py --json
[--scarlet2-python PATH | --no-scarlet2] [--method sequential|map|vmap] [--float32]. Without
scarlet2 the ratio is not computed: no scarlet2 number is ever quoted from another run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from dustscene._jax import configure_jax
from dustscene.inference import FitSettings, fit, fit_batch
from dustscene.scene import (
    Component,
    Frame,
    FreeSpectrum,
    Observation,
    PointSourceMorphology,
    Scene,
    SersicMorphology,
    from_vector,
    gaussian_psf,
    n_free,
    to_vector,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JSON = str(ROOT / "bench" / "results" / "fit_vs_scarlet2.json")
# created by `make bench` (Makefile target .bench/scarlet2/.installed)
SCARLET2_PYTHON = str(ROOT / ".bench" / "scarlet2" / "bin" / "python")


# the truth's Sersic pixel integration (sub-pixels per side); fits may use fewer (--oversample)
TRUTH_OVERSAMPLE = 4


def scene(frame: Frame, p: np.ndarray, oversample: int = TRUTH_OVERSAMPLE) -> Scene:
    g1 = Component(
        FreeSpectrum(p[0:5]),
        SersicMorphology(p[5:7], n=p[7], r_e=p[8], q=0.7, theta=0.3, oversample=oversample),
    )
    g2 = Component(
        FreeSpectrum(p[9:14]),
        SersicMorphology(p[14:16], n=p[16], r_e=p[17], q=0.5, theta=1.2, oversample=oversample),
    )
    star = Component(FreeSpectrum(p[18:23]), PointSourceMorphology(p[23:25]))
    return Scene(frame, (g1, g2, star))


def run_scarlet2(python: str, scenes_path: str, n: int, timeout: float) -> list[dict]:
    """scarlet2 in its own interpreter (bench/scarlet2_runner.py) on the first `n` scenes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scarlet2.json"
        runner = Path(__file__).with_name("scarlet2_runner.py")
        try:
            subprocess.run(
                [python, str(runner), scenes_path, str(out), str(n)], check=True, timeout=timeout
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
            raise SystemExit(f"scarlet2 run failed ({python}): {err}") from err
        return json.loads(out.read_text())


def make_scenes(n_scenes: int, seed: int, scenes_path: str, oversample: int = TRUTH_OVERSAMPLE):
    """The bench scenes (truth + noise) and their perturbed starts; also written for scarlet2.
    The truth is rendered at TRUTH_OVERSAMPLE; the returned fit template at `oversample`."""
    rng = np.random.default_rng(seed)
    frame = Frame("grizy", (64, 64), psf_sigma=0.8)
    psf = np.stack([np.asarray(gaussian_psf(s, 25)) for s in (2.0, 1.9, 1.8, 1.8, 1.9)])
    sigma = np.array([0.03, 0.04, 0.05, 0.1, 0.2])
    var = np.broadcast_to((sigma**2)[:, None, None], (5, 64, 64))
    truth_p = np.concatenate(
        [
            [20, 30, 40, 45, 50],
            [30.3, 24.6],
            [1.0],
            [6.0],
            [5, 8, 10, 12, 13],
            [38.2, 40.7],
            [2.5],
            [2.5],
            [3, 3, 3, 3, 3],
            [14.4, 48.2],
        ]
    )
    obs, u0, perts = [], [], []
    for _ in range(n_scenes):
        truth = scene(frame, truth_p)
        clean = Observation.from_variance(np.zeros((5, 64, 64)), var, psf, frame).render(truth)
        data = np.asarray(clean) + rng.normal(size=clean.shape) * sigma[:, None, None]
        obs.append(Observation.from_variance(data, var, psf, frame))
        pert = truth_p.copy()
        pert[[0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 18, 19, 20, 21, 22]] *= rng.uniform(0.8, 1.2, 15)
        pert[[5, 6, 14, 15, 23, 24]] += rng.uniform(-0.5, 0.5, 6)
        pert[[7, 8, 16, 17]] *= rng.uniform(0.8, 1.2, 4)
        u0.append(np.asarray(to_vector(scene(frame, pert))))
        perts.append(pert)
    np.savez(
        scenes_path,
        data=np.stack([np.asarray(o.data) for o in obs]),
        var=np.broadcast_to(var, (n_scenes, *var.shape)),
        psf=psf,
        start=np.stack(perts),
    )
    return scene(frame, truth_p, oversample), obs, np.stack(u0)


def main(
    n_scenes: int = 32,
    seed: int = 0,
    scarlet2_python: str | None = SCARLET2_PYTHON,
    scarlet2_scenes: int = 4,
    method: str = "sequential",
    float32: bool = False,
    json_path: str | None = None,
    oversample: int = TRUTH_OVERSAMPLE,
) -> dict:
    """Fit the bench scenes with dustscene, then (unless `scarlet2_python` is None) the first
    `scarlet2_scenes` of them with scarlet2; print both and their measured throughput ratio."""
    if scarlet2_python is not None and not Path(scarlet2_python).is_file():
        raise SystemExit(
            f"scarlet2 interpreter not found: {scarlet2_python} (`make bench` creates it from "
            "bench/scarlet2-requirements.txt; --no-scarlet2 times dustscene alone)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        return _run(n_scenes, seed, scarlet2_python, scarlet2_scenes, str(Path(tmp) / "scenes.npz"),
                    method, float32, json_path, oversample)


def fit_scenes(template: Scene, obs: list[Observation], u0: np.ndarray, settings: FitSettings,
               method: str) -> tuple[list, float, float | None, list[float]]:
    """Fit every scene: (results, total seconds, compile seconds or None, run seconds per
    scene), with compilation apart where the method allows it.

    "sequential": one `fit` call per scene, as a survey job fits its galaxies one after
    another; the scenes share one structure, so the first call compiles and the others reuse
    it. Scene 0 is fitted twice: compile = its first wall time minus its second. Total = the
    first call plus every other scene's call (what the job pays). "map" / "vmap": one batched
    call (`fit_batch`); its wall time (compile included) is shared equally, nothing apart.
    """
    n = len(obs)
    if method == "sequential":
        starts = [from_vector(template, jnp.asarray(u)) for u in u0]
        t0 = time.perf_counter()
        first = fit(starts[0], obs[0], settings)
        first_s = time.perf_counter() - t0
        results, run_s = [], []
        for k in range(n):
            t0 = time.perf_counter()
            results.append(fit(starts[k], obs[k], settings))
            run_s.append(time.perf_counter() - t0)
        if int(first.n_steps) != int(results[0].n_steps):  # same start: the same fit
            raise RuntimeError("scene 0 fitted twice took different step counts: the compile "
                               "cannot be timed as the difference of the two")
        compile_s = max(first_s - run_s[0], 0.0)
        total = first_s + sum(run_s[1:])
    else:
        t0 = time.perf_counter()
        results = fit_batch(template, obs, u0, settings, method=method)
        total = time.perf_counter() - t0
        compile_s, run_s = None, [total / n] * n
    return results, total, compile_s, run_s


def _run(n_scenes, seed, scarlet2_python, scarlet2_scenes, scenes_path, method, float32,
         json_path, oversample) -> dict:
    configure_jax(enable_x64=not float32)
    template, obs, u0 = make_scenes(n_scenes, seed, scenes_path, oversample)
    settings = FitSettings(adam_steps=0, lbfgs_steps=200, window=5, rtol=1e-9)
    results, total, compile_s, run_s = fit_scenes(template, obs, u0, settings, method)
    npar = n_free(template)
    dev = jax.devices()[0]
    dtype = "float32" if float32 else "float64"
    print(
        f"dustscene fit ({method}, {dtype}, Sersic oversample {oversample}): {n_scenes} scenes, "
        f"{npar} free parameters each, device {dev}; L-BFGS (Gauss-Newton preconditioned) from "
        "the start"
    )
    if compile_s is not None:
        print(f"compile (once for the shared structure): {compile_s:.1f} s")
    print("scene  steps  converged  run_s  chi2/dof")
    chi2s, steps = [], []
    for k, r in enumerate(results):
        chi2 = float(obs[k].chi2(r.scene)) / (obs[k].n_pixels - npar)
        chi2s.append(chi2)
        steps.append(int(r.n_steps))
        print(f"{k:5d}  {int(r.n_steps):5d}  {bool(r.converged)!s:9s}  {run_s[k]:5.2f}  "
              f"{chi2:.4f}")
    per = total / n_scenes
    print(
        f"dustscene total wall time (compile included): {total:.1f} s = {per:.2f} s per scene; "
        f"chi2/dof median {np.median(chi2s):.4f} max {np.max(chi2s):.4f}"
    )
    out = {
        # per_scene_s: each scene's share of the total, compile included (figure 8 draws it)
        "dustscene": {"per_scene_s": [per] * n_scenes, "chi2_dof": chi2s, "steps": steps,
                      "run_s": run_s, "compile_s": compile_s, "total_s": total,
                      "method": method, "dtype": dtype, "oversample": oversample},
        "n_scenes": n_scenes,
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cpus visible, jax device {dev}",
    }
    s2 = (None if scarlet2_python is None else
          run_scarlet2(scarlet2_python, scenes_path, min(scarlet2_scenes, n_scenes), 3000))
    if s2:
        print(
            "scarlet2 0.5.1 MEASURED here (same scenes, same start, "
            "its fit(max_iter=3000, e_rel=1e-4), compile included):"
        )
        print("scene  wall_s  steps  chi2/dof  dustscene_chi2/dof")
        for r in s2:
            print(
                f"{r['scene']:5d}  {r['wall_s']:6.1f}  {r['steps']:5d}  {r['chi2_per_dof']:.4f}  "
                f"{chi2s[r['scene']]:.4f}"
            )
        s2_per = float(np.mean([r["wall_s"] for r in s2]))
        s2_chi = float(np.median([r["chi2_per_dof"] for r in s2]))
        ds_chi = float(np.median([chi2s[r["scene"]] for r in s2]))
        worst = max(chi2s[r["scene"]] - r["chi2_per_dof"] for r in s2)
        ratio = s2_per / per
        # the same scenes, set-up apart: scarlet2's wall minus its scene building (its fit's
        # compile stays in the first scene) against dustscene's run seconds (compile apart)
        s2_run = float(np.mean([r["wall_s"] - r["build_s"] for r in s2]))
        ds_run = float(np.mean([run_s[r["scene"]] for r in s2]))
        print(f"run only, same {len(s2)} scenes: scarlet2 {s2_run:.2f} vs dustscene {ds_run:.2f} s "
              f"per scene, {s2_run / ds_run:.1f}x")
        print(
            f"MEASURED throughput ratio dustscene/scarlet2: {ratio:.1f}x "
            f"({s2_per:.1f} vs {per:.2f} s per scene); median chi2/dof on those scenes "
            f"scarlet2 {s2_chi:.4f} vs dustscene {ds_chi:.4f}; worst per-scene "
            f"dustscene - scarlet2 chi2/dof {worst:+.4f} (target <= +0.01, ratio >= 30)"
        )
        out["scarlet2"] = {
            "per_scene_s": [r["wall_s"] for r in s2],
            "chi2_dof": [r["chi2_per_dof"] for r in s2],
            "steps": [r["steps"] for r in s2],
            "build_s": [r["build_s"] for r in s2],
        }
        out["ratio"] = ratio
        out["ratio_run_only_same_scenes"] = s2_run / ds_run
        out["ratio_source"] = "measured in this run"
    else:
        print("scarlet2 not run (--no-scarlet2): no throughput ratio")
        out["scarlet2"] = None
        out["ratio"] = None
        out["ratio_source"] = "scarlet2 not run"
    if json_path:
        from dustscene.io.atomic import write_json_atomic

        write_json_atomic(json_path, out)
        print(f"wrote {json_path}")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-scenes", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scarlet2-python", default=SCARLET2_PYTHON,
                    help="scarlet2's interpreter (default: the one `make bench` creates)")
    ap.add_argument("--no-scarlet2", action="store_true", help="time dustscene alone")
    ap.add_argument("--scarlet2-scenes", type=int, default=4)
    ap.add_argument("--method", choices=("sequential", "map", "vmap"), default="sequential")
    ap.add_argument("--float32", action="store_true", help="fit in float32 (default float64)")
    ap.add_argument("--oversample", type=int, default=TRUTH_OVERSAMPLE,
                    help="Sersic sub-pixels per side in the fits (the truth uses "
                    f"{TRUTH_OVERSAMPLE})")
    ap.add_argument(
        "--json", nargs="?", const=DEFAULT_JSON, default=None,
        help=f"write the table as JSON (default path {DEFAULT_JSON})",
    )
    a = ap.parse_args()
    main(a.n_scenes, a.seed, None if a.no_scarlet2 else a.scarlet2_python, a.scarlet2_scenes,
         a.method, a.float32, a.json, a.oversample)

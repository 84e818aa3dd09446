"""Benchmark: what reusing compiled programs across mock fits is worth, measured as the workflow's
fit jobs run: one process per fit, all sharing one compile cache (`use_compilation_cache`).

    .venv/bin/python bench/mock_fit_cache.py [--seed 1] [--scenes 0 1 11] [--threads 1]
        [--json [PATH]]

Draws suite mocks (`--scenes` of `--seed`; with the default suite, scenes 0 and 1 are one galaxy
at two inclinations, scene 11 another galaxy) and fits them with the workflow's `fit.mocks`
default, in order, each in a fresh process: the first with an empty cache (cold), then the
others, then the first again with every program it needs in the cache (warm). Prints each
process's wall seconds and how many compiled programs it added to the cache. cold / warm is
the most that compiling once per scene structure could give a mock fit; the middle processes
show what mocks of other shapes share today. Files go to `--out` (default
bench/results/mock_fit_cache/); the cache is emptied at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(mock: str, fit_path: str, cache: str, cfg_json: str, threads: int) -> None:
    """Fit one mock in this process with the shared cache; print the fit's attributes."""
    from dustscene._jax import configure_jax

    configure_jax(threads=threads)
    from dustscene.inference.run import run_fit_file, use_compilation_cache

    use_compilation_cache(cache)
    attrs = run_fit_file(mock, fit_path, json.loads(cfg_json))
    print(json.dumps({k: attrs[k] for k in ("chi2_per_dof", "n_params", "n_steps",
                                            "fit_seconds", "wall_seconds")}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default=str(ROOT / "simulations" / "nihao_like.yaml"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenes", type=int, nargs="+", default=[0, 1, 11])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "mock_fit_cache"))
    ap.add_argument("--json", nargs="?", const="bench/results/mock_fit_cache.json", default=None,
                    help="also write the numbers to this JSON file")
    ap.add_argument("--worker", nargs=4, metavar=("MOCK", "FIT", "CACHE", "CONFIG"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker, threads=args.threads)
        return

    # bench/ siblings: the workflow's fit.mocks default and the suite mocks with their SSP table
    from dust_recovery import mock_default, suite_mocks

    from dustscene._jax import configure_jax
    from dustscene.config import load_yaml
    from dustscene.fitconfig import with_suite_population

    configure_jax(threads=args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suite = load_yaml(args.suite)
    ssp, mocks = suite_mocks(out, suite, args.seed, args.scenes)
    cfg = with_suite_population({**mock_default(), "ssp_table": str(ssp)}, suite)
    cache = out / "jax_cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "bench")}
    rows = []
    for label, mock in [("cold", mocks[0]), *(("other", m) for m in mocks[1:]),
                        ("warm", mocks[0])]:
        before = sum(1 for _ in cache.iterdir())
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--threads", str(args.threads), "--worker", str(mock),
             str(out / f"fit_{mock.stem}.h5"), str(cache), json.dumps(cfg)],
            env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode:
            sys.exit(f"mock_fit_cache: fit of {mock} failed:\n{proc.stderr[-3000:]}")
        attrs = json.loads(proc.stdout.strip().splitlines()[-1])
        row = {"process": label, "mock": mock.name, "process_seconds": wall,
               "programs_added": sum(1 for _ in cache.iterdir()) - before, **attrs}
        rows.append(row)
        print(f"{label:5s} {mock.name}: {wall:6.1f} s process, {attrs['fit_seconds']:5.1f} s "
              f"fit, {row['programs_added']:3d} programs added, {attrs['n_params']} parameters, "
              f"chi2/dof {attrs['chi2_per_dof']:.4f}", flush=True)
    ratio = rows[0]["process_seconds"] / rows[-1]["process_seconds"]
    others = [r["process_seconds"] for r in rows[1:-1]]
    print(f"cold / warm (the same mock): {ratio:.2f}x; other mocks after the first: "
          f"{', '.join(f'{s:.1f}' for s in others)} s")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(
            {"rows": rows, "cold_over_warm": ratio, "seed": args.seed, "scenes": args.scenes,
             "threads": args.threads}, indent=1))


if __name__ == "__main__":
    main()

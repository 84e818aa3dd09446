"""Dust recovery of the mock fits, the workflow's default against a baseline, in the same run.

Draws suite mocks (any seeds and scene indices), fits each with the workflow's `fit.mocks`
default and with that default updated by `--baseline` (JSON), validates both with
`validate_scene` and prints the pooled observable dust metrics side by side:

    .venv/bin/python bench/dust_recovery.py --seeds 1 2 --scenes 0 4 8 12 16 19 \\
        --baseline '{"birth_clouds": false, "population": null}'

Laplace sigmas are off (point metrics only; `--laplace` turns them on). Takes ~30 s per fit on 2
cores; files go to `--out` (default bench/results/dust_recovery/).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dustscene._jax import configure_jax
from dustscene.config import load_yaml
from dustscene.fitconfig import with_suite_population
from dustscene.inference.run import run_fit_file
from dustscene.mocks.io import write_scene
from dustscene.mocks.scene import make_scene
from dustscene.mocks.sed_link import ssp_component_fluxes
from dustscene.sed import build_ssp_table
from dustscene.validation.dust import validate_scene
from dustscene.validation.summary import aggregate

ROOT = Path(__file__).resolve().parents[1]


def mock_default() -> dict:
    """The workflow's fit.mocks default (its one home: the config schema)."""
    schema = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    return dict(schema["properties"]["fit"]["properties"]["mocks"]["default"])


def suite_mocks(
    out: Path, suite: dict, seed: int, scenes: list[int]
) -> tuple[Path, list[Path]]:
    """The SSP table under `out` (built once) and the suite's mocks `scenes` of `seed` there
    (drawn once, then reused)."""
    ssp = out / "ssp_table.h5"
    if not ssp.exists():
        build_ssp_table(ssp)
    fluxes = ssp_component_fluxes(ssp)
    mocks = []
    for index in scenes:
        mock = out / f"mock_s{seed}_{index:03d}.h5"
        if not mock.exists():
            write_scene(mock, make_scene(suite, scene_index=index, seed=seed,
                                         component_fluxes_fn=fluxes))
        mocks.append(mock)
    return ssp, mocks


def headline(metrics: dict) -> dict[str, float]:
    """The dust targets' numbers of a pooled `aggregate` result."""
    d = metrics["dust"]
    a_g, ebv = d["a_band_observable"]["g"], d["ebv_resolved"]
    return {
        "a_g pearson_r": a_g["pearson_r"], "a_g slope": a_g["slope"], "a_g bias": a_g["bias"],
        "ebv_resolved pearson_r": ebv["pearson_r"], "ebv_resolved bias": ebv["bias"],
        "ebv_resolved nmad": ebv["nmad"],
        "A_g integrated median |err|": d["a_band_integrated"]["g"]["median_abs_err"],
        "dust-free flux err median": d["dustfree_flux_frac_err_median"],
        "chi2/dof median": metrics["fit"]["chi2_per_dof_median"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default=str(ROOT / "simulations" / "nihao_like.yaml"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--scenes", type=int, nargs="+", default=[0, 4, 8, 12, 16, 19])
    ap.add_argument("--baseline", default='{"birth_clouds": false, "population": null}')
    ap.add_argument("--laplace", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "dust_recovery"))
    args = ap.parse_args()
    configure_jax()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suite = load_yaml(args.suite)
    ssp = out / "ssp_table.h5"
    default = with_suite_population(
        {**mock_default(), "ssp_table": str(ssp), "laplace": bool(args.laplace)}, suite)
    configs = {"default": default, "baseline": {**default, **json.loads(args.baseline)}}
    records: dict[str, list] = {name: [] for name in configs}
    for seed in args.seeds:
        _, mocks = suite_mocks(out, suite, seed, args.scenes)
        for index, mock in zip(args.scenes, mocks, strict=True):
            for name, cfg in configs.items():
                fit_path = out / f"fit_{name}_s{seed}_{index:03d}.h5"
                run_fit_file(mock, fit_path, cfg)
                rec = validate_scene(mock, fit_path)
                records[name].append(rec)
                print(f"seed {seed} scene {index} {name}: chi2/dof {rec.chi2_per_dof:.3f}",
                      flush=True)
    rows = {name: headline(aggregate(recs, {})) for name, recs in records.items()}
    print(f"\n{'metric':32s} {'baseline':>10s} {'default':>10s}")
    for key in rows["default"]:
        print(f"{key:32s} {rows['baseline'][key]:10.3f} {rows['default'][key]:10.3f}")
    (out / "summary.json").write_text(json.dumps({"args": vars(args), "metrics": rows}, indent=1))


if __name__ == "__main__":
    main()

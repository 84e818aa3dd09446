"""Benchmark: seconds per galaxy for 10,000 amortized flow samples vs NUTS on the same simulator.

Run: .venv/bin/python bench/sedflow.py [--flows results/sedflow/flows.json]
     [--ssp results/sed/ssp_table.h5] [--n-flow 50] [--n-nuts 3 (0: flow only)] [--threads 1]
     [--json [PATH]]   (PATH defaults to bench/results/sedflow.json)
Flow: galaxies drawn from the flows' prior box, 10,000 samples each, batched
(`sample_posteriors`); the median of --repeats timings.
NUTS: one chain, 500 warm-up + 1000 draws, dense mass, the same JAX photometry and a Gaussian
likelihood; the first (compiling) galaxy is run once untimed. --chains K (K > 1) times instead
the reference configuration of calibrate_sedflow: K vectorised chains per galaxy from prior
draws, `run_nuts_batch` (e.g. --chains 4 --warmup 400 --samples 400, the default config's).
Prints a JSON line and, with --json, writes {flow_s_per_galaxy, nuts_s_per_galaxy, ratio,
n_galaxies, n_samples, ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics

import numpy as np
import torch

from dustscene._jax import configure_jax


def main() -> None:
    """Parse arguments, time both samplers, print seconds per galaxy and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", default="results/sedflow/flows.json")
    ap.add_argument("--ssp", default="results/sed/ssp_table.h5")
    ap.add_argument("--n-flow", type=int, default=50)
    ap.add_argument("--n-nuts", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--chains", type=int, default=1)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="flow timings (median reported)")
    ap.add_argument("--json", nargs="?", const="bench/results/sedflow.json", default=None,
                    help="also write the numbers to this JSON file")
    a = ap.parse_args()
    if a.json and a.n_nuts < 1:
        ap.error("--json needs --n-nuts >= 1 (figure 8 reads nuts_seconds_per_galaxy)")
    configure_jax(threads=a.threads)
    torch.set_num_threads(a.threads)

    from dustscene.sed import load_filters, load_ssp_table
    from dustscene.sedflow import load_ensemble, run_nuts, sample_posteriors
    from dustscene.sedflow.nuts import run_nuts_batch
    from dustscene.sedflow.simulator import rng_for, simulate

    ens = load_ensemble(a.flows)
    table = load_ssp_table(a.ssp)
    filters = load_filters(ens.survey, ens.noise.bands)
    ranges = {k: tuple(v) for k, v in ens.meta.get("ranges", {}).items()}
    sim = simulate(rng_for(a.seed, 999_999), max(a.n_flow, a.n_nuts + 1), table, filters,
                   ens.noise, ranges)
    sample_posteriors(ens, sim.x[:2], 10_000)  # warm-up
    runs = [sample_posteriors(ens, sim.x[: a.n_flow], 10_000, seed=a.seed + r)
            for r in range(max(1, a.repeats))]
    post = runs[0]
    flow_all = [p.seconds / a.n_flow for p in runs]
    flow_s = statistics.median(flow_all)

    def nuts(i: int) -> float:
        if a.chains > 1:
            init = np.random.default_rng([a.seed, i]).uniform(ens.low, ens.high, (1, a.chains,
                                                                                  len(ens.low)))
            return run_nuts_batch(sim.flux[i : i + 1], sim.sigma[i : i + 1],
                                  sim.redshift[i : i + 1], ens.low, ens.high, table, filters,
                                  seed=a.seed + i, init=init, num_warmup=a.warmup,
                                  num_samples=a.samples).seconds
        res = run_nuts(sim.flux[i], sim.sigma[i], float(sim.redshift[i]), ens.low, ens.high,
                       table, filters, seed=a.seed + i, num_warmup=a.warmup,
                       num_samples=a.samples)
        return res.seconds

    nuts_s = None
    if a.n_nuts > 0:  # --n-nuts 0: the flow alone (e.g. comparing flow architectures)
        nuts(0)  # compile
        nuts_s = statistics.median(nuts(i) for i in range(1, a.n_nuts + 1))
    row = {
        "flow_s_per_galaxy": flow_s, "nuts_s_per_galaxy": nuts_s,
        "ratio": nuts_s / flow_s if nuts_s is not None else None,
        "flow_s_per_galaxy_repeats": flow_all,
        # the same numbers under the names the speed figure reads (plots/paper_data.py)
        "flow_seconds_per_galaxy_10k": flow_s, "nuts_seconds_per_galaxy": nuts_s,
        "n_galaxies": a.n_flow, "n_samples": 10_000, "n_nuts_galaxies": a.n_nuts,
        "nuts_steps": a.warmup + a.samples, "nuts_chains": a.chains,
        "flow_members": len(ens.flows),
        "flow_spec": ens.meta.get("spec"), "threads": a.threads,
        "flagged": int(np.count_nonzero(post.flags)), "machine": platform.processor()
        or platform.machine(), "torch": torch.__version__,
        "load_average_1min": os.getloadavg()[0],  # shared machines slow both samplers
    }
    print(json.dumps(row))
    if a.json:
        from pathlib import Path

        from dustscene.io.atomic import write_json_atomic

        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(a.json, row)


if __name__ == "__main__":
    main()

"""The SEDflow paper's flow family against the configured flow, trained in one run on the same
simulations.

The baseline is sbi's default masked autoregressive flow (nflows; Papamakarios et al. 2017),
the family SEDflow used (Hahn & Melchior 2022, arXiv:2203.07391): 5 MADE transforms of width 50,
theta z-scored. The configured flow is `sedflow.flow` of the config (a zuko coupling MAF that maps
theta into the prior box first). Both train with the same loop (`dustscene.sedflow.train.
train_flow`: Adam, cosine schedule, early stopping) on the first --n-train rows of a training
set; the last --n-test rows are held out. Printed per flow: held-out -log q, the fraction of
posterior draws outside the prior box, marginal 68 / 95 % coverage over --n-cov held-out
galaxies, and seconds per galaxy for 10,000 draws through each estimator's own `sample` on one
thread (the pipeline samples the configured flow with its faster `sedflow.fastsample`, timed by
bench/sedflow.py); then configured against baseline.

    .venv/bin/python bench/sedflow_baseline.py --train results/sedflow/training_set.h5

The defaults are the default config's training size and epochs; about 10 min on one thread.
Results also go to --json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from dustscene.config import load_yaml
from dustscene.sedflow.calibration import marginal_coverage
from dustscene.sedflow.dataset import read_simulation, split_holdout
from dustscene.sedflow.parameters import theta_bounds
from dustscene.sedflow.train import FlowSpec, TrainConfig, train_flow

ROOT = Path(__file__).resolve().parents[1]
BASELINE = FlowSpec(model="maf", hidden_features=50, num_transforms=5, z_score_theta="independent")


def configured_spec(config: Path) -> FlowSpec:
    """`sedflow.flow` of a config file (the schema's defaults fill what it leaves out)."""
    schema = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    default = schema["properties"]["sedflow"]["properties"]["flow"].get("default", {})
    block = {**default, **load_yaml(config).get("sedflow", {}).get("flow", {})}
    return FlowSpec(**block)


def draws(net: torch.nn.Module, x: np.ndarray, n: int) -> np.ndarray:
    """(galaxy, n, theta) posterior draws of the density estimator for each row of x."""
    with torch.no_grad():
        s = net.sample((n,), condition=torch.as_tensor(x, dtype=torch.float32))
    return np.swapaxes(s.numpy(), 0, 1)


def score(net: torch.nn.Module, test, low: np.ndarray, high: np.ndarray, n_cov: int,
          n_time: int, seed: int) -> dict[str, float]:
    """Held-out -log q, leakage out of the box, marginal coverage, seconds per galaxy."""
    torch.manual_seed(seed)
    th = torch.as_tensor(test.theta, dtype=torch.float32)
    x = torch.as_tensor(test.x, dtype=torch.float32)
    with torch.no_grad():
        nlq = float(torch.cat([net.loss(th[i:i + 4096], condition=x[i:i + 4096])
                               for i in range(0, th.shape[0], 4096)]).mean())
    s = draws(net, test.x[:n_cov], 2000)
    outside = float(np.mean(np.any((s < low) | (s > high), axis=-1)))
    cov = {lvl: float(np.mean([marginal_coverage(s[g], test.theta[g][None], lvl)
                               for g in range(n_cov)])) for lvl in (0.68, 0.95)}
    draws(net, test.x[:2], 10_000)  # warm-up
    t0 = time.perf_counter()
    for g in range(n_time):
        draws(net, test.x[g:g + 1], 10_000)
    sec = (time.perf_counter() - t0) / n_time
    return {"heldout_neg_log_q": nlq, "frac_draws_outside_box": outside,
            "coverage_68": cov[0.68], "coverage_95": cov[0.95], "s_per_galaxy_10k": sec}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default="results/sedflow/training_set.h5")
    ap.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    ap.add_argument("--n-train", type=int, default=200_000)
    ap.add_argument("--n-test", type=int, default=5_000)
    ap.add_argument("--n-cov", type=int, default=200)
    ap.add_argument("--n-time", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "sedflow_baseline.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    sim, attrs = read_simulation(args.train)
    train, test = split_holdout(sim, args.n_test)
    low, high = theta_bounds(attrs["ranges"])
    cfg = TrainConfig(max_epochs=args.epochs, learning_rate=0.002)
    rows = {}
    for name, spec in (("baseline_nflows_maf", BASELINE),
                       ("configured", configured_spec(Path(args.config)))):
        net, summary = train_flow(train.theta[:args.n_train], train.x[:args.n_train], low, high,
                                  args.seed, spec, cfg)
        rows[name] = {"spec": dataclasses.asdict(spec), "epochs": summary["epochs"],
                      "train_seconds": summary["seconds"],
                      **score(net, test, low, high, args.n_cov, args.n_time, args.seed)}
        print(name, json.dumps({k: v for k, v in rows[name].items() if k != "spec"}), flush=True)
    b, c = rows["baseline_nflows_maf"], rows["configured"]
    ratio = {"sampling_speedup": b["s_per_galaxy_10k"] / c["s_per_galaxy_10k"],
             "delta_heldout_neg_log_q": c["heldout_neg_log_q"] - b["heldout_neg_log_q"]}
    print(f"configured vs baseline: sampling {ratio['sampling_speedup']:.2f}x faster, held-out "
          f"-log q {ratio['delta_heldout_neg_log_q']:+.3f} nats")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "flows": rows, "ratio": ratio}, indent=1))


if __name__ == "__main__":
    main()

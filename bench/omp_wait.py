"""Bench: a 2-thread torch training loop alone and next to busy processes, with OpenMP's
default wait policy against OMP_WAIT_POLICY=PASSIVE, in the same run.

Run: .venv/bin/python bench/omp_wait.py [--threads 2] [--busy 2] [--seconds 8] [--json [PATH]]
On oversubscribed cores (a 2-thread training next to other jobs, or two seeds of a sweep side
by side) OpenMP threads spin at each barrier while the thread they wait for is descheduled; the
passive policy sleeps instead. The loop is a small MLP with Adam on 512-row batches, the scale
of one SED-flow training step (dustscene.sedflow.train). Prints steps per second for the four
cases and the ratios PASSIVE / default, busy and alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def child(threads: int, seconds: float) -> None:
    """The timed loop (run in a fresh interpreter, so the wait policy is read at start-up)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(15, 48), torch.nn.ReLU(), torch.nn.Linear(48, 48), torch.nn.ReLU(),
        torch.nn.Linear(48, 20),
    )
    opt = torch.optim.Adam(net.parameters())
    x, y = torch.randn(512, 15), torch.randn(512, 20)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        n += 1
    print(json.dumps({"steps_per_s": n / (time.perf_counter() - t0)}))


def timed(policy: str | None, threads: int, seconds: float) -> float:
    """Steps per second of the loop in a new process under `policy` (None: OpenMP's default)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--threads", str(threads), "--seconds", str(seconds)],
        env=env, check=True, capture_output=True, text=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["steps_per_s"])


def busy_processes(n: int) -> list[subprocess.Popen]:
    """`n` processes that each keep one core busy until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--busy", type=int, default=2, help="busy processes next to the loop")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", nargs="?", const=str(RESULTS / "omp_wait.json"), default=None)
    a = ap.parse_args()
    if a.child:
        child(a.threads, a.seconds)
        return
    rows = {}
    for load in ("alone", "busy"):
        procs = busy_processes(a.busy) if load == "busy" else []
        try:
            for policy in (None, "PASSIVE"):
                rows[f"{load}_{policy or 'default'}"] = timed(policy, a.threads, a.seconds)
        finally:
            for p in procs:
                p.kill()
                p.wait()
    for name, v in rows.items():
        print(f"{name:16s} {v:9.0f} steps/s")
    ratio_busy = rows["busy_PASSIVE"] / rows["busy_default"]
    ratio_alone = rows["alone_PASSIVE"] / rows["alone_default"]
    print(f"PASSIVE / default: {ratio_busy:.1f}x with {a.busy} busy processes, "
          f"{ratio_alone:.2f}x alone ({a.threads} torch threads, {os.cpu_count()} cpus)")
    if a.json:
        from dustscene.io.atomic import write_json_atomic

        write_json_atomic(a.json, {"steps_per_s": rows, "ratio_busy": ratio_busy,
                                   "ratio_alone": ratio_alone, "threads": a.threads,
                                   "busy": a.busy, "cpus": os.cpu_count()})
        print(f"wrote {a.json}")


if __name__ == "__main__":
    main()

"""Benchmark: wall time and peak memory of a whole workflow run, against its target.

Run: .venv/bin/python bench/pipeline.py [--config-file config/ci.yaml] [--cores 2]
         [--target all] [--keep DIR] [--json PATH]

Runs `snakemake <target>` on the config in a fresh temporary directory (`--directory`, the
laptop profile ignored), samples the summed resident memory of the whole process tree
(Snakemake and every job) every 0.2 s, and prints: wall seconds, peak tree memory, the largest
single process (getrusage RUSAGE_CHILDREN), the ten slowest rule instances from
results/benchmarks/**/*.tsv, and the ratios against the wall-time targets: the default
config within 12 min and 4 GiB on 2 cores, the ci config within 3 min. Timings depend on the
machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil  # a Snakemake dependency

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
GIB = 1024**3
TARGET_S = {"ci.yaml": 3 * 60, "config.yaml": 12 * 60}  # wall-time targets
TARGET_MEM = 4 * GIB  # memory target, stated for the default config


class TreeMemory(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants, sampled periodically."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.peak = psutil.Process(pid), interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def rule_times(workdir: Path) -> list[tuple[float, float, str]]:
    """(seconds, max_rss MB, benchmark file) of every Snakemake benchmark TSV, slowest first."""
    rows = []
    for tsv in sorted((workdir / "results" / "benchmarks").rglob("*.tsv")):
        with open(tsv) as fh:
            for rec in csv.DictReader(fh, delimiter="\t"):
                rss = rec.get("max_rss", "NA")
                mb = float(rss) if rss not in ("NA", "-") else float("nan")
                rows.append((float(rec["s"]), mb,
                             str(tsv.relative_to(workdir / "results" / "benchmarks"))))
    return sorted(rows, reverse=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config-file", default="config/ci.yaml")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--target", default="all")
    ap.add_argument("--keep", help="run in this (new) directory and keep it")
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    a = ap.parse_args()
    config = (REPO / a.config_file).resolve()
    if not config.is_file():
        ap.error(f"config file {config} not found")
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="dustscene_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        ap.error(f"{work} is not empty: the run must start fresh")
    cmd = [str(SNAKEMAKE), a.target, "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--workflow-profile", "none", "--cores", str(a.cores), "--configfile", str(config)]
    print("running:", " ".join(cmd), flush=True)
    log = work.parent / f"{work.name}.snakemake.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        mem = TreeMemory(proc.pid)
        mem.start()
        rc = proc.wait()
        mem.stop()
    wall = time.perf_counter() - t0
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    if rc != 0:
        print(f"snakemake failed (exit {rc}); log: {log}")
        print(log.read_text()[-3000:])
        return rc
    rows = rule_times(work)
    target = TARGET_S.get(config.name)
    cpu = psutil.cpu_count()
    load = os.getloadavg()
    print(f"\nconfig {config.name}, target `{a.target}`, --cores {a.cores} "
          f"(machine: {cpu} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})")
    print(f"wall time: {wall:.1f} s ({wall / 60:.2f} min)")
    print(f"peak memory, whole process tree (sampled 0.2 s): {mem.peak / GIB:.2f} GiB")
    print(f"largest single process (ru_maxrss): {largest / GIB:.2f} GiB")
    print(f"sum of rule benchmark seconds: {sum(r[0] for r in rows):.1f} s over {len(rows)} jobs")
    print("\nten slowest rule instances (results/benchmarks):")
    print(f"{'seconds':>9}  {'max_rss MB':>10}  benchmark")
    for s, rss, name in rows[:10]:
        print(f"{s:9.1f}  {rss:10.0f}  {name}")
    result = {"config": config.name, "target": a.target, "cores": a.cores, "wall_seconds": wall,
              "peak_tree_rss_bytes": mem.peak, "largest_process_rss_bytes": largest,
              "cpus": cpu, "loadavg": list(load), "slowest_rules": rows[:10]}
    if target:
        print(f"\ntarget {target / 60:.0f} min: wall / target = {wall / target:.2f} "
              f"({'within' if wall <= target else 'OVER'} target)")
        result["target_seconds"] = target
    if config.name == "config.yaml":
        print(f"memory target 4 GiB: peak / target = {mem.peak / TARGET_MEM:.2f}")
    if a.json:
        from dustscene.io.atomic import json_safe, write_json_atomic

        write_json_atomic(a.json, json_safe(result))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
        log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The seed sweep as Snakemake plans it: one independent job per seed, each in its own directory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def _dry_run(workdir: Path, *config: str) -> subprocess.CompletedProcess:
    """Dry-run `sweep` of the ci config with `--config` items in a scratch directory."""
    cmd = [str(SNAKEMAKE), "sweep", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--workflow-profile", "none", "--cores", "1", "-n", "-p", "--configfile",
           str(REPO / "config" / "ci.yaml"), "--config", *config]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_two_seeds_plan_one_job_per_seed(tmp_path: Path) -> None:
    res = _dry_run(tmp_path, "sweep={seeds: [4, 11], config: config/ci.yaml}")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert re.search(r"^sweep_seed\s+2$", out, re.M), out[-3000:]
    assert re.search(r"^sweep_summary\s+1$", out, re.M)
    for seed in (4, 11):
        assert f"--directory results/sweep/seed_{seed} " in out
        assert f"--config seed={seed} " in out
        assert f"results/sweep/seed_{seed}/results/validation/metrics.json" in out
    assert "ci.yaml" in out and "--nolock" in out


def test_a_typo_in_the_sweep_block_stops_the_run(tmp_path: Path) -> None:
    res = _dry_run(tmp_path, "sweep={seed: [1, 2]}")
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "config key 'sweep'" in out and "'seed' was unexpected" in out, out[-2000:]
    assert not (tmp_path / "results").exists()

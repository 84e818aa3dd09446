"""Bad inputs through the workflow as a user runs it: non-zero exit, the file and the problem
named, and nothing else under results/ touched (no partial fit, no temp files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def _snakemake(work: Path, config: dict, *targets: str) -> subprocess.CompletedProcess:
    cfg = work.parent / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--workflow-profile", "none", "--cores", "1", *targets, "--configfile", str(cfg)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def _config(name: str, path: Path) -> dict:
    cfg = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())
    cfg["mocks"]["n_scenes"] = 1
    cfg["observations"] = [{"name": name, "path": str(path)}]
    return cfg


def _nan_observation(path: Path) -> Path:
    images = np.ones((5, 16, 16))
    images[2, 4, 7] = np.nan
    np.savez(path, images=images, variance=np.ones((5, 16, 16)),
             psfs=np.full((5, 5, 5), 1 / 25), filters=np.array(list("grizy")),
             catalog=np.array([(8.0, 8.0)], dtype=[("x", "f8"), ("y", "f8")]))
    return path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_nan_observation_fails_naming_file_and_leaves_results(tmp_path: Path) -> None:
    obs = _nan_observation(tmp_path / "nan_cutout.npz")
    work = tmp_path / "work"
    (work / "results" / "mocks").mkdir(parents=True)
    (work / "results" / "keep.txt").write_text("keep me")
    (work / "results" / "mocks" / "mock_0000.h5").write_bytes(b"pre-existing")
    before = _snapshot(work / "results")
    res = _snakemake(work, _config("nanobs", obs), "results/fits/nanobs.h5")
    assert res.returncode != 0
    log = work / "results" / "logs" / "fit" / "nanobs.log"
    text = res.stdout + res.stderr + (log.read_text() if log.exists() else "")
    assert str(obs) in text and "NaN" in text, text[-3000:]
    after = _snapshot(work / "results")
    assert {k: v for k, v in after.items() if k in before} == before
    new = set(after) - set(before)
    assert not (work / "results" / "fits" / "nanobs.h5").exists()
    assert all(k.startswith(("logs/", "benchmarks/")) for k in new), new
    assert not [p for p in (work / "results").rglob("*") if "tmp" in p.name.lower()]


def test_observation_name_escaping_results_is_refused(tmp_path: Path) -> None:
    obs = _nan_observation(tmp_path / "cutout.npz")
    work = tmp_path / "work"
    work.mkdir()
    res = _snakemake(work, _config("../escape", obs), "fits")
    assert res.returncode != 0
    assert "escape" in res.stdout + res.stderr
    assert not (work / "results").exists() and not (work / "escape.h5").exists()
    assert not (tmp_path / "escape.h5").exists()

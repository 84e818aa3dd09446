"""Paper figures in the workflow: paper_figures plans all eight figures, an up-to-date run plans
nothing, touching one plot script replans only that figure, editing the plotting module only
the plots.

The up-to-date run is made without computing anything: every output of the ci DAG is created
empty and `snakemake --touch` gives them consistent mtimes, in a copy of the workflow so the
repository's own scripts are never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
HSC = REPO.parent / "shared" / "data" / "hsc_cosmos_35.npz"
FIGURE_RULES = ["fig1_mock_gallery", "fig2_dustmaps", "fig3_observation", "fig4_ebv_density",
                "fig5_hallucination", "fig6_sed_corner", "fig7_calibration", "fig8_speed"]
PLOT_SCRIPTS = {"fig2_dustmaps": "fig_dustmaps.py", "fig3_observation": "fig_observation.py",
                "fig4_ebv_density": "fig_ebv_density.py",
                "fig5_hallucination": "fig_hallucination.py",
                "fig6_sed_corner": "fig_sed_corner.py", "fig7_calibration": "fig_calibration.py",
                "fig8_speed": "fig_speed.py"}


def _run(snakefile: Path, workdir: Path, config: Path, *args: str) -> str:
    cmd = [str(SNAKEMAKE), "paper_figures", "-s", str(snakefile), "--directory", str(workdir),
           "--workflow-profile", "none", "--cores", "1", "--configfile", str(config), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout + res.stderr


def _planned(out: str) -> dict[str, int]:
    """Job counts of a dry run's 'Job stats' table."""
    if "Nothing to be done" in out:
        return {}
    table = out.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}


@pytest.fixture(scope="module")
def copied_workflow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the workflow (Snakefile, rules, scripts, schemas, suites, plotting module) and
    the ci config with the HSC cutout's absolute path."""
    if not HSC.exists():
        pytest.skip(f"shared HSC cutout not found at {HSC}")
    root = tmp_path_factory.mktemp("repo")
    shutil.copy(REPO / "Snakefile", root / "Snakefile")
    for d in ("workflow", "simulations", "config"):
        shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "src" / "dustscene" / "plots").mkdir(parents=True)
    for name in ("paper.py", "gallery.py"):
        shutil.copy(REPO / "src/dustscene/plots" / name, root / "src/dustscene/plots" / name)
    cfg = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())
    cfg["observations"] = [{"name": "hsc_cosmos_35", "path": str(HSC)}]
    config = root / "ci_abs.yaml"
    config.write_text(yaml.safe_dump(cfg))
    return root, config


def test_dry_run_lists_all_eight_figures(copied_workflow: tuple[Path, Path],
                                         tmp_path: Path) -> None:
    root, config = copied_workflow
    planned = _planned(_run(root / "Snakefile", tmp_path, config, "-n"))
    for rule in FIGURE_RULES:
        assert planned.get(rule) == 1, (rule, planned)
    for rule in ("fig2_dustmaps_data", "fig3_observation_data", "fig4_ebv_density_data",
                 "fig5_hallucination_data", "fig8_speed_data", "calibrate_sedflow",
                 "sedflow_nuts_references"):
        assert planned.get(rule) == 1, (rule, planned)


@pytest.fixture(scope="module")
def up_to_date(copied_workflow: tuple[Path, Path],
               tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work directory where every output exists (empty) with mtimes in DAG order."""
    root, config = copied_workflow
    work = tmp_path_factory.mktemp("work")
    summary = _run(root / "Snakefile", work, config, "--summary")
    outputs = [line.split("\t")[0] for line in summary.splitlines()
               if line.startswith("results/")]
    assert any(p.endswith("fig8_speed.png") for p in outputs), summary[-2000:]
    for p in outputs:
        (work / p).parent.mkdir(parents=True, exist_ok=True)
        (work / p).touch()
    _run(root / "Snakefile", work, config, "--touch")
    return work


def test_up_to_date_run_plans_nothing(copied_workflow: tuple[Path, Path],
                                      up_to_date: Path) -> None:
    root, config = copied_workflow
    out = _run(root / "Snakefile", up_to_date, config, "-n")
    assert _planned(out) == {}, out[-2000:]


@pytest.mark.parametrize("rule", ["fig1_mock_gallery", "fig8_speed"])
def test_touching_a_plot_script_reruns_only_that_figure(
    copied_workflow: tuple[Path, Path], up_to_date: Path, rule: str
) -> None:
    root, config = copied_workflow
    script = root / "workflow" / "scripts" / {**PLOT_SCRIPTS,
                                              "fig1_mock_gallery": "fig_mock_gallery.py"}[rule]
    before = script.stat()
    try:
        os.utime(script, (before.st_atime, time.time() + 3600))  # newer than every output
        planned = _planned(_run(root / "Snakefile", up_to_date, config, "-n"))
    finally:
        os.utime(script, (before.st_atime, before.st_mtime))
    assert planned == {rule: 1, "paper_figures": 1}, planned


def test_editing_the_plot_module_reruns_plots_only(
    copied_workflow: tuple[Path, Path], up_to_date: Path
) -> None:
    """A style edit of src/dustscene/plots/paper.py replans the seven plot rules, no compute.

    (Snakemake compares a small input's checksum too, so the edit changes the content.)
    """
    root, config = copied_workflow
    module = root / "src/dustscene/plots/paper.py"
    text = module.read_text()
    try:
        module.write_text(text + "\n# a style change\n")
        planned = _planned(_run(root / "Snakefile", up_to_date, config, "-n"))
    finally:
        module.write_text(text)
        os.utime(module, (0, 0))  # older than every output again
    assert planned == {**{r: 1 for r in PLOT_SCRIPTS}, "paper_figures": 1}, planned


def test_retrained_flows_reuse_the_nuts_references(
    copied_workflow: tuple[Path, Path], up_to_date: Path
) -> None:
    """New flows rerun calibrate_sedflow; the NUTS references (flow-free) are not recomputed."""
    root, config = copied_workflow
    weights = up_to_date / "results/sedflow/flows.pt"
    before, content = weights.stat(), weights.read_bytes()
    try:  # new weights: newer and different (Snakemake compares a small file's checksum too)
        weights.write_bytes(content + b"retrained")
        os.utime(weights, (before.st_atime, time.time() + 3600))
        planned = _planned(_run(root / "Snakefile", up_to_date, config, "-n"))
    finally:
        weights.write_bytes(content)
        os.utime(weights, (before.st_atime, before.st_mtime))
    assert planned.get("calibrate_sedflow") == 1, planned
    assert "sedflow_nuts_references" not in planned and "train_sedflow" not in planned, planned


def test_unknown_figure_observation_fails_before_any_rule(
    copied_workflow: tuple[Path, Path], tmp_path: Path
) -> None:
    root, config = copied_workflow
    cfg = yaml.safe_load(config.read_text())
    cfg["figures"] = {"observation": "no_such_cutout"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    work = tmp_path / "work"
    work.mkdir()
    cmd = [str(SNAKEMAKE), "paper_figures", "-s", str(root / "Snakefile"), "--directory",
           str(work), "--workflow-profile", "none", "--cores", "1", "--configfile", str(bad)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    assert "figures.observation 'no_such_cutout'" in res.stdout + res.stderr
    assert not (work / "results").exists()

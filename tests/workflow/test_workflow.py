"""The workflow as a user runs it: lint, config errors before any rule, a tiny run end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def _snakemake(workdir: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--workflow-profile", "none", "--cores", "2", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the ci config's default target (`all`) once for this module."""
    work = tmp_path_factory.mktemp("wf")
    res = _snakemake(work, "all", "--configfile", str(REPO / "config" / "ci.yaml"))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return work


def test_lint_is_clean() -> None:
    res = subprocess.run([str(SNAKEMAKE), "--lint", "-s", str(REPO / "Snakefile")],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def test_ci_mocks_end_to_end(ci_run: Path) -> None:
    cfg = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())
    mocks = sorted((ci_run / "results" / "mocks").glob("*.h5"))
    assert [p.stem for p in mocks] == [f"mock_{i:04d}" for i in range(cfg["mocks"]["n_scenes"])]
    for p in mocks:
        with h5py.File(p, "r") as f:
            for key in ("observed/images", "observed/variance", "observed/psf", "truth/attenuated",
                        "truth/dustfree", "truth/ebv_effective", "truth/ebv_column",
                        "truth/tau_v_column", "truth/a_eff"):
                assert np.all(np.isfinite(f[key][()])), key
            for attr in ("bands", "pixel_scale_arcsec", "zeropoint", "attenuation_law",
                         "inclination_deg", "seed", "config", "dustscene_version"):
                assert attr in f.attrs, attr
            assert f.attrs["sed_model"] == "sed"  # the real SSP model made these, not the toy
    for ext in ("png", "pdf"):
        assert (ci_run / "results" / "figures" / f"mock_gallery.{ext}").stat().st_size > 1000
    assert not list((ci_run / "results").rglob("*.tmp")), "a temporary file survived"


def test_ci_fits_follow_the_contract(ci_run: Path) -> None:
    cfg = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())
    names = [f"mock_{i:04d}" for i in range(cfg["mocks"]["n_scenes"])]
    names += [o["name"] for o in cfg["observations"]]
    for name in names:
        with h5py.File(ci_run / "results" / "fits" / f"{name}.h5", "r") as f:
            shape = f["model/observed"].shape
            assert f["model/dustfree_observed"].shape == shape
            assert f["dust/ebv"].shape == shape[1:]
            for key in ("model/observed", "model/dustfree_observed", "dust/ebv"):
                assert np.all(np.isfinite(f[key][()])), (name, key)
            assert 0.5 < float(f.attrs["chi2_per_dof"]) < 10.0, name
            for attr in ("n_steps", "converged", "wall_seconds", "redshift", "redshift_source"):
                assert attr in f.attrs, (name, attr)
            if name in {o["name"] for o in cfg["observations"]}:
                # real cutouts fit a resolved dust map: its sigma and hallucination score
                rho = f["dust/rho"][()]
                on = np.isfinite(rho)
                assert on.any() and np.all((rho[on] >= 0) & (rho[on] <= 1)), name
                assert np.all(f["dust/ebv_sigma"][()][on] > 0), name


def test_ci_metrics_contract(ci_run: Path) -> None:
    import json

    m = json.loads((ci_run / "results" / "validation" / "metrics.json").read_text())
    for truth in ("ebv_effective", "ebv_column"):
        block = m["dust"][truth]
        for key in ("bias", "nmad", "rms", "pearson_r", "slope"):
            assert np.isfinite(block[key]), (truth, key)
        assert block["n_pixels"] > 100
    assert np.isfinite(m["dust"]["dustfree_flux_frac_err_median"])
    # what the data can see: per-band attenuation after the PSF, the PSF-smoothed E(B-V),
    # integrated A_b per galaxy, and the screen ceiling of the truth
    bands = ("g", "r", "i", "z", "y")
    for band in bands:
        obs = m["dust"]["a_band_observable"][band]
        assert obs["n_pixels"] > 100, band
        for key in ("bias", "nmad", "rms", "pearson_r", "slope"):
            assert np.isfinite(obs[key]), (band, key)
        integ = m["dust"]["a_band_integrated"][band]
        assert integ["n_scenes"] == 3 and np.isfinite(integ["median_abs_err"]), band
    for key in ("bias", "nmad", "pearson_r", "slope"):
        assert np.isfinite(m["dust"]["ebv_resolved"][key]), key
    ceiling = m["dust"]["ceiling"]
    # the truth's own screen reproduces its per-pixel attenuation almost exactly
    assert ceiling["a_band_observable"]["g"]["pearson_r"] > 0.95
    assert set(m["dust"]["by_inclination"]) == {"face_on", "intermediate", "edge_on"}
    for key in ("chi2_per_dof_median", "flux_frac_err_median", "morphology_cosine_median"):
        assert np.isfinite(m["fit"][key]), key
    assert set(m["fit"]["chi2_per_dof_observations"]) == {"hsc_cosmos_35"}
    assert m["provenance"]["seed"] == 7 and len(m["provenance"]["config_sha256"]) == 64
    for key in ("coverage_68", "coverage_95", "tarp_atc", "sbc_ks_pvalue_min", "c2st_vs_mcmc",
                "seconds_per_galaxy_10k_samples"):
        assert np.isfinite(m["sed"][key]), key
    assert m["hallucination"]["temperature"] > 0
    assert np.isfinite(m["hallucination"]["auc_large_error"])
    for key in ("prior_dominated_masked", "prior_dominated_unmasked"):
        assert 0 <= m["hallucination"]["masked_half"][key] <= 1
    assert np.isfinite(m["hallucination"]["auc_large_error_masked_half"])
    for key in ("reconstruction_chi2_median", "outlier_rank_percentile_max"):
        assert np.isfinite(m["spectrum_prior"][key]), key
    assert "status" not in m["spectrum_prior"]
    assert m["sed"]["posteriors"], "fitted components went through the flows"


def test_rerun_runs_nothing(ci_run: Path) -> None:
    res = _snakemake(ci_run, "all", "--configfile", str(REPO / "config" / "ci.yaml"), "-n")
    assert res.returncode == 0, res.stderr
    assert "Nothing to be done" in res.stdout + res.stderr


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ({"mocks": {"n_scenes": 2, "bogus": 1}}, "'bogus' was unexpected"),
        ({"mocks": {"n_scenes": 2, "overrides": {"dust": {"tau_v0_range": [-1, 1]}}}},
         "mocks.overrides.dust.tau_v0_range[0]"),
    ],
)
def test_bad_config_fails_before_any_rule(tmp_path: Path, edit: dict, needle: str) -> None:
    cfg = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())
    cfg["mocks"].update(edit["mocks"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    work = tmp_path / "work"
    work.mkdir()
    res = _snakemake(work, "mocks", "--configfile", str(bad))
    assert res.returncode != 0
    assert needle in res.stdout + res.stderr
    assert not (work / "results").exists(), "a rule ran despite the bad config"
    shutil.rmtree(work)

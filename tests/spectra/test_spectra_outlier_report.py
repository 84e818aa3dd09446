"""run_outliers end to end on a small prior: fitted components at a mock's redshift or the best of
the grid, the mock's true components as control rows, and fit files with other bands refused."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.io.fitfile import write_fit
from dustscene.spectra.pipeline import run_outliers

BANDS = ["g", "r", "i", "z", "y"]
GRID_KW = {"wave_min": 2500.0, "wave_max": 11000.0, "n_wave": 100, "z_min": 0.02, "z_max": 0.3}
CFG = {
    "bands": BANDS, "photometry_frac_err": 0.05, "n_reference": 30, "photometry_steps": 40,
    "n_outliers_each": 2, "wave_range": [GRID_KW["wave_min"], GRID_KW["wave_max"]],
    "n_wave": GRID_KW["n_wave"], "redshift": [GRID_KW["z_min"], GRID_KW["z_max"]],
    "n_latent": 6, "width": 64, "depth": 2, "steps": 1200, "batch_size": 128,
    "learning_rate": 3e-3, "n_components": 6,
}


def _fit(path: Path, fluxes: list[list[float]], bands: list[str] = BANDS) -> Path:
    z = np.zeros((len(bands), 4, 4))
    write_fit(path, {"observed": z, "dustfree_observed": z, "model_frame": z, "ebv": z[0],
                     "residuals": z, "weights": z, "history": np.zeros(2),
                     "components": [{"spectrum": np.asarray(f)} for f in fluxes],
                     "attrs": {"bands": bands, "n_components": len(fluxes)}})
    return path


def _mock(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f.attrs["bands"] = np.array(BANDS, dtype="S")
        f.attrs["redshift"] = 0.15
        g = f.create_group("truth/components/bulge")
        g["sed_flux"] = np.array([1.0, 2.0, 3.0, 3.5, 4.0])
        img = np.zeros((len(BANDS), 4, 4))
        img[:, 1, 2] = [0.5, 1.0, 1.5, 1.8, 2.0]
        g["attenuated"] = img
    return path


def test_outlier_report_ranks_fits_and_truth(trained_prior, spectra_set, spectra_ssp,
                                             tmp_path: Path) -> None:
    path = trained_prior[0]
    fits = {"known": _fit(tmp_path / "a.h5", [[1.0, 2.0, 3.0, 3.5, 4.0],
                                             [4.0, 3.0, 2.5, 2.0, 1.8]]),
            "unknown": _fit(tmp_path / "b.h5", [[2.0, 2.0, 2.1, 2.2, 2.4]])}
    out_json = tmp_path / "out.json"
    out = run_outliers(path, spectra_set, spectra_ssp, fits, {"known": _mock(tmp_path / "m.h5")},
                       out_json, seed=3, cfg=CFG)
    assert json.loads(out_json.read_text()) == json.loads(json.dumps(out))
    comps = out["detail"]["components"]
    assert [(c["scene"], c["component"], c["redshift_known"]) for c in comps] == [
        ("known", 0, True), ("known", 1, True), ("unknown", 0, False)]
    assert comps[0]["redshift"] == pytest.approx(0.15)
    assert GRID_KW["z_min"] <= comps[2]["redshift"] <= GRID_KW["z_max"]
    truth = out["detail"]["truth_components"]
    assert [(t["component"], t["kind"]) for t in truth] == [("bulge", "dustfree"),
                                                            ("bulge", "attenuated")]
    ranks = [r["rank_percentile"] for r in comps + truth]
    assert all(0.0 <= p <= 100.0 for p in ranks)
    assert len(out["detail"]["injected"]) > 0
    assert out["detail"]["heldout"]["n_heldout"] == len(trained_prior[4])


def test_outlier_report_refuses_fit_with_other_bands(trained_prior, spectra_set, spectra_ssp,
                                                     tmp_path: Path) -> None:
    bad = _fit(tmp_path / "bad.h5", [[1.0, 2.0, 3.0]], bands=["g", "r", "i"])
    with pytest.raises(ValueError, match="bad.h5"):
        run_outliers(trained_prior[0], spectra_set, spectra_ssp, {"s": bad}, {},
                     tmp_path / "out.json", seed=3, cfg=CFG)
    assert not (tmp_path / "out.json").exists()

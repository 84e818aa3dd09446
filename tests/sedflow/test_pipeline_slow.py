"""End to end on a tiny budget: calibrate (SBC, coverage, TARP, NUTS + C2ST) writes the contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dustscene.sedflow import calibrate, mock_component_truth, posteriors_from_photometry

SED_KEYS = {"coverage_68", "coverage_95", "tarp_atc", "sbc_ks_pvalue_min", "c2st_vs_mcmc",
            "seconds_per_galaxy_10k_samples"}


@pytest.mark.slow
def test_calibrate_writes_contract_keys(flows: Path, ssp_path: Path, tmp_path: Path) -> None:
    figs = {k: [str(tmp_path / f"{k}.png")] for k in ("ranks", "coverage", "corner")}
    res = calibrate(flows, ssp_path, tmp_path / "cal.json", figs, seed=1, n_sbc=100,
                    n_posterior=100, n_nuts=1, nuts_warmup=50, nuts_samples=100, n_timing=2)
    on_disk = json.loads((tmp_path / "cal.json").read_text())
    assert SED_KEYS <= set(on_disk) and on_disk["coverage_68"] == res["coverage_68"]
    assert all(np.isfinite(on_disk[k]) for k in SED_KEYS)
    assert all(Path(p[0]).stat().st_size > 0 for p in figs.values())


def _fake_mock(path: Path) -> None:
    """A file with the mock layout's component truth (truth/components/<c> attrs, sed_flux)."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["zeropoint"] = 27.0
        f.attrs["bands"] = np.array(list("grizy"), dtype="S")
        for c, lm in (("bulge", 10.0), ("disk", 10.2)):
            g = f.create_group(f"truth/components/{c}")
            g.create_dataset("sed_flux", data=np.array([300.0, 500.0, 650.0, 750.0, 800.0]))
            for k, v in {"log_mass": lm, "f_burst": 0.1, "t_burst": 1.0, "log_z": 0.0,
                         "tau_bc": 0.0, "tau_ism": 0.0, "n_dust": 0.0, "redshift": 0.15}.items():
                g.attrs[k] = v
            g.attrs["sfh_weights"] = np.array([0.4, 0.3, 0.2, 0.1])


def test_mock_components_to_posteriors(flows: Path, tmp_path: Path) -> None:
    import h5py

    _fake_mock(tmp_path / "mock.h5")
    truth = mock_component_truth(tmp_path / "mock.h5")
    assert set(truth) == {"bulge", "disk"} and truth["disk"]["theta"][0] == 10.2
    flux = np.stack([t["sed_flux_counts"] for t in truth.values()])
    flags = posteriors_from_photometry(flows, tmp_path / "post.h5", flux, 0.05 * flux,
                                       [t["redshift"] for t in truth.values()], unit="counts",
                                       ids=list(truth), n_samples=1000)
    assert flags.shape == (2,)
    with h5py.File(tmp_path / "post.h5") as f:
        assert f["median"].shape == (2, 11) and list(f["ids"].asstr()) == ["bulge", "disk"]

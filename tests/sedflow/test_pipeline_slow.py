"""End to end on a tiny budget: calibrate (SBC, coverage, TARP, NUTS + C2ST) writes the contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dustscene.sedflow import calibrate, mock_component_truth, posteriors_from_photometry
from dustscene.sedflow.pipeline import nuts_references
from dustscene.sedflow.references import ReferenceMismatch

SED_KEYS = {"coverage_68", "coverage_95", "tarp_atc", "sbc_ks_pvalue_min", "c2st_vs_mcmc",
            "seconds_per_galaxy_10k_samples"}


@pytest.fixture(scope="module")
def trained_flows(tmp_path_factory: pytest.TempPathFactory, ssp_path: Path) -> Path:
    """A 2-member ensemble trained enough to be calibrated (20k simulations, 20 epochs; ~15 s):
    the shared 2-epoch `flows` fixture is only a file-format stand-in."""
    import warnings

    from dustscene.sedflow import merge_shards, simulate_shard, train_ensemble

    d = tmp_path_factory.mktemp("sedflow_calibrated")
    shards = [d / f"shard_{s}.h5" for s in range(2)]
    for s, p in enumerate(shards):
        simulate_shard(ssp_path, p, seed=3, shard=s, n=10_000, survey="hsc", bands=list("grizy"))
    merge_shards(shards, d / "train.h5")
    with warnings.catch_warnings():  # "not yet fully converged" after 20 epochs: intended
        warnings.simplefilter("ignore", UserWarning)
        train_ensemble(d / "train.h5", d / "flows.pt", d / "flows.json", seeds=[0, 1],
                       spec={"hidden_features": 32, "num_transforms": 3, "passes": 2},
                       train={"max_epochs": 20, "batch_size": 512, "learning_rate": 2e-3})
    return d / "flows.json"


@pytest.mark.slow
def test_calibrate_writes_contract_keys(
    trained_flows: Path, ssp_path: Path, tmp_path: Path
) -> None:
    figs = {k: [str(tmp_path / f"{k}.png")] for k in ("ranks", "coverage", "corner")}
    # the references are their own stage (rule sedflow_nuts_references), read from a file
    refs = tmp_path / "nuts_references.h5"
    nuts_references(ssp_path, refs, seed=1, n_sbc=200, n_nuts=1, survey="hsc",
                    bands=list("grizy"), nuts_warmup=400, nuts_samples=400)
    res = calibrate(trained_flows, ssp_path, tmp_path / "cal.json", figs, seed=1, n_sbc=200,
                    n_posterior=200, n_timing=2, references=refs)
    with pytest.raises(ReferenceMismatch):  # another seed's held-out galaxies
        calibrate(trained_flows, ssp_path, tmp_path / "cal2.json", figs, seed=2, n_sbc=200,
                  n_posterior=50, n_timing=1, references=refs)
    on_disk = json.loads((tmp_path / "cal.json").read_text())
    assert SED_KEYS <= set(on_disk) and on_disk["coverage_68"] == res["coverage_68"]
    assert all(np.isfinite(on_disk[k]) for k in SED_KEYS)
    assert all(Path(p[0]).stat().st_size > 0 for p in figs.values())
    det = on_disk["details"]
    n = det["n_sbc"]
    assert n >= 180  # flagged held-out galaxies (outside the training support) are rare

    def sd(level: float) -> float:  # binomial Monte-Carlo error of a coverage over n truths
        return float(np.sqrt(level * (1 - level) / n))

    # coverage at least nominal within 3 Monte-Carlo sd: NPE must be calibrated or
    # conservative (Hermans et al. 2022, arXiv:2110.06581); ensembles err on the wide side
    assert on_disk["coverage_68"] >= 0.68 - 3 * sd(0.68), on_disk
    assert on_disk["coverage_95"] >= 0.95 - 3 * sd(0.95), on_disk
    # TARP ATC integrates ECP - alpha over alpha in [0.5, 1]: pointwise error <= 0.5/sqrt(n),
    # so a calibrated estimator has |ATC| < 3 x 0.5 x 0.5/sqrt(n) (Lemos et al. 2023)
    assert abs(on_disk["tarp_atc"]) < 0.75 / np.sqrt(n), on_disk["tarp_atc"]
    assert det["tarp_ks_pvalue"] > 0.01, det["tarp_ks_pvalue"]  # a 1 % test, chance only
    # SBC: KS p of 10 parameters, Bonferroni at 1 %: a calibrated flow fails only by chance
    assert on_disk["sbc_ks_pvalue_min"] > 0.01 / len(det["theta_names"]), det["sbc_ks_pvals"]
    # the NUTS reference (the default config's 4 chains of 400 + 400, started from a tempered
    # importance sample of the prior) converged by the pipeline's own criterion (R-hat, ESS),
    # and the flow overlaps it:
    # disjoint posteriors give C2ST accuracy ~1, identical ones 0.5 (Lopez-Paz & Oquab 2017)
    assert det["n_nuts_converged"] == 1, det["nuts"]
    assert on_disk["c2st_vs_mcmc"] < 0.9, det["nuts"]
    # amortization: 10,000 flow draws cost less than one NUTS reference of the same galaxy
    assert 0 < on_disk["seconds_per_galaxy_10k_samples"] < det["nuts_seconds_per_galaxy"]


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

"""Posteriors of fitted scene components: fit-file photometry, units, truth matching, coverage."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import h5py
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.io.fitfile import FitFileError
from dustscene.sed import nJy_to_counts
from dustscene.sedflow import theta_to_params
from dustscene.sedflow.components import fitted_component_photometry, match_to_truth
from dustscene.sedflow.mock_truth import mock_component_truth
from dustscene.sedflow.parameters import theta_bounds
from dustscene.sedflow.posteriors import SceneInput, scene_posteriors
from dustscene.sedflow.simulator import noiseless_flux

Z = 0.12
RANGES = {"log_mass": (7.0, 11.5), "f_burst": (0.0, 1.0), "t_burst": (0.003, 10.0)}
# log_mass, u1..u3, f_burst, t_burst, log_z, tau_bc, tau_ism, n_dust: an old bulge, a young disk
THETA = {"bulge": [10.3, 0.8, 0.5, 0.5, 0.02, 6.0, 0.1, 0.3, 0.2, 0.0],
         "disk": [9.9, 0.2, 0.4, 0.6, 0.1, 0.5, -0.3, 0.6, 0.4, -0.2]}
NORM = (1.0, 0.97)  # morphology normalisations of the two fitted parts (sum of the morphology)


def _truth_counts(table, filters) -> dict[str, np.ndarray]:  # noqa: ANN001
    theta = np.array([THETA[c] for c in THETA])
    njy = noiseless_flux(theta, np.full(len(theta), Z), table, filters)
    return {c: np.asarray(nJy_to_counts(njy[i], 27.0)) for i, c in enumerate(THETA)}


def _write_mock(path: Path, counts: dict[str, np.ndarray]) -> None:
    """The mock layout's truth/components/<c> (attrs = SEDParams fields, sed_flux in counts)."""
    with h5py.File(path, "w") as f:
        f.attrs["zeropoint"] = 27.0
        f.attrs["redshift"] = Z
        f.attrs["bands"] = np.array(list("grizy"), dtype="S")
        for c, th in THETA.items():
            p = theta_to_params(jnp.asarray([th]), jnp.asarray([Z]))
            g = f.create_group(f"truth/components/{c}")
            g.create_dataset("sed_flux", data=counts[c])
            for k in ("log_mass", "f_burst", "t_burst", "log_z", "tau_bc", "tau_ism", "n_dust"):
                g.attrs[k] = float(getattr(p, k)[0])
            g.attrs["redshift"] = Z
            g.attrs["sfh_weights"] = np.asarray(p.sfh_weights[0])


def _write_fit(path: Path, fluxes: list[np.ndarray], rel_sigma: float) -> None:
    """A fit file's component layout: spectra in the schema, Laplace sigmas, dust-free cubes."""
    schema = []
    with h5py.File(path, "w") as f:
        f.attrs["bands"] = list("grizy")
        for j, (flux, norm) in enumerate(zip(fluxes, NORM, strict=True)):
            name = f"components[0].spectra[{j}].fluxes"
            schema.append({"name": name, "offset": 5 * j, "size": 5, "shape": [5]})
            amp = flux / norm
            morph = np.zeros((8, 8))
            morph[2:6, 2:6] = norm / 16  # sums to norm
            f[f"components/{j}/spectrum"] = amp.astype(np.float32)
            f[f"components/{j}/dustfree_frame"] = amp[:, None, None] * morph[None]
            f[f"uncertainties/components_0/spectra_{j}/fluxes"] = rel_sigma * amp
            f[f"parameters/components_0/spectra_{j}/fluxes"] = amp
        f["parameters"].attrs["schema"] = json.dumps(schema)


def test_fit_photometry_is_frame_sum_with_scaled_laplace_sigma(tmp_path: Path) -> None:
    fluxes = [np.array([100.0, 200, 300, 400, 500]), np.array([50.0, 60, 70, 80, 90])]
    _write_fit(tmp_path / "fit.h5", fluxes, rel_sigma=0.02)
    ph = fitted_component_photometry(tmp_path / "fit.h5")
    assert ph.names == ["s0_p0", "s0_p1"] and ph.bands == tuple("grizy")
    np.testing.assert_allclose(ph.flux, np.stack(fluxes), rtol=1e-6)
    np.testing.assert_allclose(ph.sigma, 0.02 * np.stack(fluxes), rtol=1e-6)


def test_fit_photometry_of_single_part_components(tmp_path: Path) -> None:
    """Components that are not multi-part Sources name their spectrum `spectrum`, not
    `spectra[j]`; a spectrum without free fluxes (e.g. a black body) gets a NaN Laplace sigma."""
    flux = np.array([10.0, 20, 30, 40, 50])
    with h5py.File(tmp_path / "fit.h5", "w") as f:
        f.attrs["bands"] = list("grizy")
        for k in range(2):
            f[f"components/{k}/spectrum"] = flux * (k + 1)
            f[f"components/{k}/dustfree_frame"] = (flux * (k + 1))[:, None, None] * np.ones((
                1, 2, 2)) / 4
        f["uncertainties/components_0/spectrum/fluxes"] = 0.1 * flux
        f.create_group("parameters").attrs["schema"] = json.dumps([
            {"name": "components[0].spectrum.fluxes"}, {"name": "components[0].morphology.n"},
            {"name": "components[1].spectrum.temperature"},
            {"name": "components[1].spectrum.amplitude"}])
    ph = fitted_component_photometry(tmp_path / "fit.h5")
    assert ph.names == ["s0_p0", "s1_p0"]
    np.testing.assert_allclose(ph.flux, [flux, 2 * flux], rtol=1e-12)
    np.testing.assert_allclose(ph.sigma[0], 0.1 * flux, rtol=1e-12)
    assert np.all(np.isnan(ph.sigma[1]))


def test_fit_photometry_refuses_incomplete_file(tmp_path: Path) -> None:
    _write_fit(tmp_path / "fit.h5", [np.ones(5), np.ones(5)], 0.01)
    with h5py.File(tmp_path / "fit.h5", "a") as f:
        del f["components/1"]
    with pytest.raises(FitFileError, match="fit.h5"):
        fitted_component_photometry(tmp_path / "fit.h5")


def test_mock_component_truth_reads_the_components(tmp_path: Path) -> None:
    """The truth of each component of a mock (bands stored as bytes decode to "grizy")."""
    counts = {c: np.arange(1.0, 6.0) * (k + 1) for k, c in enumerate(THETA)}
    _write_mock(tmp_path / "mock.h5", counts)
    truth = mock_component_truth(tmp_path / "mock.h5")
    assert list(truth) == list(THETA)
    for c in THETA:
        assert truth[c]["bands"] == "grizy" and truth[c]["zeropoint"] == 27.0
        assert truth[c]["redshift"] == pytest.approx(Z)
        np.testing.assert_array_equal(truth[c]["sed_flux_counts"], counts[c])
        assert truth[c]["theta"].shape == (10,)
    with h5py.File(tmp_path / "mock.h5", "a") as f:
        del f["truth/components/disk"].attrs["log_mass"]
    with pytest.raises(ValueError, match=r"mock\.h5 lacks attrs \['log_mass'\]"):
        mock_component_truth(tmp_path / "mock.h5")


def test_match_to_truth_by_sed_not_order() -> None:
    truth = np.array([[1.0, 2, 4, 8, 9], [10.0, 10, 10, 10, 10], [50.0, 80, 100, 110, 115]])
    fit = truth[[2, 0]] * np.array([[1.05], [0.95]])
    idx, rms = match_to_truth(fit, truth)
    assert idx.tolist() == [2, 0] and np.all(rms < 0.03)


@pytest.fixture(scope="module")
def coupling_flows(tmp_path_factory: pytest.TempPathFactory, ssp_path: Path) -> Path:
    """A 2-member coupling-flow (passes=2) ensemble trained on 12,000 simulations."""
    from dustscene.sedflow import merge_shards, simulate_shard, train_ensemble

    d = tmp_path_factory.mktemp("sedflow_coupling")
    ranges = {k: list(v) for k, v in RANGES.items()}
    shards = [d / f"shard_{s:03d}.h5" for s in range(2)]
    for s, p in enumerate(shards):
        simulate_shard(ssp_path, p, seed=11, shard=s, n=6000, survey="hsc", bands=list("grizy"),
                       ranges=ranges)
    merge_shards(shards, d / "train.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        train_ensemble(d / "train.h5", d / "flows.pt", d / "flows.json", seeds=[0, 1],
                       spec={"hidden_features": 48, "num_transforms": 4, "passes": 2},
                       train={"max_epochs": 25, "batch_size": 512, "stop_after_epochs": 5})
    return d / "flows.json"


@pytest.mark.slow
def test_high_snr_component_posteriors_cover_truth(
    coupling_flows: Path, table, filters, tmp_path: Path  # noqa: ANN001
) -> None:
    counts = _truth_counts(table, filters)
    _write_mock(tmp_path / "mock.h5", counts)
    # the fit found the disk first, then the bulge, each at 1 % (Laplace), plus the 2 % floor
    _write_fit(tmp_path / "fit.h5", [counts["disk"], counts["bulge"]], rel_sigma=0.01)
    scene = SceneInput("m", str(tmp_path / "fit.h5"), str(tmp_path / "mock.h5"), True)
    res = scene_posteriors(coupling_flows, [scene], [tmp_path / "m.h5"], tmp_path / "p.json",
                           n_samples=4000, n_keep=500, seed=3, flux_floor=0.02)
    njy = noiseless_flux(np.array([THETA["disk"], THETA["bulge"]]), np.full(2, Z), table, filters)
    low, high = theta_bounds(RANGES)
    with h5py.File(tmp_path / "m.h5") as f:
        g = f["fitted"]
        # units round trip: counts at zero point 27 -> the simulator's nJy, exactly
        np.testing.assert_allclose(g["flux_njy"][...], njy, rtol=1e-9)
        np.testing.assert_allclose(g["sigma_njy"][...], np.hypot(0.01, 0.02) * njy, rtol=1e-6)
        assert [s.decode() for s in g["truth_component"][...]] == ["disk", "bulge"]
        assert g["samples"].shape == (2, 500, 10) and np.all(g["flags"][...] == 0)
        q = g["theta_quantiles"][...]  # (part, 5, 10) at 2.5/16/50/84/97.5 %
        truth = g["truth_theta"][...]
        np.testing.assert_allclose(truth, [THETA["disk"], THETA["bulge"]], atol=1e-9)
    in95 = (truth >= q[:, 0]) & (truth <= q[:, 4])
    assert in95.sum(axis=1).min() >= 8, in95
    # informative where photometry constrains: mass 95 % width well under the prior's 4.5 dex
    assert np.all(q[:, 4, 0] - q[:, 0, 0] < 0.35 * (high[0] - low[0])), q[:, :, 0]
    assert res["mock_fitted_vs_truth"]["n_parts"] == 2
    assert res["mock_truth_photometry_vs_truth"]["n_parts"] == 2


def test_observation_without_redshift_is_skipped_with_reason(flows: Path, tmp_path: Path) -> None:
    _write_fit(tmp_path / "fit.h5", [np.full(5, 100.0), np.full(5, 50.0)], 0.01)
    np.savez(tmp_path / "obs.npz", images=np.zeros((5, 4, 4)))
    scenes = [SceneInput("obs", str(tmp_path / "fit.h5"), str(tmp_path / "obs.npz"), False)]
    # without a redshift anywhere: skipped, the HDF5 says why, the JSON lists it
    from unittest import mock

    with mock.patch("dustscene.io.observations.load_observation") as load:
        load.return_value.redshift = None
        res = scene_posteriors(flows, scenes, [tmp_path / "o.h5"], tmp_path / "o.json",
                               n_samples=200, n_keep=50)
    assert res["skipped_no_redshift"] == ["obs"] and res["n_parts"] == 0
    with h5py.File(tmp_path / "o.h5") as f:
        assert f.attrs["skipped"] == "no redshift" and "fitted" not in f
    # with the redshift from the config: two parts, 200 samples each, summaries present
    res = scene_posteriors(flows, scenes, [tmp_path / "o.h5"], tmp_path / "o.json",
                           n_samples=200, n_keep=50, redshifts={"obs": 0.1})
    assert res["n_parts"] == 2 and res["scenes"]["obs"]["redshift_source"] == "config"
    with h5py.File(tmp_path / "o.h5") as f:
        assert f["fitted/samples"].shape == (2, 50, 10) and f["fitted/median"].shape == (2, 11)
        assert "truth_theta" not in f["fitted"]


def test_coupling_ensemble_saves_reloads_and_samples_in_bounds(flows: Path, tmp_path: Path) -> None:
    """The fast sampler (passes=2): the spec survives the manifest, draws stay in the prior box."""
    from dustscene.sedflow import load_ensemble, train_ensemble

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        trained = train_ensemble(flows.parent / "train.h5", tmp_path / "c.pt", tmp_path / "c.json",
                                 seeds=[0, 1], spec={"hidden_features": 16, "num_transforms": 2,
                                                     "passes": 2},
                                 train={"max_epochs": 1, "batch_size": 256})
    ens = load_ensemble(tmp_path / "c.json")
    assert ens.meta["spec"]["passes"] == 2
    x = np.repeat(0.5 * (ens.x_min + ens.x_max)[None], 3, axis=0)
    s = ens.sample(x, 2000, seed=0)
    assert s.shape == (2000, 3, 10)
    assert np.all((s >= ens.low - 1e-5) & (s <= ens.high + 1e-5))
    np.testing.assert_array_equal(s, ens.sample(x, 2000, seed=0))  # seeded
    # the fast coupling sampler changes no draw (zuko's sampler on the same base noise)
    assert ens._plan(0) is not None
    np.testing.assert_allclose(s, ens.sample(x, 2000, seed=0, fast=False), atol=1e-4)
    maf = load_ensemble(flows)  # a fully autoregressive MAF (passes = D) falls back to zuko
    assert maf._plan(0) is None
    xm = np.repeat(0.5 * (maf.x_min + maf.x_max)[None], 2, axis=0)
    np.testing.assert_array_equal(maf.sample(xm, 500, seed=1), maf.sample(xm, 500, seed=1,
                                                                          fast=False))
    lp = ens.log_prob(s[:50], x)
    np.testing.assert_allclose(lp, trained.log_prob(s[:50], x), rtol=1e-5)  # reload identical
    assert np.all(np.isfinite(lp))

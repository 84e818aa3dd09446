"""Paper figures on tiny synthetic arrays: each plot writes PNG+PDF with the expected panels,
the data extraction round-trips through .npz without pickle, and bad input names the file."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.plots import paper
from dustscene.plots.paper_data import (
    FigureDataError,
    binned_bias,
    dustmap_examples,
    ebv_pixels,
    hallucination_panels,
    load_npz,
    save_npz,
    speed_summary,
)
from dustscene.validation import validate_scene
from dustscene.validation.records import write_scene_record

RNG = np.random.default_rng(3)
NY, NX = 16, 12


def _panels(fig) -> int:  # noqa: ANN001 - a matplotlib Figure
    """Image/plot panels, not colorbars (matplotlib labels colorbar axes '<colorbar>')."""
    return sum(1 for a in fig.axes if a.get_label() != "<colorbar>")


def _save(fig, tmp_path: Path, name: str) -> None:  # noqa: ANN001 - a matplotlib Figure
    png, pdf = tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"
    paper.save_png_pdf(fig, png, pdf)
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 1000
    assert pdf.read_bytes()[:4] == b"%PDF"


def _mock(path: Path, ebv: np.ndarray, inclination: float = 40.0) -> Path:
    """A minimal mock file: the datasets and attributes the figures read."""
    bands = ["g", "r", "i"]
    img = np.exp(-((np.arange(NY)[:, None] - 8) ** 2 + (np.arange(NX)[None] - 6) ** 2) / 8.0)
    with h5py.File(path, "w") as f:
        f["observed/images"] = np.stack([100 * img] * 3)
        f["observed/variance"] = np.ones((3, NY, NX))
        f["truth/attenuated"] = np.stack([100 * img] * 3)
        f["truth/dustfree"] = np.stack([120 * img] * 3)
        f["truth/ebv_effective"] = ebv
        f["truth/ebv_column"] = 1.5 * ebv
        f.attrs["bands"] = bands
        f.attrs["inclination_deg"] = inclination
    return path


def _fit(path: Path, ebv: np.ndarray) -> Path:
    with h5py.File(path, "w") as f:
        shape = (3, NY, NX)
        f["model/observed"] = np.ones(shape)
        f["model/dustfree_observed"] = np.ones(shape)
        f["dust/ebv"] = ebv
        f.attrs["fit_seconds"] = 12.5
        f.attrs["chi2_per_dof"] = 1.1
    return path


@pytest.fixture
def mock_and_fit(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    mocks, fits = [], []
    for k in range(2):
        true = RNG.uniform(0, 0.4, (NY, NX))
        mocks.append(_mock(tmp_path / f"mock_{k:04d}.h5", true, 30.0 + 20 * k))
        fits.append(_fit(tmp_path / f"fit_{k:04d}.h5", true + RNG.normal(0, 0.02, (NY, NX))))
    return mocks, fits


def test_npz_round_trip_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "d.npz"
    save_npz(p, {"a": np.arange(3.0), "names": np.asarray(["x", "y"])})
    d = load_npz(p, required=["a", "names"])
    np.testing.assert_array_equal(d["a"], [0, 1, 2])
    assert list(d["names"]) == ["x", "y"]
    with pytest.raises(FigureDataError, match=r"d\.npz lacks \['b'\]"):
        load_npz(p, required=["b"])
    with pytest.raises(FigureDataError, match="object"):
        save_npz(tmp_path / "o.npz", {"bad": np.asarray([{}, 1], dtype=object)})
    assert not (tmp_path / "o.npz").exists()
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(FigureDataError, match="junk.npz"):
        load_npz(tmp_path / "junk.npz")


def test_binned_bias_recovers_an_offset() -> None:
    true = RNG.uniform(0, 1, 5000)
    b = binned_bias(true, true + 0.1 + RNG.normal(0, 0.05, true.size), n_bins=8)
    np.testing.assert_allclose(b["bias"], 0.1, atol=0.01)
    np.testing.assert_allclose(b["nmad"], 0.05, rtol=0.2)
    assert b["count"].sum() == true.size


def test_dustmaps_figure(mock_and_fit, tmp_path: Path) -> None:
    mocks, fits = mock_and_fit
    d = dustmap_examples(mocks, fits)
    assert list(d["names"]) == ["mock_0000", "mock_0001"]
    np.testing.assert_array_equal(d["ebv_true_1"], h5py.File(mocks[1])["truth/ebv_effective"])
    save_npz(tmp_path / "f2.npz", d)
    fig = paper.plot_dustmaps(load_npz(tmp_path / "f2.npz"))
    assert _panels(fig) == 2 * 4
    _save(fig, tmp_path, "f2")


def test_dustmaps_shape_mismatch_names_the_fit(mock_and_fit, tmp_path: Path) -> None:
    mocks, _ = mock_and_fit
    bad = _fit(tmp_path / "bad.h5", np.zeros((NY + 1, NX)))
    with pytest.raises(FigureDataError, match="bad.h5"):
        dustmap_examples(mocks[:1], [bad])
    with pytest.raises(FigureDataError, match="missing.h5"):
        dustmap_examples(mocks[:1], [tmp_path / "missing.h5"])


def test_ebv_density_figure(mock_and_fit, tmp_path: Path) -> None:
    """Figure 4 reads the validation's per-scene pixel files: the pixels validate_scene chose."""
    mocks, fits = mock_and_fit
    pixels, recs = [], []
    for k, (m, f) in enumerate(zip(mocks, fits, strict=True)):
        recs.append(validate_scene(m, f))
        pixels.append(tmp_path / f"scene_{k}.npz")
        write_scene_record(recs[-1], tmp_path / f"scene_{k}.json", pixels[-1])
    d = ebv_pixels(pixels)
    assert d["inferred"].size == d["effective"].size == d["scene"].size > 0
    assert set(np.unique(d["scene"])) == {0, 1}
    np.testing.assert_array_equal(d["inferred"],
                                  np.concatenate([r.pixels.ebv_inferred for r in recs]))
    np.testing.assert_allclose(d["column"], 1.5 * d["effective"])
    with pytest.raises(FigureDataError, match="absent.npz"):
        ebv_pixels([tmp_path / "absent.npz"])
    fig = paper.plot_ebv_density(d)
    assert _panels(fig) == 4
    _save(fig, tmp_path, "f4")


def _observation_data(has_dust: bool) -> dict:
    data = RNG.normal(0, 1, (3, NY, NX)) + 10
    return {"data": data, "model": data - 0.5, "deconvolved": data,
            "residual_sigma": np.full((3, NY, NX), 0.5), "ebv": np.full((NY, NX), 0.1 * has_dust),
            "has_dust": np.asarray(has_dust), "dust_model": np.asarray("smooth" if has_dust
                                                                        else "none"),
            "bands": np.asarray(["g", "r", "i"]), "chi2_per_dof": np.asarray(1.2),
            "name": np.asarray("cutout")}


@pytest.mark.parametrize("has_dust", [True, False])
def test_observation_figure(tmp_path: Path, has_dust: bool) -> None:
    fig = paper.plot_observation(_observation_data(has_dust))
    assert _panels(fig) == 5
    texts = [t.get_text() for t in fig.axes[4].texts]
    assert any("no dust component fitted" in t for t in texts) == (not has_dust)
    _save(fig, tmp_path, f"f3_{has_dust}")


def test_hallucination_figure(tmp_path: Path) -> None:
    maps, mocks = [], []
    for k in range(2):
        p = tmp_path / f"h_{k}.h5"
        with h5py.File(p, "w") as f:  # a score-prior fit file: its model and maps
            f["model/observed"] = RNG.normal(0, 1, (3, NY, NX))
            f["model/dustfree_observed"] = np.ones((3, NY, NX))
            f["hallucination/rho"] = RNG.uniform(0, 1, (NY, NX))
            f["hallucination/delta_fisher"] = RNG.normal(0, 1, (NY, NX))
        maps.append(p)
        mocks.append(_mock(tmp_path / f"m_{k}.h5", np.zeros((NY, NX))))
    val = tmp_path / "validation.json"
    val.write_text(json.dumps({"temperature": 0.02, "masked_half": {
        "prior_dominated_unmasked": 0.1, "prior_dominated_masked": 0.6,
        "prior_dominated_masked_interior": 0.9}}))
    d = hallucination_panels(maps, mocks, val)
    np.testing.assert_allclose(d["mh_values"], [0.1, 0.6, 0.9])
    fig = paper.plot_hallucination(d)
    assert _panels(fig) == 2 * 3
    _save(fig, tmp_path, "f5")
    val.write_text(json.dumps({"temperature": 0.02}))
    with pytest.raises(FigureDataError, match="validation.json"):
        hallucination_panels(maps, mocks, val)


def _calibration(n: int = 60, dim: int = 4) -> dict:
    from dustscene.sedflow.parameters import THETA_NAMES

    a = np.linspace(0, 1, 11)
    return {"ranks": RNG.integers(0, 100, (n, dim)), "n_posterior": np.asarray(100),
            "ks_pvals": RNG.uniform(0, 1, dim), "levels": a, "coverage": a, "tarp_alpha": a,
            "tarp_ecp": a, "tarp_atc": np.asarray(0.01),
            "theta_names": np.asarray(THETA_NAMES[:dim]),
            "corner_flow": RNG.normal(size=(200, dim)), "corner_nuts": RNG.normal(size=(50, dim)),
            "corner_truth": np.zeros(dim), "corner_index": np.asarray(3),
            "corner_redshift": np.asarray(0.1)}


def test_sed_corner_and_calibration_figures(tmp_path: Path) -> None:
    d = _calibration()
    fig = paper.plot_sed_corner(d)
    assert len(fig.axes) == 4 * 4
    _save(fig, tmp_path, "f6")
    fig = paper.plot_calibration(d)
    assert _panels(fig) == 4 + 1
    _save(fig, tmp_path, "f7")
    no_nuts = {k: v for k, v in d.items() if not k.startswith("corner")}
    fig = paper.plot_sed_corner(no_nuts)
    assert "no NUTS reference" in fig.axes[0].texts[0].get_text()


def test_speed_summary_with_and_without_bench(mock_and_fit, tmp_path: Path) -> None:
    _, fits = mock_and_fit
    cal = tmp_path / "calibration.json"
    cal.write_text(json.dumps({"seconds_per_galaxy_10k_samples": 0.05,
                               "details": {"nuts_seconds_per_galaxy": 30.0}}))
    bench = tmp_path / "bench"
    s = speed_summary(fits, cal, bench)
    assert s["bench_fit"] is None and s["bench_sedflow"] is None
    assert s["fit_seconds"] == {"fit_0000": 12.5, "fit_0001": 12.5}
    fig = paper.plot_speed(json.loads(json.dumps(s)))
    texts = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert texts.count("bench not run") == 2
    _save(fig, tmp_path, "f8a")
    bench.mkdir()
    (bench / "fit_vs_scarlet2.json").write_text(json.dumps(  # as bench/fit_vs_scarlet2.py
        {"dustscene": {"per_scene_s": [0.5, 0.5]}, "scarlet2": {"per_scene_s": [10.0, 30.0]},
         "ratio_source": "measured in this run"}))
    (bench / "sedflow.json").write_text(json.dumps(
        {"flow_seconds_per_galaxy_10k": 0.04, "nuts_seconds_per_galaxy": 40.0}))
    s = speed_summary(fits, cal, bench)
    assert s["bench_fit"]["scarlet2_seconds_per_scene"] == 20.0
    assert s["bench_fit"]["dustscene_seconds_per_scene"] == 0.5
    fig = paper.plot_speed(s)
    assert "bench not run" not in " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert len(fig.axes[0].patches) == 2 + 2  # two fits + bench dustscene and scarlet2
    assert len(fig.axes[1].patches) == 2 + 2  # in-run and bench, flow and NUTS each
    _save(fig, tmp_path, "f8b")
    (bench / "fit_vs_scarlet2.json").write_text(json.dumps(  # bench run with --no-scarlet2
        {"dustscene": {"per_scene_s": [0.5, 0.5]}, "scarlet2": None, "ratio": None}))
    s = speed_summary(fits, cal, bench)
    assert s["bench_fit"]["scarlet2_seconds_per_scene"] is None
    fig = paper.plot_speed(s)
    assert len(fig.axes[0].patches) == 2 + 1  # two fits + bench dustscene, no scarlet2 bar
    assert "scarlet2: bench not run" in " ".join(t.get_text() for t in fig.axes[0].texts)
    (bench / "sedflow.json").write_text(json.dumps({"flow_seconds_per_galaxy_10k": 0.04}))
    with pytest.raises(FigureDataError, match=r"sedflow.json: missing key\(s\)"):
        speed_summary(fits, cal, bench)
    (bench / "fit_vs_scarlet2.json").write_text(json.dumps({"dustscene": {"per_scene_s": []}}))
    with pytest.raises(FigureDataError, match="fit_vs_scarlet2.json: missing dustscene"):
        speed_summary(fits, cal, bench)

"""Validation metrics on cases with known answers."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from dustscene.validation import aggregate, cosine_similarity, nmad, pixel_stats, validate_scene


def test_perfect_inference_has_zero_bias_and_unit_r() -> None:
    x = np.random.default_rng(1).uniform(0, 0.5, 1000)
    s = pixel_stats(x, x)
    assert s.bias == 0 and s.nmad == 0 and s.rms == 0
    assert s.pearson_r == pytest.approx(1.0) and s.slope == pytest.approx(1.0)
    assert s.n_pixels == 1000


def test_known_offset_and_scale() -> None:
    x = np.random.default_rng(2).uniform(0, 0.5, 1000)
    s = pixel_stats(0.8 * x + 0.03, x)
    assert s.slope == pytest.approx(0.8)
    assert s.bias == pytest.approx(np.median(-0.2 * x + 0.03))
    assert s.pearson_r == pytest.approx(1.0)


def test_nmad_of_gaussian_matches_sigma() -> None:
    d = np.random.default_rng(3).normal(0.1, 0.05, 200_000)
    assert nmad(d) == pytest.approx(0.05, rel=0.01)
    s = pixel_stats(d, np.zeros_like(d))
    assert s.bias == pytest.approx(0.1, abs=1e-3)
    assert s.rms == pytest.approx(np.sqrt(0.1**2 + 0.05**2), rel=0.01)


def test_undefined_correlation_is_nan_not_a_number() -> None:
    s = pixel_stats(np.zeros(10), np.zeros(10))
    assert np.isnan(s.pearson_r) and np.isnan(s.slope)
    with pytest.raises(ValueError, match="no pixels"):
        pixel_stats(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="differ in size"):
        pixel_stats(np.zeros(3), np.zeros(4))


def test_undefined_statistics_become_null_for_json() -> None:
    d = pixel_stats(np.zeros(10), np.zeros(10)).as_dict()
    assert d["pearson_r"] is None and d["slope"] is None and d["bias"] == 0.0


def test_cosine_similarity() -> None:
    a = np.random.default_rng(4).random((8, 8))
    assert cosine_similarity(a, 3 * a) == pytest.approx(1.0)
    assert cosine_similarity(a, -a) == pytest.approx(-1.0)


def _write_pair(tmp_path, ebv_offset: float, flux_scale: float):
    rng = np.random.default_rng(5)
    yy, xx = np.indices((32, 32))
    prof = 200.0 * np.exp(-((yy - 15.5) ** 2 + (xx - 15.5) ** 2) / 40.0)
    free = np.stack([prof * s for s in (0.6, 0.8, 1.0, 1.1, 1.2)])
    ebv = 0.3 * prof / prof.max()
    k = np.array([4.61, 3.50, 2.69, 2.22, 1.94])
    att = free * 10 ** (-0.4 * k[:, None, None] * ebv)
    mock, fit = tmp_path / "mock_0000.h5", tmp_path / "fit.h5"
    with h5py.File(mock, "w") as f:
        f["observed/variance"] = np.full_like(free, 0.05**2)
        f["truth/attenuated"], f["truth/dustfree"] = att, free
        f["truth/ebv_effective"], f["truth/ebv_column"] = ebv, 2.0 * ebv
        f.attrs["bands"] = ["g", "r", "i", "z", "y"]
        f.attrs["inclination_deg"] = 45.0
    with h5py.File(fit, "w") as f:
        f["model/observed"] = att * flux_scale + rng.normal(0, 1e-9, att.shape)
        f["model/dustfree_observed"] = free * flux_scale
        f["dust/ebv"] = ebv + ebv_offset
        f.attrs["chi2_per_dof"] = 1.0
    return mock, fit


def test_validate_scene_perfect_fit(tmp_path) -> None:
    rec = validate_scene(*_write_pair(tmp_path, 0.0, 1.0))
    assert rec.ebv_effective["bias"] == pytest.approx(0.0, abs=1e-12)
    assert rec.ebv_effective["pearson_r"] == pytest.approx(1.0)
    assert rec.ebv_column["slope"] == pytest.approx(0.5)  # column truth is twice the effective
    assert all(abs(v) < 1e-6 for v in rec.dustfree_flux_frac_err.values())
    assert all(rec.a_band_inferred[b] == pytest.approx(rec.a_band_true[b], abs=1e-6)
               for b in rec.a_band_true)
    assert rec.morphology_cosine == pytest.approx(1.0)


def test_validate_scene_offset_and_aggregate(tmp_path) -> None:
    rec = validate_scene(*_write_pair(tmp_path, 0.02, 1.1))
    assert rec.ebv_effective["bias"] == pytest.approx(0.02)
    assert rec.dustfree_flux_frac_err["i"] == pytest.approx(0.1)
    m = aggregate([rec, rec], {"seed": 1, "config_sha256": "x", "dustscene_version": "0"})
    assert m["dust"]["ebv_effective"]["bias"] == pytest.approx(0.02)
    assert m["dust"]["ebv_effective"]["n_pixels"] == 2 * rec.n_pixels
    assert m["fit"]["flux_frac_err_median"] == pytest.approx(0.1)
    assert m["sed"]["status"] == "stage not run"


def test_validate_scene_names_file_on_mismatch(tmp_path) -> None:
    mock, fit = _write_pair(tmp_path, 0.0, 1.0)
    with h5py.File(fit, "a") as f:
        del f["dust/ebv"]
    with pytest.raises(ValueError, match=r"fit\.h5: missing dataset\(s\) \['dust/ebv'\]"):
        validate_scene(mock, fit)

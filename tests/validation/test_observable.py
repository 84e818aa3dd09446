"""Observable dust metrics on synthetic screen mocks whose answers are known exactly."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.mocks.psf import convolve_same, moffat_psf
from dustscene.sed.dust import MAG_PER_TAU
from dustscene.validation import aggregate, validate_scene
from dustscene.validation.observable import colour_screen_attenuation, inclination_bin

BANDS = ["g", "r", "i", "z", "y"]
K = np.array([4.61, 3.50, 2.69, 2.22, 1.94])
SKY = np.array([3.0, 4.0, 5.0, 6.0, 7.0])  # large next to the galaxy's outskirts on purpose
PROV = {"seed": 1, "config_sha256": "x", "dustscene_version": "0"}
N = 48


def _truth(uniform_ebv: float | None = None) -> dict[str, np.ndarray]:
    """A clumpy disk behind a laned E(B-V) screen, each band through its own Moffat PSF."""
    yy, xx = np.indices((N, N)) - (N - 1) / 2
    r = np.hypot(yy, 0.6 * xx)
    disk = 400.0 * np.exp(-r / 3.0)
    clumps = sum(300.0 * np.exp(-((yy - dy) ** 2 + (xx - dx) ** 2) / 1.5)
                 for dy, dx in ((4, -3), (-5, 2), (2, 6)))
    intrinsic = np.stack([(disk + (2.0 - 0.3 * b) * clumps) * (0.6 + 0.15 * b) for b in range(5)])
    lanes = 0.25 * (1 + np.sin(xx / 1.3)) * np.exp(-r / 8.0)  # structure below the seeing
    ebv = np.full((N, N), uniform_ebv) if uniform_ebv is not None else 0.05 + lanes
    psf = np.stack([moffat_psf(f, 0.168, 13) for f in (0.8, 0.75, 0.7, 0.65, 0.7)])
    free = convolve_same(intrinsic, psf)
    att = convolve_same(intrinsic * 10 ** (-0.4 * K[:, None, None] * ebv), psf)
    return {"intrinsic": intrinsic, "ebv": ebv, "psf": psf, "free": free, "att": att}


def _write_mock(path: Path, t: dict, inclination: float, with_intrinsic: bool = True) -> Path:
    with h5py.File(path, "w") as f:
        f["observed/variance"] = np.full_like(t["free"], 0.5**2)
        f["observed/psf"] = t["psf"]
        f["truth/attenuated"], f["truth/dustfree"] = t["att"], t["free"]
        f["truth/ebv_effective"], f["truth/ebv_column"] = t["ebv"], 1.5 * t["ebv"]
        if with_intrinsic:
            f["truth/dustfree_intrinsic"] = t["intrinsic"]
        f.attrs["bands"] = BANDS
        f.attrs["inclination_deg"] = inclination
        f.attrs["k_bands"] = K
    return path


def _write_fit(path: Path, t: dict, ebv_offset: float = 0.0, sky: np.ndarray | None = SKY,
               chi2: float = 1.0, residuals: np.ndarray | None = None) -> Path:
    """A model that renders the truth's screen with E + offset, plus a sky recorded or not."""
    ebv = t["ebv"] + ebv_offset
    att = convolve_same(t["intrinsic"] * 10 ** (-0.4 * K[:, None, None] * ebv), t["psf"])
    s = np.zeros(5) if sky is None else sky
    with h5py.File(path, "w") as f:
        f["model/observed"] = att + s[:, None, None]
        f["model/dustfree_observed"] = t["free"] + s[:, None, None]
        if sky is not None:
            f["model/sky"] = sky
        f["dust/ebv"] = ebv
        if residuals is not None:
            f["residuals"], f["observed/weights"] = residuals, np.ones_like(residuals)
        f.attrs["chi2_per_dof"] = chi2
    return path


def _scene(tmp_path: Path, name: str, inclination: float = 30.0, **fit_kw):
    t = _truth()
    mock = _write_mock(tmp_path / f"{name}.h5", t, inclination)
    return validate_scene(mock, _write_fit(tmp_path / f"{name}_fit.h5", t, **fit_kw))


def test_perfect_model_with_sky_scores_perfectly(tmp_path) -> None:
    rec = _scene(tmp_path, "mock_0000")
    for band in BANDS:
        s = rec.a_band_observable[band]
        assert s["n_pixels"] > 100
        assert s["bias"] == pytest.approx(0.0, abs=1e-6) and s["rms"] < 1e-5
        assert s["pearson_r"] == pytest.approx(1.0, abs=1e-6)
        assert s["slope"] == pytest.approx(1.0, abs=1e-4)
        assert rec.a_band_integrated[band]["err"] == pytest.approx(0.0, abs=1e-6)
        assert rec.a_band_inferred[band] == pytest.approx(rec.a_band_true[band], abs=1e-6)
        assert rec.dustfree_flux_frac_err[band] == pytest.approx(0.0, abs=1e-6)
        assert rec.flux_frac_err[band] == pytest.approx(0.0, abs=1e-6)
    assert rec.morphology_cosine == pytest.approx(1.0)


def test_old_fit_without_sky_dataset_reads_sky_zero(tmp_path) -> None:
    rec = _scene(tmp_path, "mock_0000", sky=None)
    assert rec.a_band_integrated["g"]["err"] == pytest.approx(0.0, abs=1e-6)
    assert rec.a_band_observable["g"]["bias"] == pytest.approx(0.0, abs=1e-6)


def test_ebv_offset_shifts_attenuation_by_k_times_offset(tmp_path) -> None:
    rec = _scene(tmp_path, "mock_0000", ebv_offset=0.1)
    for b, band in enumerate(BANDS):
        assert rec.a_band_observable[band]["bias"] == pytest.approx(0.1 * K[b], rel=1e-4)
        assert rec.a_band_integrated[band]["err"] == pytest.approx(0.1 * K[b], rel=1e-4)
    base = _scene(tmp_path, "mock_0001")
    shift = rec.ebv_resolved["bias"] - base.ebv_resolved["bias"]
    assert shift == pytest.approx(0.1, abs=0.01)


def test_resolved_ebv_is_against_the_psf_smoothed_truth(tmp_path) -> None:
    t = _truth(uniform_ebv=0.2)
    rec = validate_scene(_write_mock(tmp_path / "m.h5", t, 30.0),
                         _write_fit(tmp_path / "f.h5", t))
    assert rec.ebv_resolved["n_pixels"] > 100
    assert rec.ebv_resolved["bias"] == pytest.approx(0.0, abs=1e-3)  # inside the footprint
    laned = _scene(tmp_path, "mock_0002")  # the pre-PSF map is sharper than its smoothed truth
    assert laned.ebv_resolved["nmad"] > 0.01
    assert laned.ebv_resolved["pearson_r"] < laned.ceiling["ebv_resolved"]["pearson_r"] + 0.5


def test_ceiling_of_a_pure_screen_mock_equals_the_truth(tmp_path) -> None:
    rec = _scene(tmp_path, "mock_0000", ebv_offset=0.3)  # the model's errors do not matter
    ceil = rec.ceiling
    for band in BANDS:
        s = ceil["a_band_observable"][band]
        assert s["bias"] == pytest.approx(0.0, abs=1e-6) and s["rms"] < 1e-5
        assert s["pearson_r"] == pytest.approx(1.0, abs=1e-6)
        assert ceil["a_band_integrated"][band]["err"] == pytest.approx(0.0, abs=1e-6)
    # a patchy screen, summed over the galaxy, is greyer than its law: colours miss part of it
    assert ceil["a_band_integrated_colours"]["g"]["err"] < -0.01
    # per pixel after the PSF, patches below the seeing blend the same way: the colour limit
    # sees less attenuation than there is (slope < 1), yet tracks it closely
    col = ceil["a_band_observable_colours"]["g"]
    assert col["slope"] < 0.99 and col["pearson_r"] > 0.95 and col["bias"] < 0.0
    uniform = _truth(uniform_ebv=0.2)
    flat = validate_scene(_write_mock(tmp_path / "m.h5", uniform, 30.0),
                          _write_fit(tmp_path / "f.h5", uniform))
    assert flat.ceiling["ebv_resolved"]["bias"] == pytest.approx(0.0, abs=1e-3)
    assert flat.ceiling["ebv_resolved"]["rms"] < 5e-3
    for band in BANDS:  # a uniform screen's colours tell its whole attenuation
        assert flat.ceiling["a_band_integrated_colours"][band]["err"] == pytest.approx(0.0,
                                                                                       abs=1e-6)
        assert flat.ceiling["a_band_observable_colours"][band]["rms"] < 1e-6


def test_mock_without_intrinsic_truth_has_no_ceiling(tmp_path) -> None:
    t = _truth()
    rec = validate_scene(_write_mock(tmp_path / "m.h5", t, 30.0, with_intrinsic=False),
                         _write_fit(tmp_path / "f.h5", t))
    assert rec.ceiling == {} and rec.ebv_resolved["n_pixels"] == 0
    assert rec.a_band_observable["i"]["n_pixels"] > 100
    m = aggregate([rec], PROV)
    assert m["dust"]["ceiling"]["ebv_resolved"]["n_pixels"] == 0
    json.dumps(m, allow_nan=False)


@pytest.mark.parametrize(("deg", "name"), [(0.0, "face_on"), (39.9, "face_on"),
                                           (40.0, "intermediate"), (70.0, "intermediate"),
                                           (70.1, "edge_on"), (90.0, "edge_on")])
def test_inclination_bins(deg: float, name: str) -> None:
    assert inclination_bin(deg) == name


def test_pooled_blocks_by_inclination_and_strict_json(tmp_path) -> None:
    face = _scene(tmp_path, "mock_0000", inclination=20.0)
    mid = _scene(tmp_path, "mock_0001", inclination=55.0, ebv_offset=0.1)
    mid2 = _scene(tmp_path, "mock_0002", inclination=65.0, ebv_offset=0.1)
    m = aggregate([face, mid, mid2], PROV)
    d = m["dust"]
    text = json.dumps(m, allow_nan=False)
    assert "NaN" not in text
    for band in BANDS:
        assert set(d["a_band_observable"][band]) == {"bias", "nmad", "rms", "pearson_r",
                                                     "slope", "n_pixels"}
        assert set(d["a_band_integrated"][band]) == {"bias", "median_abs_err", "n_scenes"}
    assert d["a_band_integrated"]["g"]["n_scenes"] == 3
    assert d["a_band_integrated"]["g"]["bias"] == pytest.approx(0.1 * K[0], rel=1e-4)
    assert d["a_band_observable"]["g"]["n_pixels"] == sum(
        r.a_band_observable["g"]["n_pixels"] for r in (face, mid, mid2))
    by = d["by_inclination"]
    assert by["face_on"]["a_band_integrated"]["g"]["n_scenes"] == 1
    assert by["face_on"]["a_band_integrated"]["g"]["bias"] == pytest.approx(0.0, abs=1e-6)
    assert by["intermediate"]["a_band_integrated"]["g"]["n_scenes"] == 2
    assert by["intermediate"]["a_band_observable"]["g"]["bias"] == pytest.approx(0.1 * K[0],
                                                                                 rel=1e-4)
    assert by["edge_on"]["a_band_integrated"]["g"] == {"bias": None, "median_abs_err": None,
                                                       "n_scenes": 0}
    assert by["edge_on"]["ebv_resolved"]["n_pixels"] == 0
    assert by["edge_on"]["ebv_resolved"]["bias"] is None
    for key in ("a_band_observable", "ebv_resolved", "a_band_integrated",
                "a_band_observable_colours", "a_band_integrated_colours"):
        assert key in d["ceiling"]
    assert d["ceiling"]["a_band_integrated"]["g"]["median_abs_err"] == pytest.approx(0, abs=1e-6)
    # the laned screen's colour limit misses A_b by err: dust-free fluxes by 10^(0.4 err) - 1
    errs = [r.ceiling["a_band_integrated_colours"][b]["err"] for r in (face, mid, mid2)
            for b in BANDS]
    assert d["ceiling"]["dustfree_flux_frac_err_median_colours"] == pytest.approx(
        np.median(np.abs(10 ** (0.4 * np.asarray(errs)) - 1)))
    assert m["fit"]["n_failures"] == 0 and m["fit"]["failures"] == []
    per_scene = json.dumps(mid.as_dict(), allow_nan=False)
    assert "a_band_observable" in per_scene and "a_true" not in per_scene


def test_failed_fit_is_listed_with_a_cause(tmp_path) -> None:
    rng = np.random.default_rng(3)
    res = rng.normal(size=(5, N, N))
    res[:, :3, :] += 6.0  # a bad top edge
    bad = _scene(tmp_path, "mock_0000", chi2=4.2, residuals=res)
    good = _scene(tmp_path, "mock_0001", chi2=1.1, residuals=rng.normal(size=(5, N, N)))
    m = aggregate([bad, good], PROV)
    assert m["fit"]["n_failures"] == 1
    (fail,) = m["fit"]["failures"]
    assert fail["scene"] == "mock_0000" and fail["chi2_per_dof"] == pytest.approx(4.2)
    assert fail["likely_cause"] == "sky / edge"


def test_false_ebv_on_young_arms(tmp_path) -> None:
    """A fit that puts 0.1 extra E(B-V) only where young arms dominate the light shows it as
    false E(B-V) on the arms (against the inter-arm error); suites without arms get no block."""
    t = _truth(uniform_ebv=0.2)
    yy, xx = np.indices((N, N)) - (N - 1) / 2
    arm_band = np.abs(yy - 0.5 * xx) < 3.0  # a straight "arm" through the centre
    arms = np.where(arm_band, 0.6, 0.05)[None] * t["free"]
    mock = _write_mock(tmp_path / "arms.h5", t, 30.0)
    with h5py.File(mock, "a") as f:
        f["truth/components/arms/dustfree"] = arms
    t_fit = dict(t, ebv=np.where(arm_band, 0.3, 0.2))
    rec = validate_scene(mock, _write_fit(tmp_path / "arms_fit.h5", t_fit))
    plain = _scene(tmp_path, "mock_0000")
    out = aggregate([rec, plain], PROV)["dust"]["arms"]
    assert out["n_scenes"] == 1 and out["n_arm_pixels"] > 50 and out["n_interarm_pixels"] > 50
    # the PSF smooths the truth, not the model's map, so the arms' error is 0.1 to the PSF's
    # spill-over at the arm's edges
    assert out["ebv_error_arms"] == pytest.approx(0.1, abs=0.02)
    assert out["ebv_error_interarm"] == pytest.approx(0.0, abs=0.02)
    assert out["ebv_false_arms"] == pytest.approx(0.1, abs=0.03)
    assert "arms" not in aggregate([plain], PROV)["dust"]


def _pull_pixels(rng: np.random.Generator, sigma_claimed: float, sigma_true: float, n: int):
    from dustscene.validation.observable import ObservablePixels

    truth = rng.uniform(0.0, 0.3, n)
    model = truth + sigma_true * rng.standard_normal(n)
    return ObservablePixels(ebv_model=model, ebv_true=truth,
                            ebv_ceiling=truth, ebv_sigma=np.full(n, sigma_claimed))


def test_pulls_of_honest_sigmas_match_a_gaussian() -> None:
    """Errors drawn with the claimed sigma: 68 % / 95 % within 1 / 2 sigma, median |z| 0.674."""
    from dustscene.validation.observable import pull_record

    rng = np.random.default_rng(3)
    rec = pull_record([_pull_pixels(rng, 0.02, 0.02, 20000)])
    assert rec["frac_within_1sigma"] == pytest.approx(0.6827, abs=0.01)
    assert rec["frac_within_2sigma"] == pytest.approx(0.9545, abs=0.01)
    assert rec["median_abs_pull"] == pytest.approx(0.6745, abs=0.02)
    assert rec["n_pixels"] == 20000


def test_pulls_flag_sigmas_three_times_too_small() -> None:
    """A fit claiming sigma / 3: only ~26 % of its pixels fall within the claimed 1 sigma."""
    from dustscene.validation.observable import pull_record

    rng = np.random.default_rng(4)
    rec = pull_record([_pull_pixels(rng, 0.01, 0.03, 20000)])
    assert rec["frac_within_1sigma"] == pytest.approx(0.261, abs=0.015)
    assert rec["median_abs_pull"] > 1.8


def test_pulls_absent_without_sigmas() -> None:
    from dustscene.validation.observable import ObservablePixels, pull_record

    px = ObservablePixels(ebv_model=np.ones(3), ebv_true=np.ones(3), ebv_ceiling=np.ones(3))
    assert pull_record([px]) == {}


def test_colour_limit_misses_grey_attenuation_and_a_mixed_slab() -> None:
    """Colours see a screen exactly, a grey offset not at all, and a slab's attenuation only in
    part (Disney, Davies & Phillipps 1989): the colour limit underestimates it."""
    k = np.asarray(K, dtype=np.float64)
    screen = 0.25 * k
    np.testing.assert_allclose(colour_screen_attenuation(screen, k), screen, atol=1e-12)
    grey = 0.4
    np.testing.assert_allclose(colour_screen_attenuation(screen + grey, k), screen, atol=1e-12)
    per_pixel = k[:, None, None] * np.array([[0.0, 0.1], [0.2, 0.3]])[None]  # one screen each
    np.testing.assert_allclose(colour_screen_attenuation(per_pixel + grey, k), per_pixel,
                               atol=1e-12)
    tau = k * 1.5 / MAG_PER_TAU  # a uniform slab of stars and dust, tau_b = k_b E / 1.0857
    slab = -2.5 * np.log10((1.0 - np.exp(-tau)) / tau)
    limit = colour_screen_attenuation(slab, k)
    assert np.all(limit < slab)
    assert slab[0] - limit[0] > 0.2  # at E = 1.5 the slab's g band loses > 0.2 mag to grey

"""The bad-input matrix over the user-facing loaders: every case raises a typed error whose
message names the file and the problem (cases already covered elsewhere are not repeated:
tests/test_config.py, tests/io/test_observations.py, tests/mocks/test_io_suite.py,
tests/sed/test_ssp.py, tests/priors/test_score_model.py, tests/sedflow/test_flows_io.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.config import ConfigError, load_yaml
from dustscene.io.fitfile import FitFileError, read_fit
from dustscene.io.observations import ObservationError, load_observation
from dustscene.mocks.io import read_scene
from dustscene.sed.ssp import load_ssp_table
from dustscene.validation.dust import validate_scene

NB, NY, NX = 3, 12, 12
CAT = np.array([(5.0, 6.0)], dtype=[("x", "f8"), ("y", "f8")])


def _obs_arrays(**over: object) -> dict:
    rng = np.random.default_rng(0)
    d = {
        "images": rng.normal(size=(NB, NY, NX)),
        "variance": np.ones((NB, NY, NX)),
        "psfs": np.full((NB, 5, 5), 1 / 25),
        "filters": np.array(list("gri")),
        "catalog": CAT,
    }
    d.update(over)
    return {k: v for k, v in d.items() if v is not None}


def _npz(tmp: Path, name: str = "obs.npz", **over: object) -> Path:
    p = tmp / name
    with open(p, "wb") as fh:  # np.savez would append .npz to a name like obs.fits
        np.savez(fh, **_obs_arrays(**over))
    return p


def _raw(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _truncate(p: Path) -> Path:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return p


def _fits(tmp: Path, drop: str | None = None, **over: object) -> Path:
    from astropy.io import fits

    d = _obs_arrays(**over)
    hdus = [fits.PrimaryHDU()]
    for key in ("images", "variance", "psfs"):
        hdus.append(fits.ImageHDU(np.asarray(d[key]), name=key.upper()))
    hdus.append(fits.BinTableHDU.from_columns(
        [fits.Column(name="name", format="8A", array=np.asarray(d["filters"]))], name="FILTERS"))
    cat = d["catalog"]
    hdus.append(fits.BinTableHDU.from_columns(
        [fits.Column(name=c, format="D", array=np.asarray(cat[c])) for c in ("x", "y")],
        name="CATALOG"))
    hdus = [h for h in hdus if h.name != (drop or "").upper()]
    p = tmp / "obs.fits"
    fits.HDUList(hdus).writeto(p)
    return p


# --- observations: (builder, problem word) --------------------------------------------------
OBS_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing_file": (lambda t: t / "absent.npz", "does not exist"),
    "truncated_npz": (lambda t: _truncate(_npz(t)), "not a readable"),
    "empty_npz": (lambda t: _raw(t / "e.npz", b""), "not a readable"),
    "inf_pixel": (lambda t: _npz(t, images=np.where(np.eye(NY)[None] > 0, np.inf, 0.0)
                                 * np.ones((NB, 1, 1))), "NaN/inf"),
    "nan_variance": (lambda t: _npz(t, variance=np.full((NB, NY, NX), np.nan)), "non-finite"),
    "zero_variance_everywhere": (lambda t: _npz(t, variance=np.zeros((NB, NY, NX))), "masked"),
    "complex_images": (lambda t: _npz(t, images=np.ones((NB, NY, NX), complex)), "dtype"),
    "string_variance": (lambda t: _npz(t, variance=np.full((NB, NY, NX), "a")), "dtype"),
    "object_images_pickle_refused": (
        lambda t: _npz(t, images=np.array([None, 1], dtype=object)), "not a readable"),
    "psf_wrong_band_count": (lambda t: _npz(t, psfs=np.full((2, 5, 5), 1 / 25)), "PSF must be"),
    "psf_nan": (lambda t: _npz(t, psfs=np.full((NB, 5, 5), np.nan)), "non-finite"),
    "psf_sums_to_half": (lambda t: _npz(t, psfs=np.full((NB, 5, 5), 0.5 / 25)), "not normalised"),
    "images_2d": (lambda t: _npz(t, images=np.ones((NY, NX))), "images must be"),
    "variance_shape": (lambda t: _npz(t, variance=np.ones((NB, NY, NX - 1))), "variance shape"),
    "mask_shape": (lambda t: _npz(t, mask=np.zeros((NB, 2, 2), np.int32)), "mask shape"),
    "everything_masked": (lambda t: _npz(t, mask=np.ones((NB, NY, NX), np.int32)), "masked"),
    "too_many_filters": (lambda t: _npz(t, filters=np.array(list("griz"))), "band mismatch"),
    "catalog_missing": (lambda t: _npz(t, catalog=None), "catalog"),
    "catalog_without_xy": (
        lambda t: _npz(t, catalog=np.array([(1.0,)], dtype=[("ra", "f8")])), "'x' and 'y'"),
    "source_negative_y": (
        lambda t: _npz(t, catalog=np.array([(3.0, -4.0)], dtype=CAT.dtype)), "outside"),
    "unsupported_suffix": (lambda t: _raw(t / "obs.txt", b"1 2 3"),
                           "unsupported format"),
    "fits_truncated": (lambda t: _truncate(_fits(t)), "not a readable FITS"),
    "fits_missing_catalog": (lambda t: _fits(t, drop="CATALOG"), "missing extension"),
    "fits_nan_pixels": (lambda t: _fits(t, images=np.full((NB, NY, NX), np.nan)), "NaN"),
    "fits_empty_catalog": (lambda t: _fits(t, catalog=CAT[:0]), "empty"),
    "fits_band_mismatch": (lambda t: _fits(t, filters=np.array(list("gr"))), "band mismatch"),
    "h5_truncated": (lambda t: _truncate(_h5_mockobs(t)), "not a readable HDF5"),
    "h5_missing_bands": (lambda t: _h5_mockobs(t, bands=False), "bands"),
}


def _h5_mockobs(tmp: Path, bands: bool = True) -> Path:
    p = tmp / "mockobs.h5"
    with h5py.File(p, "w") as f:
        f["observed/images"] = np.zeros((NB, NY, NX), np.float32)
        f["observed/variance"] = np.ones((NB, NY, NX), np.float32)
        f["observed/psf"] = np.full((NB, 5, 5), 1 / 25, np.float32)
        if bands:
            f.attrs["bands"] = list("gri")
        f.create_dataset("padding", data=np.zeros(4096))  # something to cut in half
    return p


@pytest.mark.parametrize("case", sorted(OBS_CASES))
def test_observation_matrix(tmp_path: Path, case: str) -> None:
    build, word = OBS_CASES[case]
    path = build(tmp_path)
    with pytest.raises(ObservationError) as err:
        load_observation(path)
    msg = str(err.value)
    assert str(path) in msg and word in msg, msg


def test_integer_pixels_are_accepted_and_fits_loads(tmp_path: Path) -> None:
    """Whole-number images are fine (cast to float); the FITS layout is the .npz content."""
    data = load_observation(_npz(tmp_path, images=np.ones((NB, NY, NX), np.int16)))
    assert data.images.dtype == np.float64
    fits_data = load_observation(_fits(tmp_path))
    npz_data = load_observation(_npz(tmp_path, name="same.npz"))
    assert fits_data.bands == npz_data.bands == ("g", "r", "i")
    np.testing.assert_allclose(fits_data.images, npz_data.images)
    np.testing.assert_allclose(fits_data.centers, npz_data.centers)


# --- config files ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "word"),
    [
        (None, "not found"),
        ("seed: [1, 2\n", "not valid YAML"),
        ("seed: !!python/object/apply:os.system ['echo pwned']\n", "not valid YAML"),
    ],
    ids=["missing", "truncated", "unsafe_tag"],
)
def test_config_file_matrix(tmp_path: Path, text: str | None, word: str) -> None:
    p = tmp_path / "cfg.yaml"
    if text is not None:
        p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_yaml(p)
    assert str(p) in str(err.value) and word in str(err.value)


# --- mock scene and fit files ---------------------------------------------------------------
def _fit_file(tmp: Path, shape: tuple[int, ...] = (NB, NY, NX), schema: bool = True) -> Path:
    p = tmp / "fit.h5"
    with h5py.File(p, "w") as f:
        f["model/observed"] = np.ones(shape, np.float32)
        f["model/dustfree_observed"] = np.ones(shape, np.float32)
        f["dust/ebv"] = np.zeros(shape[1:], np.float32)
        g = f.create_group("parameters")
        if schema:
            g.attrs["schema"] = "[]"
        f.create_dataset("loss/history", data=np.zeros(4096))
    return p


def _mock_file(tmp: Path, attrs: bool = True) -> Path:
    p = tmp / "mock.h5"
    with h5py.File(p, "w") as f:
        f["observed/variance"] = np.ones((NB, NY, NX), np.float32)
        for k in ("truth/attenuated", "truth/dustfree"):
            f[k] = np.full((NB, NY, NX), 100.0, np.float32)
        for k in ("truth/ebv_effective", "truth/ebv_column"):
            f[k] = np.zeros((NY, NX), np.float32)
        if attrs:
            f.attrs["bands"] = list("gri")
            f.attrs["inclination_deg"] = 30.0
    return p


def test_mock_scene_truncated(tmp_path: Path) -> None:
    p = _truncate(_mock_file(tmp_path))
    with pytest.raises(ValueError, match="not a readable HDF5") as err:
        read_scene(p)
    assert str(p) in str(err.value)


FIT_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda t: t / "absent.h5", "not found"),
    "junk": (lambda t: _raw(t / "junk.h5", b"\x89HDF junk"), "corrupt"),
    "truncated": (lambda t: _truncate(_fit_file(t)), "corrupt"),
    "no_parameters": (lambda t: _strip(_fit_file(t), "parameters"), "missing"),
    "no_ebv": (lambda t: _strip(_fit_file(t), "dust/ebv"), "dust/ebv"),
}


def _strip(p: Path, key: str) -> Path:
    with h5py.File(p, "a") as f:
        del f[key]
    return p


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_fit_file_matrix(tmp_path: Path, case: str) -> None:
    build, word = FIT_CASES[case]
    p = build(tmp_path)
    with pytest.raises(FitFileError) as err:
        read_fit(p)
    assert str(p) in str(err.value) and word in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("case", "word"),
    [("mock_missing", "not a readable"), ("fit_truncated", "not a readable"),
     ("mock_no_attrs", "bands"), ("shape_mismatch", "does not match")],
)
def test_validate_scene_matrix(tmp_path: Path, case: str, word: str) -> None:
    mock = _mock_file(tmp_path, attrs=case != "mock_no_attrs")
    fit = _fit_file(tmp_path, shape=(NB, NY + 1, NX) if case == "shape_mismatch" else (NB, NY, NX))
    named = {"mock_missing": mock, "fit_truncated": fit}.get(case, mock)
    if case == "mock_missing":
        mock.unlink()
    if case == "fit_truncated":
        _truncate(fit)
    if case == "shape_mismatch":
        named = fit
    with pytest.raises(ValueError) as err:
        validate_scene(mock, fit)
    assert str(named) in str(err.value) and word in str(err.value), str(err.value)


def test_validate_scene_good_inputs_pass(tmp_path: Path) -> None:
    out = validate_scene(_mock_file(tmp_path), _fit_file(tmp_path))
    assert out.n_pixels == NY * NX


def test_ssp_table_truncated(tmp_path: Path) -> None:
    from dustscene.sed.ssp import FORMAT

    p = tmp_path / "ssp.h5"
    with h5py.File(p, "w") as f:
        f.attrs["format"] = FORMAT
        f["spectra"] = np.ones((2, 64, 64))
    _truncate(p)
    with pytest.raises(ValueError, match="corrupt") as err:
        load_ssp_table(p)
    assert str(p) in str(err.value)


# --- saved models: score prior (.eqx + .json) -----------------------------------------------
def _edit_json(path: Path, fn: Callable[[dict], object]) -> None:
    d = json.loads(path.read_text())
    out = fn(d)
    path.write_text(json.dumps(out if isinstance(out, list) else d))


def _flip(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


SCORE_EDITS: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    # name: (edit(weights, manifest), file named, problem word)
    "width_edited": (lambda w, j: _edit_json(j, lambda d: d.update(width=2)), "eqx", "deserialise"),
    "sigma_not_a_number": (
        lambda w, j: _edit_json(j, lambda d: d.update(sigma_data="big")), "json", "invalid"),
    "key_deleted": (lambda w, j: _edit_json(j, lambda d: d.pop("n_freq")), "json", "missing"),
    "format_edited": (
        lambda w, j: _edit_json(j, lambda d: d.update(format="mine/2")), "json", "format"),
    "not_a_mapping": (lambda w, j: _edit_json(j, lambda d: [d]), "json", "format"),
    "json_truncated": (lambda w, j: _truncate(j) and None, "json", "not valid JSON"),
    "weights_byte_flipped": (lambda w, j: _flip(w), "eqx", "sha256"),
    "weights_missing": (lambda w, j: w.unlink(), "eqx", "not found"),
}


@pytest.mark.parametrize("case", sorted(SCORE_EDITS))
def test_score_model_matrix(tmp_path: Path, case: str) -> None:
    import jax

    from dustscene.priors.io import ScoreModelError, load_score_model, save_score_model
    from dustscene.priors.network import ScoreUNet

    weights = tmp_path / "score_16.eqx"
    manifest = save_score_model(weights, ScoreUNet(width=4, key=jax.random.key(1)), {})
    edit, which, word = SCORE_EDITS[case]
    edit(weights, manifest)
    with pytest.raises(ScoreModelError) as err:
        load_score_model(weights)
    named = weights if which == "eqx" else manifest
    assert str(named) in str(err.value) and word in str(err.value), str(err.value)


# --- saved models: SED flow ensemble (.pt + .json) ------------------------------------------
@pytest.fixture(scope="module")
def flow_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained 2-member ensemble saved the normal way (no training: milliseconds)."""
    from dustscene.sedflow import FlowEnsemble
    from dustscene.sedflow.io import save_ensemble
    from dustscene.sedflow.noise import default_noise_model
    from dustscene.sedflow.train import FlowSpec, build_flow

    d = tmp_path_factory.mktemp("flows")
    spec = FlowSpec(hidden_features=8, num_transforms=1)
    low, high = np.zeros(10), np.ones(10)
    bands = list("grizy")
    ens = FlowEnsemble(
        flows=[build_flow(spec, low, high, 11) for _ in range(2)], low=low, high=high,
        noise=default_noise_model("hsc", bands), survey="hsc",
        x_min=np.zeros(11), x_max=np.ones(11), colour_min=-np.ones(4), colour_max=np.ones(4),
        meta={"spec": dataclasses.asdict(spec)},
    )
    save_ensemble(ens, d / "flows.pt", d / "flows.json")
    return d


FLOW_EDITS: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    "hidden_features_edited": (
        lambda w, j: _edit_json(j, lambda d: d["spec"].update(hidden_features=16)), "json",
        "does not match"),
    "n_members_edited": (lambda w, j: _edit_json(j, lambda d: d.update(n_members=3)), "json",
                         "does not match"),
    "unknown_spec_key": (lambda w, j: _edit_json(j, lambda d: d["spec"].update(depth=3)), "json",
                         "does not match"),
    "key_deleted": (lambda w, j: _edit_json(j, lambda d: d.pop("x_min") and None), "json",
                    "missing key"),
    "format_edited": (lambda w, j: _edit_json(j, lambda d: d.update(format="x")), "json", "format"),
    "json_truncated": (lambda w, j: _truncate(j) and None, "json", "not valid JSON"),
    "weights_path_escapes": (
        lambda w, j: _edit_json(j, lambda d: d.update(weights_file="../flows.pt")), "json",
        "plain file name"),
    "weights_byte_flipped": (lambda w, j: _flip(w), "pt", "sha256"),
    "weights_missing": (lambda w, j: w.unlink(), "pt", "not found"),
    "manifest_missing": (lambda w, j: j.unlink(), "json", "not found"),
}


@pytest.mark.parametrize("case", sorted(FLOW_EDITS))
def test_flow_ensemble_matrix(flow_files: Path, tmp_path: Path, case: str) -> None:
    from dustscene.sedflow import FlowFileError, load_ensemble

    weights, manifest = tmp_path / "flows.pt", tmp_path / "flows.json"
    for p in (weights, manifest):
        p.write_bytes((flow_files / p.name).read_bytes())
    load_ensemble(manifest)  # the pristine copy loads
    edit, which, word = FLOW_EDITS[case]
    edit(weights, manifest)
    with pytest.raises(FlowFileError) as err:
        load_ensemble(manifest)
    named = weights if which == "pt" else manifest
    assert str(named) in str(err.value) and word in str(err.value), str(err.value)


# --- a band with no data: the real HSC cutout with its i-band variance zeroed ---------------
def _cutout_without_i_variance(cutout: Path, out: Path) -> Path:
    with np.load(cutout, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    i = list(d["filters"]).index("i")
    d["variance"][i] = 0.0  # zero variance = "no data": the whole band is empty
    np.savez(out, **d)
    return out


def test_zero_variance_pixels_are_no_data_but_an_empty_band_stops(
    tmp_path: Path, hsc_cutout_path: Path
) -> None:
    """Zero variance marks single pixels as "no data" (ignored like masked ones); a band with
    no valid pixel at all would silently drop out of the fit, so it stops, naming file and band."""
    with np.load(hsc_cutout_path, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    d["variance"][2, 10:14, 10:14] = 0.0  # a few pixels without data: still a valid cutout
    few = tmp_path / "few_zero.npz"
    np.savez(few, **d)
    data = load_observation(few, mask_bits=415)
    assert data.bad[2, 10:14, 10:14].all() and not data.bad[2].all()
    assert np.all(data.variance[data.bad] == 0.0)

    bad = _cutout_without_i_variance(hsc_cutout_path, tmp_path / "no_i_variance.npz")
    for mask_bits in (None, 415):
        with pytest.raises(ValueError) as err:
            load_observation(bad, mask_bits=mask_bits)
        msg = str(err.value)
        assert isinstance(err.value, ObservationError)
        assert str(bad) in msg and "band(s) 'i'" in msg and "no valid pixel" in msg, msg
        assert "'g'" not in msg and "'z'" not in msg, msg  # only the empty band is named

    with np.load(hsc_cutout_path, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    d["mask"][3] = 1  # every z-band pixel masked: the same stop, naming z
    masked = tmp_path / "z_masked.npz"
    np.savez(masked, **d)
    with pytest.raises(ObservationError, match=r"band\(s\) 'z' have no valid pixel") as err:
        load_observation(masked)
    assert str(masked) in str(err.value)


def test_workflow_fit_of_a_band_without_data_exits_nonzero(
    tmp_path: Path, hsc_cutout_path: Path
) -> None:
    """The fit rule as a user runs it: non-zero exit, the file and the band named, no fit file."""
    import os
    import subprocess
    import sys

    import yaml

    repo = Path(__file__).resolve().parents[2]
    obs = _cutout_without_i_variance(hsc_cutout_path, tmp_path / "no_i_variance.npz")
    cfg = yaml.safe_load((repo / "config" / "ci.yaml").read_text())
    cfg["mocks"]["n_scenes"] = 1
    cfg["observations"] = [{"name": "noi", "path": str(obs)}]
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    work = tmp_path / "work"
    work.mkdir()
    snakemake = Path(sys.executable).parent / "snakemake"
    res = subprocess.run(
        [str(snakemake), "-s", str(repo / "Snakefile"), "--directory", str(work),
         "--workflow-profile", "none", "--cores", "1", "results/fits/noi.h5",
         "--configfile", str(cfg_path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log = work / "results" / "logs" / "fit" / "noi.log"
    text = res.stdout + res.stderr + (log.read_text() if log.exists() else "")
    assert res.returncode != 0, text[-3000:]
    assert str(obs) in text and "band(s) 'i' have no valid pixel" in text, text[-3000:]
    assert not (work / "results" / "fits" / "noi.h5").exists()

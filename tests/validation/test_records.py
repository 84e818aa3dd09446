"""Per-scene validation files: written once, read back into the same records and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_observable import PROV, N, _truth, _write_fit, _write_mock

from dustscene.validation import aggregate, validate_scene
from dustscene.validation.records import (
    read_scene_pixels,
    read_scene_record,
    write_scene_record,
)


def _round_trip(tmp_path: Path, rec):  # noqa: ANN001, ANN202 - a DustScene
    j, p = tmp_path / f"{rec.scene}.json", tmp_path / f"{rec.scene}.npz"
    write_scene_record(rec, j, p)
    return read_scene_record(j, p), j, p


def _scenes(tmp_path: Path) -> list:
    """A plain scene, one without the pre-PSF truth (no ceiling), one with arms, one failed."""
    t = _truth()
    recs = [validate_scene(_write_mock(tmp_path / "mock_0000.h5", t, 30.0),
                           _write_fit(tmp_path / "f0.h5", t, ebv_offset=0.02))]
    recs.append(validate_scene(_write_mock(tmp_path / "mock_0001.h5", t, 80.0,
                                           with_intrinsic=False),
                               _write_fit(tmp_path / "f1.h5", t, chi2=float("nan"))))
    yy, xx = np.indices((N, N)) - (N - 1) / 2
    arms = np.where(np.abs(yy - 0.5 * xx) < 3.0, 0.6, 0.05)[None] * t["free"]
    m = _write_mock(tmp_path / "mock_0002.h5", t, 55.0)
    with h5py.File(m, "a") as f:
        f["truth/components/arms/dustfree"] = arms
    recs.append(validate_scene(m, _write_fit(tmp_path / "f2.h5", t, sky=None)))
    res = np.random.default_rng(3).normal(size=(5, N, N))
    res[:, :3, :] += 6.0
    recs.append(validate_scene(_write_mock(tmp_path / "mock_0003.h5", t, 10.0),
                               _write_fit(tmp_path / "f3.h5", t, chi2=4.2, residuals=res)))
    return recs


def _same_arrays(a, b) -> None:  # noqa: ANN001 - ScenePixels / ObservablePixels
    for name, va in vars(a).items():
        vb = getattr(b, name)
        if isinstance(va, dict):
            assert list(va) == list(vb), name
            for k in va:
                np.testing.assert_array_equal(va[k], vb[k])
        elif va is None:
            assert vb is None, name
        else:
            assert np.asarray(va).dtype == np.asarray(vb).dtype
            np.testing.assert_array_equal(va, vb)


def test_records_read_back_give_identical_metrics(tmp_path: Path) -> None:
    recs = _scenes(tmp_path)
    back = [_round_trip(tmp_path, r)[0] for r in recs]
    for r, b in zip(recs, back, strict=True):
        assert json.dumps(b.as_dict(), sort_keys=True) == json.dumps(r.as_dict(), sort_keys=True)
        assert list(b.a_band_true) == list(r.a_band_true)
        assert list(b.dustfree_colour_err) == list(r.dustfree_colour_err)
        _same_arrays(r.pixels, b.pixels)
        _same_arrays(r.observable, b.observable)
    assert np.isnan(back[1].chi2_per_dof) and not back[1].ceiling
    fresh, read = aggregate(recs, PROV), aggregate(back, PROV)
    for m in (fresh, read):
        m["provenance"].pop("packages")
    assert json.dumps(read, sort_keys=True) == json.dumps(fresh, sort_keys=True)
    assert read["fit"]["n_failures"] == 1 and "arms" in read["dust"]


def test_pixels_file_is_reproducible_and_read_alone(tmp_path: Path) -> None:
    (rec,) = _scenes(tmp_path)[:1]
    _, _, p = _round_trip(tmp_path, rec)
    first = p.read_bytes()
    write_scene_record(rec, tmp_path / "again.json", p)
    assert p.read_bytes() == first
    _same_arrays(rec.pixels, read_scene_pixels(p))


def test_bad_scene_files_name_the_file(tmp_path: Path) -> None:
    (rec,) = _scenes(tmp_path)[:1]
    _, j, p = _round_trip(tmp_path, rec)
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="junk.npz"):
        read_scene_pixels(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="absent.json"):
        read_scene_record(tmp_path / "absent.json", p)
    d = json.loads(j.read_text())
    del d["ceiling"]
    (tmp_path / "short.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"short\.json lacks \['ceiling'\]"):
        read_scene_record(tmp_path / "short.json", p)

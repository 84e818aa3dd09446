"""Observation loading: the real cutout loads, and every kind of bad input names file and
problem."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from dustscene.io.observations import ObservationError, load_observation


def _write(path, **over):
    rng = np.random.default_rng(0)
    psf = np.ones((5, 9, 9)) / 81
    d = {
        "images": rng.normal(size=(5, 20, 20)),
        "variance": np.ones((5, 20, 20)),
        "psfs": psf,
        "filters": np.array(list("grizy")),
        "catalog": np.array([(5.0, 6.0)], dtype=[("x", "f8"), ("y", "f8")]),
    }
    d.update(over)
    np.savez(path, **{k: v for k, v in d.items() if v is not None})
    return path


def test_real_cutout_loads(hsc_cutout_path):
    data = load_observation(hsc_cutout_path, mask_bits=415)
    assert data.bands == ("g", "r", "i", "z", "y") and data.centers.shape == (7, 2)
    assert load_observation(hsc_cutout_path).bad.mean() > data.bad.mean()


def test_mock_h5_loads(tmp_path):
    p = tmp_path / "mock.h5"
    with h5py.File(p, "w") as f:
        f["observed/images"] = np.zeros((5, 16, 16), np.float32)
        f["observed/variance"] = np.ones((5, 16, 16), np.float32)
        f["observed/psf"] = np.full((5, 5, 5), 1 / 25, np.float32)
        f.attrs["bands"] = ["g", "r", "i", "z", "y"]
    data = load_observation(p)
    assert data.centers is None and data.images.shape == (5, 16, 16)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"images": np.full((5, 20, 20), np.nan)}, "NaN"),
        ({"variance": -np.ones((5, 20, 20))}, "negative variance"),
        ({"psfs": np.ones((5, 9, 9))}, "not normalised"),
        ({"psfs": np.ones((9, 9)) / 81}, "PSF must be"),
        ({"filters": np.array(list("griz"))}, "band mismatch"),
        ({"catalog": np.array([], dtype=[("x", "f8"), ("y", "f8")])}, "empty"),
        ({"catalog": np.array([(50.0, 6.0)], dtype=[("x", "f8"), ("y", "f8")])}, "outside"),
        ({"psfs": None}, "missing array 'psfs'"),
    ],
)
def test_bad_input_raises_clear_error(tmp_path, over, message):
    p = _write(tmp_path / "bad.npz", **over)
    with pytest.raises(ObservationError, match=message) as err:
        load_observation(p)
    assert str(p) in str(err.value) and isinstance(err.value, ValueError)


def test_corrupt_file(tmp_path):
    p = tmp_path / "corrupt.npz"
    p.write_bytes(b"not a zip file at all")
    with pytest.raises(ObservationError, match="not a readable"):
        load_observation(p)

"""The hallucination products: HDF5 layout the figure-5 reader needs, strict JSON, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.hallucination.store import MAPS, MASKS, write_hallucination, write_validation


def _result(n: int = 6) -> dict:
    rng = np.random.default_rng(0)
    out = {k: rng.random((n, n)) for k in MAPS}
    out["spectrum"] = rng.random(5)
    out["model"] = rng.random((5, n, n))
    out.update({k: rng.random((n, n)) > 0.5 for k in MASKS})
    out["loss_history"] = np.linspace(10.0, 1.0, 7)
    out["attrs"] = {"temperature": 0.02, "auc_large_error": float("nan"), "dust_from_fit": True}
    return out


def test_maps_file_layout(tmp_path: Path) -> None:
    path = tmp_path / "hallucination" / "scene.h5"
    res = _result()
    write_hallucination(path, res)
    assert sorted(p.name for p in path.parent.iterdir()) == ["scene.h5"]  # no temporary left
    with h5py.File(path, "r") as f:
        for k in MAPS:
            assert f[k].dtype == np.float32
            np.testing.assert_allclose(f[k][()], res[k], rtol=1e-6)
        for k in MASKS:
            assert f[k].dtype == np.uint8
            np.testing.assert_array_equal(f[k][()] > 0, res[k])
        assert f["loss_history"].dtype == np.float64
        assert f.attrs["temperature"] == 0.02 and np.isnan(f.attrs["auc_large_error"])


def test_validation_json_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "validation.json"
    summary = {
        "temperature": 0.02,
        "auc_large_error": float("nan"),
        "auc_per_scene": [0.9, float("nan")],
        "masked_half": {"prior_dominated_masked": 0.95},
    }
    write_validation(path, summary)

    def no_constants(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    obj = json.loads(path.read_text(), parse_constant=no_constants)
    assert obj["auc_large_error"] is None and obj["auc_per_scene"] == [0.9, None]
    assert obj["masked_half"]["prior_dominated_masked"] == 0.95


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "scene.h5"
    bad = _result()
    del bad["rho"]
    with pytest.raises(KeyError):
        write_hallucination(path, bad)
    assert list(tmp_path.iterdir()) == []

"""read_fit's selective reads: only the asked-for datasets, attributes always, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.io.fitfile import FitFileError, read_fit


def _fit(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f["model/observed"] = np.ones((3, 4, 4), np.float32)
        f["model/dustfree_observed"] = np.ones((3, 4, 4), np.float32)
        f["dust/ebv"] = np.zeros((4, 4), np.float32)
        f["components/0/spectrum"] = np.arange(3.0)
        f["components/1/spectrum"] = np.arange(3.0)
        f.create_group("parameters").attrs["schema"] = json.dumps([{"name": "a"}])
        f.attrs["chi2_per_dof"] = 1.25
        f.attrs["bands"] = b"gri"
    return path


def test_whole_and_selected_reads(tmp_path: Path) -> None:
    p = _fit(tmp_path / "fit.h5")
    whole = read_fit(p)
    assert {"model/observed", "dust/ebv", "components/1/spectrum"} <= set(whole)
    attrs_only = read_fit(p, ())
    assert set(attrs_only) == {"attrs", "schema"}
    assert attrs_only["attrs"] == {"chi2_per_dof": 1.25, "bands": "gri"}
    assert attrs_only["schema"] == [{"name": "a"}]
    some = read_fit(p, ["dust/ebv", "components"], optional=("model/sky", "model/observed"))
    assert set(some) - {"attrs", "schema"} == {"dust/ebv", "components/0/spectrum",
                                               "components/1/spectrum", "model/observed"}
    np.testing.assert_array_equal(some["dust/ebv"], whole["dust/ebv"])


def test_selected_keys_must_exist(tmp_path: Path) -> None:
    p = _fit(tmp_path / "fit.h5")
    with pytest.raises(FitFileError, match=r"fit\.h5: missing dataset\(s\) \['model/sky'\]"):
        read_fit(p, ["dust/ebv", "model/sky"])
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(FitFileError, match="fit.h5 is corrupt or not a readable HDF5"):
        read_fit(p, ())

"""The truth control of spectrum_outliers: the mocks' true component fluxes, read like fits."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from dustscene.spectra.inputs import truth_fluxes

BANDS = ["g", "r", "i", "z", "y"]


def _mock(path, bands=BANDS, bulge_flux=(1.0, 2.0, 3.0, 3.5, 4.0)):
    with h5py.File(path, "w") as f:
        f.attrs["bands"] = np.array(bands, dtype="S")
        f.attrs["redshift"] = 0.15
        for k, name in enumerate(("bulge", "disk")):
            g = f.create_group(f"truth/components/{name}")
            g["sed_flux"] = np.asarray(bulge_flux, dtype=float) * (k + 1)
            img = np.zeros((len(bands), 4, 4))
            img[:, 1, 2] = 0.5 * np.asarray(bulge_flux) * (k + 1)  # half the light survives dust
            g["attenuated"] = img
    return path


def test_truth_fluxes_dustfree_and_attenuated(tmp_path):
    rows = truth_fluxes(_mock(tmp_path / "m.h5"), BANDS)
    assert [(c, k) for c, k, _ in rows] == [("bulge", "dustfree"), ("bulge", "attenuated"),
                                            ("disk", "dustfree"), ("disk", "attenuated")]
    np.testing.assert_allclose(rows[0][2], [1, 2, 3, 3.5, 4])
    np.testing.assert_allclose(rows[3][2], [1, 2, 3, 3.5, 4])  # 2 x flux x 0.5 attenuation


def test_truth_fluxes_refuse_bad_mocks(tmp_path):
    with pytest.raises(ValueError, match="other.h5.*bands"):
        truth_fluxes(_mock(tmp_path / "other.h5", bands=["g", "r", "i", "z", "N"]), BANDS)
    with pytest.raises(ValueError, match="neg.h5.*positive"):
        truth_fluxes(_mock(tmp_path / "neg.h5", bulge_flux=(1.0, -2.0, 3.0, 3.5, 4.0)), BANDS)
    (tmp_path / "junk.h5").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.h5"):
        truth_fluxes(tmp_path / "junk.h5", BANDS)

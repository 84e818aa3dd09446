"""Determinism: the same observation and settings give the same fit (to 1e-6), in two runs.

Byte-identical mock files for the same config and seed are proven in
tests/mocks/test_io_suite.py::test_same_seed_same_bytes_different_seed_differs (not repeated).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dustscene.inference import run_fit_file
from dustscene.io.fitfile import read_fit

SETTINGS = {"morphology": "sersic", "adam_steps": 100, "lbfgs_steps": 50, "laplace": False}


def _tiny_observation(path: Path) -> Path:
    """3 bands, 24x24, one Gaussian source through a Gaussian PSF, seeded noise."""
    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[:24, :24]
    src = np.exp(-((yy - 11.6) ** 2 + (xx - 12.3) ** 2) / (2 * 2.5**2))
    py, px = np.mgrid[:7, :7] - 3
    psf = np.exp(-(py**2 + px**2) / (2 * 1.0**2))
    psf /= psf.sum()
    amps = np.array([20.0, 35.0, 50.0])
    var = np.ones((3, 24, 24))
    images = amps[:, None, None] * src[None] + rng.normal(size=(3, 24, 24))
    np.savez(
        path,
        images=images,
        variance=var,
        psfs=np.repeat(psf[None], 3, axis=0),
        filters=np.array(["g", "r", "i"]),
        catalog=np.array([(12.3, 11.6)], dtype=[("x", "f8"), ("y", "f8")]),
    )
    return path


def test_same_input_same_fit(tmp_path: Path) -> None:
    obs = _tiny_observation(tmp_path / "tiny.npz")
    fits = []
    for k in range(2):
        out = tmp_path / f"fit{k}.h5"
        run_fit_file(obs, out, dict(SETTINGS))
        fits.append(read_fit(out))
    a, b = fits
    for key in ("model/observed", "model/dustfree_observed", "dust/ebv"):
        np.testing.assert_allclose(a[key], b[key], rtol=1e-6, atol=1e-6, err_msg=key)
    assert a["attrs"]["chi2_per_dof"] == b["attrs"]["chi2_per_dof"] or np.isclose(
        a["attrs"]["chi2_per_dof"], b["attrs"]["chi2_per_dof"], rtol=1e-6
    )
    assert np.isfinite(a["model/observed"]).all()

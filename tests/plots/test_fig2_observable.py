"""Figure 2 in observable form: one example per inclination bin, five panels per row."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from dustscene.plots import paper
from dustscene.plots.paper_data import dustmap_examples, load_npz, pick_by_inclination, save_npz

N = 24


def _pair(tmp_path: Path, name: str, inclination: float) -> tuple[Path, Path]:
    yy, xx = np.indices((N, N))
    img = 100 * np.exp(-((yy - 12) ** 2 + (xx - 12) ** 2) / 10.0)
    ebv = np.zeros((N, N))
    ebv[:, 12] = 0.4  # a lane one pixel wide: the PSF spreads it
    psf = np.ones((3, 5, 5))
    mock, fit = tmp_path / f"{name}.h5", tmp_path / f"{name}_fit.h5"
    with h5py.File(mock, "w") as f:
        f["observed/images"] = f["truth/attenuated"] = np.stack([img] * 3)
        f["truth/dustfree"] = np.stack([1.2 * img] * 3)
        f["observed/variance"] = np.ones((3, N, N))
        f["observed/psf"] = psf
        f["truth/ebv_effective"] = ebv
        f.attrs["bands"] = ["g", "r", "i"]
        f.attrs["inclination_deg"] = inclination
    with h5py.File(fit, "w") as f:
        f["dust/ebv"] = ebv
    return mock, fit


def test_one_example_per_inclination_bin(tmp_path: Path) -> None:
    incl = [85.0, 30.0, 10.0, 50.0, 72.0]
    mocks = [_pair(tmp_path, f"mock_{k:04d}", v)[0] for k, v in enumerate(incl)]
    assert pick_by_inclination(mocks) == [1, 3, 0]  # nearest 20, 55 and 80 deg
    assert pick_by_inclination(mocks[:1]) == [0]


def test_observable_layout_shows_the_smoothed_truth(tmp_path: Path) -> None:
    pairs = [_pair(tmp_path, f"mock_{k:04d}", v) for k, v in enumerate((20.0, 80.0))]
    d = dustmap_examples([m for m, _ in pairs], [f for _, f in pairs])
    smooth = d["ebv_smoothed_0"]
    assert smooth[12, 12] < 0.4 and smooth[12, 13] > 0  # the lane spread over 5 pixels
    assert np.allclose(smooth[12].sum(), 0.4, rtol=1e-6)
    save_npz(tmp_path / "f2.npz", d)
    fig = paper.plot_dustmaps(load_npz(tmp_path / "f2.npz"))
    assert sum(1 for a in fig.axes if a.get_label() != "<colorbar>") == 2 * 5
    paper.save_png_pdf(fig, tmp_path / "f2.png", tmp_path / "f2.pdf")
    assert (tmp_path / "f2.png").stat().st_size > 1000

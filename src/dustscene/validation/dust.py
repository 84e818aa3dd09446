"""Per-scene validation of a fit against its mock truth: dust map, dust-free fluxes, morphology."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import h5py
import numpy as np
from numpy.typing import NDArray

from .metrics import cosine_similarity, json_safe, pixel_stats

SNR_MIN = 5.0  # CONTRACTS: dust statistics over pixels with i-band S/N > 5


def _bands(attr) -> list[str]:  # noqa: ANN001 - h5py attribute of bytes or str
    return [b.decode() if isinstance(b, bytes) else str(b) for b in attr]


@dataclass(frozen=True)
class ScenePixels:
    """The selected pixels of one scene: inferred and true E(B-V) (effective and column)."""

    ebv_inferred: NDArray[np.float64]
    ebv_effective: NDArray[np.float64]
    ebv_column: NDArray[np.float64]
    surface_brightness: NDArray[np.float64]  # i-band counts per pixel (dust-free truth)


@dataclass(frozen=True)
class DustScene:
    """One mock's verdict: dust-map agreement, fluxes, colours and morphology, with its context."""

    scene: str
    inclination_deg: float
    chi2_per_dof: float
    n_pixels: int
    ebv_effective: dict
    ebv_column: dict
    a_band_true: dict
    a_band_inferred: dict
    dustfree_flux_frac_err: dict
    flux_frac_err: dict
    dustfree_colour_err: dict
    morphology_cosine: float
    pixels: ScenePixels | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        out = asdict(self)
        out.pop("pixels")
        return json_safe(out)


def _read(path: Path, keys: list[str]) -> dict:
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise ValueError(f"{path}: missing dataset(s) {missing}")
            out = {k: np.asarray(f[k][()], dtype=np.float64) for k in keys}
            out["attrs"] = dict(f.attrs)
            return out
    except OSError as err:
        raise ValueError(f"{path}: not a readable HDF5 file ({err})") from err


def validate_scene(mock_path: str | Path, fit_path: str | Path) -> DustScene:
    """Compare the fit at `fit_path` with the truth of the mock at `mock_path`."""
    mock = _read(Path(mock_path), ["observed/variance", "truth/attenuated", "truth/dustfree",
                                   "truth/ebv_effective", "truth/ebv_column"])
    fit = _read(Path(fit_path), ["model/observed", "model/dustfree_observed", "dust/ebv"])
    lacking = [a for a in ("bands", "inclination_deg") if a not in mock["attrs"]]
    if lacking:
        raise ValueError(f"{mock_path}: missing root attribute(s) {lacking}")
    bands = _bands(mock["attrs"]["bands"])
    if fit["model/observed"].shape != mock["truth/attenuated"].shape:
        raise ValueError(
            f"{fit_path}: model shape {fit['model/observed'].shape} does not match the mock "
            f"{mock_path} {mock['truth/attenuated'].shape}"
        )
    i = bands.index("i") if "i" in bands else len(bands) // 2
    snr = mock["truth/attenuated"][i] / np.sqrt(mock["observed/variance"][i])
    sel = snr > SNR_MIN
    if not sel.any():
        raise ValueError(f"{mock_path}: no pixel with i-band S/N > {SNR_MIN}")
    ebv = fit["dust/ebv"]
    eff, col = mock["truth/ebv_effective"], mock["truth/ebv_column"]

    def total(a: NDArray) -> NDArray:
        return a.sum(axis=(1, 2))

    true_att, true_free = total(mock["truth/attenuated"]), total(mock["truth/dustfree"])
    mod_att, mod_free = total(fit["model/observed"]), total(fit["model/dustfree_observed"])
    a_true = -2.5 * np.log10(true_att / true_free)
    a_inf = -2.5 * np.log10(np.clip(mod_att, 1e-30, None) / np.clip(mod_free, 1e-30, None))
    free_err = mod_free / true_free - 1.0
    mag_err = -2.5 * np.log10(np.clip(mod_free, 1e-30, None) / true_free)
    colours = {f"{a}-{b}": float(mag_err[k] - mag_err[k + 1])
               for k, (a, b) in enumerate(zip(bands[:-1], bands[1:], strict=True))}
    return DustScene(
        scene=Path(mock_path).stem,
        inclination_deg=float(mock["attrs"]["inclination_deg"]),
        chi2_per_dof=float(fit["attrs"].get("chi2_per_dof", np.nan)),
        n_pixels=int(sel.sum()),
        ebv_effective=pixel_stats(ebv[sel], eff[sel]).as_dict(),
        ebv_column=pixel_stats(ebv[sel], col[sel]).as_dict(),
        a_band_true=dict(zip(bands, a_true.tolist(), strict=True)),
        a_band_inferred=dict(zip(bands, a_inf.tolist(), strict=True)),
        dustfree_flux_frac_err=dict(zip(bands, free_err.tolist(), strict=True)),
        flux_frac_err=dict(zip(bands, (mod_att / true_att - 1.0).tolist(), strict=True)),
        dustfree_colour_err=colours,
        morphology_cosine=cosine_similarity(fit["model/dustfree_observed"][i],
                                            mock["truth/dustfree"][i]),
        pixels=ScenePixels(ebv[sel], eff[sel], col[sel], mock["truth/dustfree"][i][sel]),
    )

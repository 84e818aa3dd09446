"""Paper-figure data: extract the arrays each paper figure plots from the run's data products.

Compute is split from plotting so a style change reruns only the plot rule: each function here
returns a flat dict of numpy arrays (numbers, strings as unicode arrays, never objects) that
`save_npz` writes to `results/figures/data/fig*.npz` and `load_npz` reads back without pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from ..hallucination.errors import scene_errors
from ..io.atomic import atomic_path, write_json_atomic
from ..io.fitfile import read_fit
from ..io.mockfile import MockParts, read_mock

SNR_MIN = 5.0  # dust statistics over pixels with i-band S/N > 5 (validation.observable.SNR_MIN)


class FigureDataError(ValueError):
    """A figure's input or data file is missing, unreadable or lacks a key (names the file)."""


def save_npz(path: str | Path, arrays: dict[str, Any]) -> None:
    """Write `arrays` (name -> array-like of numbers or strings) to an .npz atomically."""
    clean = {}
    for k, v in arrays.items():
        a = np.asarray(v)
        if a.dtype == object:
            raise FigureDataError(f"{path}: array {k!r} has dtype object (would need pickle)")
        clean[k] = a
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **clean)


def load_npz(path: str | Path, required: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Read a figure-data .npz (no pickle); FigureDataError names the file and missing keys."""
    p = Path(path)
    if not p.is_file():
        raise FigureDataError(f"figure data file {p} not found")
    try:
        with np.load(p, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
    except (OSError, ValueError) as err:
        raise FigureDataError(f"figure data file {p} is not a readable .npz: {err}") from err
    missing = [k for k in required if k not in out]
    if missing:
        raise FigureDataError(f"figure data file {p} lacks {missing}")
    return out


def _mock(path: str | Path, keys: Sequence[str] = (), **kw: Any) -> MockParts:  # noqa: ANN401
    """`mocks.io.read_mock` with its errors as FigureDataError (they name the file)."""
    try:
        return read_mock(path, keys, **kw)
    except ValueError as err:
        raise FigureDataError(str(err)) from err


def _fit(path: str | Path, keys: Sequence[str] = ()) -> dict[str, Any]:
    """`io.fitfile.read_fit` of `keys` only, with its errors as FigureDataError."""
    try:
        return read_fit(path, keys)
    except ValueError as err:
        raise FigureDataError(str(err)) from err


def _i_band(bands: Sequence[str]) -> int:
    return list(bands).index("i") if "i" in bands else len(bands) // 2


def pick_by_inclination(mock_paths: Sequence[str | Path]) -> list[int]:
    """Indices of one example mock per inclination bin (face-on, intermediate, edge-on).

    In each bin the mock nearest the bin's middle inclination; empty bins are skipped.
    """
    from ..validation.observable import INCLINATION_BINS, inclination_bin

    incl = [float(_mock(m, attrs=("inclination_deg",)).attrs["inclination_deg"])
            for m in mock_paths]
    out = []
    for name, (lo, hi) in INCLINATION_BINS.items():
        members = [k for k, v in enumerate(incl) if inclination_bin(v) == name]
        if members:
            out.append(min(members, key=lambda k: abs(incl[k] - 0.5 * (lo + hi))))
    return out


def _observable_panels(mock: MockParts, i: int) -> dict[str, np.ndarray]:
    """i-band dust-free truth and the true E(B-V) smoothed by the i-band PSF (empty without PSF)."""
    from ..validation.observable import smooth_map

    if "observed/psf" not in mock.arrays:
        return {}
    if "truth/dustfree" not in mock.arrays:
        raise FigureDataError(f"{mock.path}: missing dataset(s) ['truth/dustfree']")
    psf = mock.array("observed/psf")[i]
    free = mock.array("truth/dustfree")[i]
    return {"dustfree": free, "ebv_smoothed": smooth_map(mock.array("truth/ebv_effective"), psf)}


def dustmap_examples(
    mock_paths: Sequence[str | Path], fit_paths: Sequence[str | Path]
) -> dict[str, np.ndarray]:
    """Figure 2: true and inferred E(B-V) maps (y, x) and the i-band data of example mocks.

    Keys per example k: `ebv_true_k`, `ebv_inferred_k`, `image_k` (i band), `snr_mask_k`
    (i-band S/N > 5 of the noiseless truth, the validation's pixel selection); where the mock
    has its PSFs also `dustfree_k` (i-band dust-free truth) and `ebv_smoothed_k` (the true
    E(B-V) through the i-band PSF, what the data can resolve); and `names`, `inclination`.
    """
    if len(mock_paths) != len(fit_paths) or not mock_paths:
        raise FigureDataError(f"need matching mock and fit files, got {len(mock_paths)} mocks "
                              f"and {len(fit_paths)} fits")
    out: dict[str, Any] = {"names": [], "inclination": []}
    for k, (m, f) in enumerate(zip(mock_paths, fit_paths, strict=True)):
        parts = _mock(m, ["observed/images", "observed/variance", "truth/attenuated",
                          "truth/ebv_effective"], optional=("observed/psf", "truth/dustfree"),
                      attrs=("bands",))
        mock = {key: parts.array(key) for key in parts.arrays}
        ebv_fit = np.asarray(_fit(f, ["dust/ebv"])["dust/ebv"], np.float64)
        if ebv_fit.shape != mock["truth/ebv_effective"].shape:
            raise FigureDataError(f"{f}: dust/ebv shape {ebv_fit.shape} differs from "
                                  f"the mock {m} {mock['truth/ebv_effective'].shape}")
        i = _i_band(parts.bands)
        snr = mock["truth/attenuated"][i] / np.sqrt(mock["observed/variance"][i])
        out[f"ebv_true_{k}"] = mock["truth/ebv_effective"]
        out[f"ebv_inferred_{k}"] = ebv_fit
        out[f"image_{k}"] = mock["observed/images"][i]
        out[f"snr_mask_{k}"] = snr > SNR_MIN
        out.update({f"{key}_{k}": v for key, v in _observable_panels(parts, i).items()})
        out["names"].append(Path(m).stem)
        out["inclination"].append(float(parts.attrs.get("inclination_deg", np.nan)))
    out["names"] = np.asarray(out["names"], dtype=str)
    out["inclination"] = np.asarray(out["inclination"], dtype=np.float64)
    return out


def ebv_pixels(pixel_paths: Sequence[str | Path]) -> dict[str, np.ndarray]:
    """Figure 4: every selected pixel of every mock (the validation's selection, i-band S/N > 5),
    read from rule validate_scene's per-scene pixel files rather than validating again.

    Keys: `inferred`, `effective`, `column` (pixel,) E(B-V), `scene` (pixel,) mock index, and
    per truth ("effective", "column") the binned bias `{truth}_bin_{centre,bias,nmad,count}`.
    """
    from ..validation.records import read_scene_pixels

    if not pixel_paths:
        raise FigureDataError("need the validation's scene pixel files, got none")
    cols: dict[str, list[np.ndarray]] = {"inferred": [], "effective": [], "column": [],
                                         "scene": []}
    for k, p in enumerate(pixel_paths):
        try:
            px = read_scene_pixels(p)
        except ValueError as err:
            raise FigureDataError(str(err)) from err
        cols["inferred"].append(px.ebv_inferred)
        cols["effective"].append(px.ebv_effective)
        cols["column"].append(px.ebv_column)
        cols["scene"].append(np.full(px.ebv_inferred.size, k, np.int32))
    out = {k: np.concatenate(v) for k, v in cols.items()}
    for truth in ("effective", "column"):
        for k, v in binned_bias(out[truth], out["inferred"]).items():
            out[f"{truth}_bin_{k}"] = v
    return out


def observation_panels(
    fit_path: str | Path, data_path: str | Path, *, mask_bits: int | None = None
) -> dict[str, np.ndarray]:
    """Figure 3: data, convolved model, deconvolved model, residual/sigma and E(B-V) of a fit.

    `has_dust` is False when the fit had no dust component (`dust: none` in the fit's config):
    its `dust/ebv` is then identically zero and the figure says so instead of showing it.
    """
    from ..io.observations import load_observation

    keys = ("model/observed", "model/frame", "observed/weights", "dust/ebv")
    fitted = read_fit(fit_path, (), optional=keys)  # these datasets only, never the samples
    obs = load_observation(data_path, mask_bits=mask_bits)
    for key in keys:
        if key not in fitted:
            raise FigureDataError(f"{fit_path}: missing dataset {key}")
    attrs = fitted["attrs"]
    try:
        dust = json.loads(attrs.get("config", "{}")).get("dust", "unknown")
    except json.JSONDecodeError:
        dust = "unknown"
    weights = np.asarray(fitted["observed/weights"], np.float64)
    data = np.where(weights > 0, obs.images, 0.0)
    model = np.asarray(fitted["model/observed"], np.float64)
    if model.shape != data.shape:
        raise FigureDataError(f"{fit_path}: model shape {model.shape} differs from the data "
                              f"{data_path} {data.shape}")
    ebv = np.asarray(fitted["dust/ebv"], np.float64)
    return {
        "data": data,
        "model": model,
        "deconvolved": np.asarray(fitted["model/frame"], np.float64),
        "residual_sigma": np.where(weights > 0, (data - model) * np.sqrt(weights), np.nan),
        "ebv": ebv,
        "has_dust": np.asarray(dust not in ("none", "unknown") or bool(np.any(ebv != 0))),
        "dust_model": np.asarray(str(dust)),
        "bands": np.asarray(list(obs.bands), dtype=str),
        "chi2_per_dof": np.asarray(float(attrs["chi2_per_dof"])),
        "name": np.asarray(Path(data_path).stem),
    }


def hallucination_panels(
    maps_paths: Sequence[str | Path], mock_paths: Sequence[str | Path], validation_json: str | Path
) -> dict[str, np.ndarray]:
    """Figure 5: rho maps of the mocks' score-prior fits (`maps_paths`, fit files) with their
    on-source and large-error masks (`hallucination.compute.scene_errors`), and the masked-half
    fractions.

    Keys per scene k: `rho_k`, `on_source_k`, `large_error_k`, `image_k` (i band); `names`,
    `auc` (scene,), `temperature`; masked-half: `mh_labels`, `mh_values` (fraction of on-source
    pixels with dF > 0 in the unmasked half, the masked half, the masked interior).
    """
    if len(maps_paths) != len(mock_paths) or not maps_paths:
        raise FigureDataError(f"need matching hallucination and mock files, got "
                              f"{len(maps_paths)} and {len(mock_paths)}")
    out: dict[str, Any] = {"names": [], "auc": []}
    for k, (h, m) in enumerate(zip(maps_paths, mock_paths, strict=True)):
        fit = _fit(h, ("model/observed", "model/dustfree_observed", "hallucination"))
        keys = ["observed/images", "observed/variance", "truth/dustfree", "truth/attenuated"]
        mock = _mock(m, keys, attrs=("bands",))
        errors = scene_errors(fit, mock.array("truth/dustfree"), mock.array("truth/attenuated"),
                              mock.array("observed/variance"))
        out[f"rho_{k}"] = np.asarray(fit["hallucination/rho"], np.float64)
        out[f"on_source_{k}"] = errors["on_source"]
        out[f"large_error_{k}"] = errors["large_error"]
        out[f"image_{k}"] = mock.array("observed/images")[_i_band(mock.bands)]
        out["names"].append(Path(h).stem)
        out["auc"].append(errors["auc_large_error"])
    p = Path(validation_json)
    try:
        summary = json.loads(p.read_text())
        mh = summary["masked_half"]
        vals = [mh["prior_dominated_unmasked"], mh["prior_dominated_masked"],
                mh.get("prior_dominated_masked_interior", np.nan)]
        temperature = float(summary["temperature"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise FigureDataError(f"{p}: no readable masked-half block ({err!r})") from err
    out["names"] = np.asarray(out["names"], dtype=str)
    out["auc"] = np.asarray(out["auc"], np.float64)
    out["temperature"] = np.asarray(temperature)
    out["mh_labels"] = np.asarray(["unmasked half", "masked half", "masked interior"])
    out["mh_values"] = np.asarray([np.nan if v is None else float(v) for v in vals])
    return out


def _read_json(path: Path) -> dict[str, Any] | None:
    """A bench JSON if present and readable, else None (the figure then says 'not run')."""
    if not path.is_file():
        return None
    try:
        obj = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise FigureDataError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(obj, dict):
        raise FigureDataError(f"{path}: expected a JSON object")
    return obj


def speed_summary(
    fit_paths: Sequence[str | Path], calibration_json: str | Path, bench_dir: str | Path
) -> dict[str, Any]:
    """Figure 8: seconds per scene fit and per SED posterior, in-run and from bench/ if present.

    In-run: `fit_seconds` of every fit file (this run's machine); flow seconds per galaxy for
    10,000 samples and NUTS seconds per galaxy from calibration.json. Bench (optional), as
    `bench/fit_vs_scarlet2.py --json` and `bench/sedflow.py --json` write them (`make bench`):
    `fit_vs_scarlet2.json` with `dustscene.per_scene_s` and `scarlet2.per_scene_s` (lists,
    their means are drawn; `scarlet2` is null when the bench ran without it); `sedflow.json`
    with `flow_seconds_per_galaxy_10k`, `nuts_seconds_per_galaxy`. A missing bench file gives
    None, drawn as "bench not run".
    """
    fits = {}
    for f in fit_paths:
        attrs = _fit(f)["attrs"]
        sec = attrs.get("fit_seconds", attrs.get("wall_seconds"))
        if sec is None:
            raise FigureDataError(f"{f}: no fit_seconds or wall_seconds attribute")
        fits[Path(f).stem] = float(sec)
    p = Path(calibration_json)
    try:
        cal = json.loads(p.read_text())
        flow_s = cal["seconds_per_galaxy_10k_samples"]
        nuts_s = cal.get("details", {}).get("nuts_seconds_per_galaxy")
    except (OSError, json.JSONDecodeError, KeyError) as err:
        raise FigureDataError(f"{p}: no readable timing ({err!r})") from err
    bench = Path(bench_dir)
    s2 = _read_json(bench / "fit_vs_scarlet2.json")
    sf = _read_json(bench / "sedflow.json")

    def need(obj: dict[str, Any], keys: Sequence[str], name: str) -> dict[str, float]:
        missing = [k for k in keys if obj.get(k) is None]
        if missing:
            raise FigureDataError(f"{bench / name}: missing key(s) {missing}")
        return {k: float(obj[k]) for k in keys}

    def fit_bench(obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"scarlet2_seconds_per_scene": None}
        for who in ("dustscene", "scarlet2"):
            block = obj.get(who)
            if who == "scarlet2" and block is None:  # the bench ran without scarlet2
                continue
            per = block.get("per_scene_s") if isinstance(block, dict) else None
            if not per:
                raise FigureDataError(
                    f"{bench / 'fit_vs_scarlet2.json'}: missing {who}.per_scene_s")
            out[f"{who}_seconds_per_scene"] = float(np.mean(np.asarray(per, np.float64)))
        return out

    return {
        "fit_seconds": fits,
        "in_run": {"flow_seconds_per_galaxy_10k": None if flow_s is None else float(flow_s),
                   "nuts_seconds_per_galaxy": None if nuts_s is None else float(nuts_s)},
        "bench_dir": str(bench),
        "bench_fit": None if s2 is None else fit_bench(s2),
        "bench_sedflow": None if sf is None else need(
            sf, ["flow_seconds_per_galaxy_10k", "nuts_seconds_per_galaxy"], "sedflow.json"),
    }


def write_speed_summary(path: str | Path, summary: dict[str, Any]) -> None:
    """Write the figure-8 summary as key-sorted JSON atomically."""
    write_json_atomic(path, summary)


def binned_bias(
    true: Float[NDArray, " n"], inferred: Float[NDArray, " n"], n_bins: int = 12,
    min_count: int = 20,
) -> dict[str, NDArray[np.float64]]:
    """Median and NMAD of inferred - true in quantile bins of the truth (bins with < min_count
    pixels are NaN): the bias curve drawn over the figure-4 density plot."""
    from ..validation import nmad

    x = np.asarray(true, np.float64)
    d = np.asarray(inferred, np.float64) - x
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)))
    centre, bias, spread, count = [], [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (x >= lo) & ((x < hi) if hi < edges[-1] else (x <= hi))
        centre.append(float(np.median(x[sel])) if sel.any() else 0.5 * (lo + hi))
        count.append(int(sel.sum()))
        ok = sel.sum() >= min_count
        bias.append(float(np.median(d[sel])) if ok else np.nan)
        spread.append(nmad(d[sel]) if ok else np.nan)
    return {"centre": np.asarray(centre), "bias": np.asarray(bias),
            "nmad": np.asarray(spread), "count": np.asarray(count)}

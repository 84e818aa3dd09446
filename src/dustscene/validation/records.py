"""Per-scene validation outputs: a JSON record and its selected pixels (.npz), written once by
rule validate_scene and read back by the aggregate step and figure 4 instead of recomputing them.

The JSON holds every metric of `DustScene.as_dict` (NaN as null, keys sorted); the .npz holds the
per-pixel arrays the pooled statistics need (`ScenePixels`, `ObservablePixels`) as float64 and
the scene's band order. `read_scene_record` restores the record `validate_scene` returned, so
metrics pooled from the files equal those pooled from fresh records.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dustscene.io.atomic import atomic_path, write_json_atomic

from .dust import DustScene, ScenePixels
from .observable import ObservablePixels

SCENE_PIXELS = ("ebv_inferred", "ebv_effective", "ebv_column", "surface_brightness")
BAND_ARRAYS = ("a_model", "a_true", "a_ceiling", "a_colour")
EBV_ARRAYS = ("ebv_model", "ebv_true", "ebv_ceiling")
# fields holding plain floats (NaN allowed) that JSON stores as null: restored to NaN on reading
FLOAT_FIELDS = ("inclination_deg", "chi2_per_dof", "morphology_cosine")
BAND_FIELDS = ("a_band_true", "a_band_inferred", "dustfree_flux_frac_err", "flux_frac_err")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same pixels give the same bytes


def _pixel_arrays(rec: DustScene) -> dict[str, np.ndarray]:
    """The record's per-pixel arrays under flat names (`pixels.*`, `a_model.<band>`, ...)."""
    if rec.pixels is None or rec.observable is None:
        raise ValueError(f"scene {rec.scene}: record has no pixels to write")
    out = {f"pixels.{k}": getattr(rec.pixels, k) for k in SCENE_PIXELS}
    for name in BAND_ARRAYS:
        out.update({f"{name}.{b}": v for b, v in getattr(rec.observable, name).items()})
    out.update({k: getattr(rec.observable, k) for k in EBV_ARRAYS})
    if rec.observable.arm_share is not None:
        out["arm_share"] = rec.observable.arm_share
    if rec.observable.ebv_sigma is not None:
        out["ebv_sigma"] = rec.observable.ebv_sigma
    out["bands"] = np.asarray(list(rec.a_band_true), dtype=str)
    return {k: np.asarray(v) for k, v in out.items()}


def _write_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """An uncompressed .npz (np.load reads it) with fixed member times, written atomically."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arrays[name]), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIME), buf.getvalue())


def write_scene_record(rec: DustScene, json_path: str | Path, pixels_path: str | Path) -> None:
    """Write one scene's validation: its metrics as JSON and its selected pixels as .npz."""
    _write_npz(pixels_path, _pixel_arrays(rec))
    write_json_atomic(json_path, rec.as_dict())


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a scene-pixels .npz (no pickle); ValueError names the file if unusable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"scene pixels file {path} is not a readable .npz: {err}") from err
    missing = [k for k in (*(f"pixels.{n}" for n in SCENE_PIXELS), *EBV_ARRAYS, "bands")
               if k not in out]
    if missing:
        raise ValueError(f"scene pixels file {path} lacks {missing}")
    return out


def read_scene_pixels(path: str | Path) -> ScenePixels:
    """The selected pixels (inferred, effective, column E(B-V), surface brightness) of a scene."""
    z = _load_npz(Path(path))
    return ScenePixels(*(z[f"pixels.{k}"] for k in SCENE_PIXELS))


def _observable(z: Mapping[str, np.ndarray]) -> ObservablePixels:
    """The ObservablePixels stored in a scene-pixels .npz (bands in the scene's order)."""
    bands = [str(b) for b in z["bands"]]
    per_band = {name: {b: z[f"{name}.{b}"] for b in bands if f"{name}.{b}" in z}
                for name in BAND_ARRAYS}
    return ObservablePixels(**per_band, **{k: z[k] for k in EBV_ARRAYS},
                            arm_share=z.get("arm_share"), ebv_sigma=z.get("ebv_sigma"))


def _nan(value: Any) -> Any:  # noqa: ANN401 - a JSON value
    """null -> NaN in a float or a (nested) dict of floats: undo json_safe for arithmetic."""
    if isinstance(value, dict):
        return {k: _nan(v) for k, v in value.items()}
    return float("nan") if value is None else value


def _in_order(d: Mapping[str, Any], keys: list[str]) -> dict[str, Any]:
    """`d` with `keys` first in that order (JSON sorted them), then any other keys."""
    return {**{k: d[k] for k in keys if k in d}, **{k: v for k, v in d.items() if k not in keys}}


def _restore(rec: dict[str, Any], bands: list[str]) -> dict[str, Any]:
    """A JSON record's fields as `validate_scene` made them: NaN for null floats, band order."""
    colours = [f"{a}-{b}" for a, b in zip(bands[:-1], bands[1:], strict=True)]
    out = dict(rec)
    for k in FLOAT_FIELDS:
        out[k] = _nan(rec[k])
    for k in (*BAND_FIELDS, "a_band_integrated", "a_band_observable"):
        out[k] = _in_order(_nan(rec[k]) if k != "a_band_observable" else rec[k], bands)
    out["dustfree_colour_err"] = _in_order(_nan(rec["dustfree_colour_err"]), colours)
    if rec.get("ceiling"):
        out["ceiling"] = {**rec["ceiling"], **{k: _in_order(_nan(rec["ceiling"][k]), bands)
                                                for k in ("a_band_integrated",
                                                          "a_band_integrated_colours")
                                                if k in rec["ceiling"]}}
    return out


def read_scene_record(json_path: str | Path, pixels_path: str | Path) -> DustScene:
    """The DustScene of one scene from rule validate_scene's two outputs (ValueError names the
    file that is missing, unreadable or incomplete)."""
    jp = Path(json_path)
    try:
        rec = json.loads(jp.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"scene record {jp} is not readable JSON: {err}") from err
    if not isinstance(rec, dict):
        raise ValueError(f"scene record {jp} is not a JSON object")
    names = {f for f in DustScene.__dataclass_fields__ if f not in ("pixels", "observable")}
    missing = sorted(names - set(rec))
    if missing:
        raise ValueError(f"scene record {jp} lacks {missing}")
    z = _load_npz(Path(pixels_path))
    fields = _restore({k: rec[k] for k in names}, [str(b) for b in z["bands"]])
    return DustScene(**fields, pixels=ScenePixels(*(z[f"pixels.{k}"] for k in SCENE_PIXELS)),
                     observable=_observable(z))

"""Write and read the fit HDF5 (the README's "Reading a fit file"): plain arrays plus JSON
attributes, atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .atomic import atomic_path


def _name(name: str) -> str:
    return name.replace("[", "_").replace("]", "").replace(".", "/").replace("'", "")


def write_fit(path: str | Path, product: dict[str, Any]) -> None:
    """Write a fit product (see `dustscene.inference.run.fit_product`) to `path` atomically.

    Keys: arrays `observed`, `dustfree_observed`, `model_frame`, `ebv`, `residuals`, `weights`,
    `history`; `parameters`/`uncertainties` (name -> array); `schema` (list of dicts);
    `components` (list of dicts of arrays); optional `dust_maps` and `hallucination` (name ->
    frame map); optional `samples` (name -> [chain, draw, ...]) with
    `sample_diagnostics`; `attrs` (scalars or JSON-able values).
    """
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("model/observed", data=np.asarray(product["observed"], np.float32))
            f.create_dataset(
                "model/dustfree_observed", data=np.asarray(product["dustfree_observed"], np.float32)
            )
            if "sky" in product:  # fitted sky per band, added after the PSF in `model/observed`
                f.create_dataset("model/sky", data=np.asarray(product["sky"], np.float64))
            f.create_dataset("model/frame", data=np.asarray(product["model_frame"], np.float32))
            f.create_dataset("dust/ebv", data=np.asarray(product["ebv"], np.float32))
            for key, arr in product.get("dust_maps", {}).items():
                # resolved dust: E(B-V) sigma, Fisher diagonals and rho per pixel (NaN off-map)
                f.create_dataset(f"dust/{key}", data=np.asarray(arr, np.float32))
            for key, arr in product.get("hallucination", {}).items():
                # score-prior pixels: F_L, F_P, dF, rho per pixel (NaN off their boxes)
                f.create_dataset(f"hallucination/{key}", data=np.asarray(arr, np.float32))
            f["dust"].attrs["calibrated"] = bool(product.get("ebv_calibrated", True))
            f.create_dataset("residuals", data=np.asarray(product["residuals"], np.float32))
            f.create_dataset("observed/weights", data=np.asarray(product["weights"], np.float32))
            f.create_dataset("loss/history", data=np.asarray(product["history"], np.float64))
            for group in ("parameters", "uncertainties"):
                g = f.create_group(group)
                for name, arr in product.get(group, {}).items():
                    g.create_dataset(_name(name), data=np.asarray(arr, np.float64))
            f["parameters"].attrs["schema"] = json.dumps(product.get("schema", []))
            for k, comp in enumerate(product.get("components", [])):
                for key, arr in comp.items():
                    f.create_dataset(f"components/{k}/{key}", data=np.asarray(arr, np.float32))
            if product.get("samples"):
                g = f.create_group("samples")
                for name, arr in product["samples"].items():
                    g.create_dataset(_name(name), data=np.asarray(arr, np.float64))
                # keyed like the datasets, so a reader matches draws and their diagnostics
                diag = {kind: {_name(k): v for k, v in per.items()}
                        for kind, per in product.get("sample_diagnostics", {}).items()}
                g.attrs["diagnostics"] = json.dumps(diag)
            for key, val in product.get("attrs", {}).items():
                if isinstance(val, dict | list | tuple) and not (
                    isinstance(val, list | tuple) and all(isinstance(v, str) for v in val)
                ):
                    f.attrs[key] = json.dumps(val)
                elif val is None:
                    f.attrs[key] = "null"
                else:
                    f.attrs[key] = val


class FitFileError(ValueError):
    """A fit file that is missing, corrupt or lacks what the contract promises (names the file)."""


REQUIRED = ("model/observed", "model/dustfree_observed", "dust/ebv", "parameters")


def _wanted(name: str, keys: Sequence[str]) -> bool:
    """Whether dataset `name` is one of `keys` or lies in a group named in `keys`."""
    return any(name == k or name.startswith(k.rstrip("/") + "/") for k in keys)


def read_fit(
    path: str | Path, keys: Sequence[str] | None = None, *, optional: Sequence[str] = ()
) -> dict[str, Any]:
    """Read a fit file back into a flat dict of numpy arrays (by dataset path) and attributes.

    `keys` None reads every dataset and checks the contract's REQUIRED parts; otherwise only
    the datasets named in `keys` (a group: every dataset under it), each of which must exist,
    plus those of `optional` that exist, so a caller that needs attributes only (`keys=()`)
    never loads the images. `attrs`, `schema` and, with samples, `sample_diagnostics` are always
    there. Raises FitFileError naming the file when it is missing, not HDF5, or incomplete.
    """
    path = Path(path)
    if not path.is_file():
        raise FitFileError(f"fit file {path} not found")
    out: dict[str, Any] = {}
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in (REQUIRED if keys is None else keys) if k not in f]
            if missing:
                raise FitFileError(f"fit file {path}: missing dataset(s) {missing} (incomplete)")
            wanted = None if keys is None else [*keys, *(k for k in optional if k in f)]

            def visit(name: str, obj: Any) -> None:  # noqa: ANN401 - an h5py object
                if isinstance(obj, h5py.Dataset) and (wanted is None or _wanted(name, wanted)):
                    out[name] = obj[()]

            if wanted is None or wanted:
                f.visititems(visit)
            out["attrs"] = {
                k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()
            }
            params = f["parameters"].attrs if "parameters" in f else {}
            out["schema"] = json.loads(params.get("schema", "[]"))
            if "samples" in f:
                out["sample_diagnostics"] = json.loads(f["samples"].attrs.get("diagnostics", "{}"))
    except FitFileError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        raise FitFileError(
            f"fit file {path} is corrupt or not a readable HDF5 file: {err}") from err
    return out

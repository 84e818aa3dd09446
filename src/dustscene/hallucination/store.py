"""results/hallucination/{scene}.h5 and validation.json, written atomically
(`dustscene.io.atomic`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from dustscene.io.atomic import atomic_path, json_safe, write_json_atomic

MAPS = ("f_l", "f_p", "delta_f", "rho", "morphology", "spectrum", "model")
MASKS = ("large_error", "on_source")


def write_hallucination(path: str | Path, result: dict[str, Any]) -> None:
    """Maps (y, x) float32, masks uint8, the fit's loss history float64, attrs as given (the
    layout `plots.paper_data.hallucination_panels` reads)."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for k in MAPS:
            f.create_dataset(k, data=np.asarray(result[k], np.float32))
        for k in MASKS:
            f.create_dataset(k, data=np.asarray(result[k], np.uint8))
        f.create_dataset("loss_history", data=np.asarray(result["loss_history"], np.float64))
        for k, v in result["attrs"].items():
            f.attrs[k] = v


def write_validation(path: str | Path, summary: dict[str, Any]) -> None:
    """Strict JSON: an undefined statistic (NaN AUC with one class empty) is written as null."""
    write_json_atomic(path, json_safe(summary))


def read_auc(path: str | Path) -> float:
    """The AUC of rho over the large-error pixels (attr `auc_large_error`) of a maps file."""
    with h5py.File(path, "r") as f:
        return float(f.attrs["auc_large_error"])

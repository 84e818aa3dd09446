"""Save and load a trained score network: Equinox leaves (.eqx) plus a JSON of what made them.

Never pickle: the JSON rebuilds the skeleton, `eqx.tree_deserialise_leaves` fills it, and the
recorded sha256 of the .eqx file catches truncation or corruption before any weight is read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from dustscene._jax import cast_floats
from dustscene.io.manifest import read_manifest, sha256_file

from .network import ScoreUNet

FORMAT = "dustscene-score-unet/1"


class ScoreModelError(ValueError):
    """A score-model file pair is missing, corrupt or does not match what was asked for."""


def save_score_model(path: str | Path, model: ScoreUNet, meta: dict[str, Any]) -> Path:
    """Write `path` (.eqx leaves) and `path.with_suffix('.json')` (hyper-parameters, hashes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".eqx.tmp")
    eqx.tree_serialise_leaves(tmp, model)
    tmp.replace(path)
    info = {
        "format": FORMAT,
        "width": model.width,
        "n_freq": model.n_freq,
        "sigma_data": model.sigma_data,
        "dtype": str(model.inc.weight.dtype),
        "weights_sha256": sha256_file(path),
        **meta,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2, sort_keys=True))
    return path.with_suffix(".json")


def load_score_model(
    path: str | Path, *, expect: dict[str, Any] | None = None
) -> tuple[ScoreUNet, dict[str, Any]]:
    """Read a saved network; `expect` (e.g. {"training_set_sha256": ...}) must match the JSON."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    meta = read_manifest(
        path,
        fmt=FORMAT,
        required=("width", "n_freq", "sigma_data"),
        error=ScoreModelError,
        kind="score model",
        expect=expect,
    )
    try:
        like = ScoreUNet(
            width=int(meta["width"]),
            n_freq=int(meta["n_freq"]),
            sigma_data=float(meta["sigma_data"]),
            key=jax.random.key(0),
        )
        dtype = jnp.dtype(meta.get("dtype", "float32"))
    except (TypeError, ValueError) as exc:
        raise ScoreModelError(f"{meta_path}: invalid hyper-parameters: {exc}") from None
    like = cast_floats(like, dtype)
    try:
        model = eqx.tree_deserialise_leaves(path, like)
    except Exception as exc:  # equinox raises plain errors on shape/dtype mismatch
        raise ScoreModelError(
            f"{path}: cannot deserialise into the JSON's skeleton: {exc}"
        ) from None
    return model, meta

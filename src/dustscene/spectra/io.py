"""Save and load a trained spectrum prior: Equinox leaves (.eqx) plus a JSON manifest.

Never pickle: the JSON (hyper-parameters, grids, training-set and weights sha256, the latent
density's kind and architecture) rebuilds the skeleton, `eqx.tree_deserialise_leaves` fills it; a
sha256 mismatch stops before any weight is read. Manifests without a `density` key are GMMs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from dustscene._jax import cast_floats
from dustscene.io.atomic import atomic_path
from dustscene.io.manifest import read_manifest, sha256_file

from .density import GaussianMixture, LatentDensity
from .flow import LatentFlow, coupling_splits
from .network import SpectrumAutoencoder

FORMAT = "dustscene-spectrum-prior/1"
REQUIRED = ("n_latent", "width", "depth", "n_components", "wave_rest", "wave_obs")


class SpectrumPriorError(ValueError):
    """A spectrum-prior file pair is missing, corrupt or inconsistent (names the file)."""


def _skeleton(meta: dict[str, Any]) -> tuple[SpectrumAutoencoder, LatentDensity]:
    s, k = int(meta["n_latent"]), int(meta["n_components"])
    kind = meta.get("density", "gmm")
    if kind not in ("gmm", "flow"):
        raise ValueError(f"unknown density {kind!r}")
    model = SpectrumAutoencoder(
        jnp.asarray(meta["wave_rest"], dtype=float), jnp.asarray(meta["wave_obs"], dtype=float),
        n_latent=s, width=int(meta["width"]), depth=int(meta["depth"]), key=jax.random.key(0),
    )
    model = cast_floats(model, jnp.float64)
    if kind == "flow":
        f = meta["flow"]
        dens = LatentFlow(s, n_transforms=int(f["n_transforms"]), width=int(f["width"]),
                          depth=int(f["depth"]), n_starts=k, key=jax.random.key(0))
        return model, cast_floats(dens, jnp.float64)
    dens = GaussianMixture(
        jnp.zeros(k, jnp.float64), jnp.zeros((k, s), jnp.float64), jnp.zeros((k, s, s), jnp.float64)
    )
    return model, dens


def _density_meta(density: LatentDensity) -> dict[str, Any]:
    if isinstance(density, LatentFlow):
        layer = density.layers[0].net
        return {"density": "flow", "n_components": int(density.starts.shape[0]),
                "flow": {"n_transforms": len(density.layers), "width": int(layer.width_size),
                         "depth": int(layer.depth),
                         "splits": [list(map(list, sp)) for sp in
                                    coupling_splits(density.n_latent, len(density.layers))]}}
    return {"density": "gmm", "n_components": int(density.means.shape[0])}


def save_spectrum_prior(
    path: str | Path, model: SpectrumAutoencoder, density: LatentDensity, meta: dict[str, Any]
) -> Path:
    """Write `path` (.eqx) and `path.with_suffix('.json')`; returns the JSON path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        eqx.tree_serialise_leaves(tmp, (model, density))
    info = {
        "format": FORMAT,
        "n_latent": model.n_latent,
        "width": int(model.encoder.width_size),
        "depth": int(model.encoder.depth),
        **_density_meta(density),
        "wave_rest": np.asarray(model.wave_rest).tolist(),
        "wave_obs": np.asarray(model.wave_obs).tolist(),
        "weights_sha256": sha256_file(path),
        **meta,
    }
    meta_path = path.with_suffix(".json")
    with atomic_path(meta_path) as tmp:
        tmp.write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    return meta_path


def load_spectrum_prior(
    path: str | Path, *, expect: dict[str, Any] | None = None
) -> tuple[SpectrumAutoencoder, LatentDensity, dict[str, Any]]:
    """Read a saved prior; `expect` (e.g. {"training_set_sha256": ...}) must match the JSON."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    meta = read_manifest(
        path, fmt=FORMAT, required=REQUIRED, error=SpectrumPriorError, kind="spectrum prior",
        expect=expect,
    )
    try:
        like = _skeleton(meta)
    except (TypeError, ValueError, KeyError) as exc:
        raise SpectrumPriorError(f"{meta_path}: invalid hyper-parameters: {exc}") from None
    if "flow" in meta and meta["flow"].get("splits") is not None:
        want = [list(map(list, sp)) for sp in coupling_splits(int(meta["n_latent"]),
                                                               int(meta["flow"]["n_transforms"]))]
        if meta["flow"]["splits"] != want:
            raise SpectrumPriorError(f"{meta_path}: flow coupling splits differ from this "
                                     "version's (saved by an incompatible dustscene)")
    try:
        model, dens = eqx.tree_deserialise_leaves(path, like)
    except Exception as exc:  # equinox raises plain errors on shape/dtype mismatch
        raise SpectrumPriorError(
            f"{path}: cannot deserialise into the JSON's skeleton: {exc}"
        ) from None
    return model, dens, meta

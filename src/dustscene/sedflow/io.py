"""Flow files: one torch state-dict file (all members) plus a JSON manifest that pins it.

The manifest (format "dustscene.sedflow.flows/1") holds the architecture, prior box, noise
model, training support, versions, the training set's sha256 and the weights file's sha256;
`load_ensemble` checks that hash before reading and reads with `torch.load(weights_only=True)`,
so no pickle is ever executed.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import numpy as np
import torch

from dustscene.io.atomic import atomic_path, write_json_atomic
from dustscene.io.manifest import check_weights_sha256, load_manifest_json, sha256_file

from .ensemble import FlowEnsemble
from .noise import NoiseModel
from .train import FlowSpec, build_flow

FORMAT = "dustscene.sedflow.flows/1"
REQUIRED = ("weights_file", "n_members", "spec", "survey", "noise", "low", "high", "x_min",
            "x_max", "colour_min", "colour_max")


class FlowFileError(RuntimeError):
    """A flow file is missing, tampered with, or does not match its manifest."""


def save_ensemble(
    ens: FlowEnsemble, weights_path: str | os.PathLike[str], manifest_path: str | os.PathLike[str]
) -> None:
    """Write the weights (state dicts keyed member{i}.*) and the manifest, atomically."""
    state = {f"member{i}.{k}": v.detach().cpu().contiguous()
             for i, f in enumerate(ens.flows) for k, v in f.state_dict().items()}
    with atomic_path(weights_path) as tmp:
        torch.save(state, tmp)
    manifest = {
        "format": FORMAT,
        "weights_file": Path(weights_path).name,
        "weights_sha256": sha256_file(weights_path),
        "n_members": len(ens.flows),
        "survey": ens.survey,
        "noise": ens.noise.to_dict(),
        "low": ens.low.tolist(), "high": ens.high.tolist(),
        "x_min": ens.x_min.tolist(), "x_max": ens.x_max.tolist(),
        "colour_min": ens.colour_min.tolist(), "colour_max": ens.colour_max.tolist(),
        "versions": {p: importlib.metadata.version(p)
                     for p in ("sbi", "torch", "zuko", "dustscene")},
        **ens.meta,
    }
    write_json_atomic(manifest_path, manifest)


def load_ensemble(manifest_path: str | os.PathLike[str]) -> FlowEnsemble:
    """Rebuild a FlowEnsemble from its manifest; FlowFileError if the weights do not match."""
    manifest_path = Path(manifest_path)
    m = load_manifest_json(manifest_path, fmt=FORMAT, required=REQUIRED, error=FlowFileError,
                           kind="flow manifest")
    if Path(m["weights_file"]).name != m["weights_file"]:
        raise FlowFileError(f"{manifest_path}: weights_file {m['weights_file']!r} must be a "
                            "plain file name beside the manifest")
    weights = manifest_path.parent / m["weights_file"]
    check_weights_sha256(weights, m, manifest_path, error=FlowFileError, kind="flow weights")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    try:
        spec = FlowSpec(**m["spec"])
        low, high = np.asarray(m["low"], float), np.asarray(m["high"], float)
        x_dim = len(m["x_min"])
        flows = []
        for i in range(int(m["n_members"])):
            prefix = f"member{i}."
            net = build_flow(spec, low, high, x_dim)
            net.load_state_dict(
                {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            )
            net.eval()
            flows.append(net)
        noise = NoiseModel.from_dict(m["noise"])
        weights = None
        if m.get("mixture_weights") is not None:
            weights = np.asarray(m["mixture_weights"], dtype=np.float64)
            if (weights.shape != (len(flows),) or not np.all(weights >= 0)
                    or not np.isclose(weights.sum(), 1.0)):
                raise ValueError(f"mixture_weights {m['mixture_weights']} are not {len(flows)} "
                                 "non-negative numbers summing to 1")
    except (TypeError, ValueError, KeyError, RuntimeError, AttributeError) as err:
        raise FlowFileError(
            f"{manifest_path}: manifest does not match the weights in {weights} (edited by "
            f"hand?): {err}"
        ) from None
    skip = {"format", "weights_file", "weights_sha256", "n_members", "survey", "noise", "low",
            "high", "x_min", "x_max", "colour_min", "colour_max", "versions"}
    return FlowEnsemble(
        flows=flows, low=low, high=high, noise=noise,
        survey=m["survey"], x_min=np.asarray(m["x_min"]), x_max=np.asarray(m["x_max"]),
        colour_min=np.asarray(m["colour_min"]), colour_max=np.asarray(m["colour_max"]),
        meta={k: v for k, v in m.items() if k not in skip},
        weights=weights,
    )

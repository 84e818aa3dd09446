"""Training-set HDF5 files: one seeded shard per job, merged in shard order, hashed.

Layout (format "dustscene.sedflow.trainingset/1"): datasets theta (n, 10), redshift (n,),
flux_true, flux, sigma (n, band; nJy), x (n, 2 band + 1); attrs format and meta (JSON: theta_names,
bands, survey, feature_names, noise, ranges, seed, shard(s), n, ssp_sha256). Byte-stable
(no timestamps), written atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from dustscene.io.atomic import atomic_path
from dustscene.io.manifest import sha256_file

from .simulator import Simulation

FORMAT = "dustscene.sedflow.trainingset/1"
FIELDS = ("theta", "redshift", "flux_true", "flux", "sigma", "x")


file_sha256 = sha256_file  # the name sedflow.pipeline imports


def write_simulation(
    path: str | os.PathLike[str], sim: Simulation, attrs: Mapping[str, Any]
) -> None:
    """Write a Simulation and its attrs (dicts become JSON text) atomically."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT
        f.attrs["meta"] = json.dumps(dict(attrs), sort_keys=True)
        for name in FIELDS:
            f.create_dataset(name, data=np.asarray(getattr(sim, name)), track_times=False)


def read_simulation(path: str | os.PathLike[str]) -> tuple[Simulation, dict[str, Any]]:
    """(Simulation, attrs) of a training-set file; ValueError if the format is not ours."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file (format={f.attrs.get('format')!r})")
        sim = Simulation(**{name: f[name][...] for name in FIELDS})
        attrs = json.loads(f.attrs["meta"])
    return sim, attrs


def merge_shards(
    shard_paths: Sequence[str | os.PathLike[str]], out_path: str | os.PathLike[str]
) -> str:
    """Concatenate shards in the given order into one file; returns its sha256."""
    sims, attrs0 = [], None
    for p in shard_paths:
        sim, attrs = read_simulation(p)
        check = {k: v for k, v in attrs.items() if k not in ("shard", "n")}
        if attrs0 is None:
            attrs0 = check
        elif check != attrs0:
            raise ValueError(f"{p}: attributes differ from {shard_paths[0]}")
        sims.append(sim)
    assert attrs0 is not None, "no shards given"
    merged = Simulation(**{k: np.concatenate([getattr(s, k) for s in sims]) for k in FIELDS})
    attrs0 = {**attrs0, "shards": len(sims), "n": int(merged.theta.shape[0]),
              "shard_sha256": [sha256_file(p) for p in shard_paths]}
    write_simulation(out_path, merged, attrs0)
    return sha256_file(out_path)


def split_holdout(sim: Simulation, n_holdout: int) -> tuple[Simulation, Simulation]:
    """(train, held-out): the last n_holdout rows are held out (shards are already random)."""
    n = sim.theta.shape[0] - n_holdout
    if n <= 0:
        raise ValueError(f"n_holdout={n_holdout} leaves no training rows")
    head = Simulation(**{k: getattr(sim, k)[:n] for k in FIELDS})
    tail = Simulation(**{k: getattr(sim, k)[n:] for k in FIELDS})
    return head, tail


def shard_path(directory: str | os.PathLike[str], shard: int) -> Path:
    """Conventional shard file name."""
    return Path(directory) / f"shard_{shard:03d}.h5"

"""Shared fixtures: a small SSP table, HSC filters, and a tiny trained two-flow ensemble."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def ssp_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dustscene.sed import build_ssp_table

    path = tmp_path_factory.mktemp("sedflow_ssp") / "ssp.h5"
    build_ssp_table(path, n_wave=300, n_age=12)
    return path


@pytest.fixture(scope="session")
def table(ssp_path: Path):  # noqa: ANN201
    from dustscene.sed import load_ssp_table

    return load_ssp_table(ssp_path)


@pytest.fixture(scope="session")
def filters():  # noqa: ANN201
    from dustscene.sed import load_filters

    return load_filters("hsc", list("grizy"))


@pytest.fixture(scope="session")
def flows(tmp_path_factory: pytest.TempPathFactory, ssp_path: Path) -> Path:
    """Manifest of a 2-member ensemble trained for a few epochs on 2000 simulations."""
    from dustscene.sedflow import merge_shards, simulate_shard, train_ensemble

    d = tmp_path_factory.mktemp("sedflow_flows")
    shards = [d / f"shard_{s:03d}.h5" for s in range(2)]
    for s, p in enumerate(shards):
        simulate_shard(ssp_path, p, seed=3, shard=s, n=1000, survey="hsc", bands=list("grizy"))
    merge_shards(shards, d / "train.h5")
    with warnings.catch_warnings():  # "not yet fully converged": intended, 2 epochs suffice
        warnings.simplefilter("ignore", UserWarning)
        train_ensemble(d / "train.h5", d / "flows.pt", d / "flows.json", seeds=[0, 1],
                       spec={"hidden_features": 16, "num_transforms": 2},
                       train={"max_epochs": 2, "batch_size": 256})
    return d / "flows.json"

"""Shared fixtures: a small SSP table and a small spectrum prior trained on it (~20 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

GRID_KW = {"wave_min": 2500.0, "wave_max": 11000.0, "n_wave": 100, "z_min": 0.02, "z_max": 0.3}


@pytest.fixture(scope="session")
def spectra_ssp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dustscene.sed import build_ssp_table

    path = tmp_path_factory.mktemp("spectra_ssp") / "ssp.h5"
    build_ssp_table(path, n_wave=400, n_age=12)
    return path


@pytest.fixture(scope="session")
def spectra_grid():  # noqa: ANN201
    from dustscene.spectra import SpectrumGrid

    return SpectrumGrid(**GRID_KW)


@pytest.fixture(scope="session")
def spectra_set(tmp_path_factory: pytest.TempPathFactory, spectra_ssp: Path, spectra_grid) -> Path:
    from dustscene.spectra import merge_spectra_shards, simulate_spectra_shard

    d = tmp_path_factory.mktemp("spectra_set")
    shards = [
        simulate_spectra_shard(spectra_ssp, d / f"s{i}.h5", seed=3, shard=i, n=1000,
                               grid=spectra_grid)
        for i in range(2)
    ]
    return merge_spectra_shards(shards, d / "set.h5")


@pytest.fixture(scope="session")
def trained_prior(tmp_path_factory: pytest.TempPathFactory, spectra_set: Path):  # noqa: ANN201
    """(model path, model, density, data, held-out index) of a small trained prior."""
    from dustscene.spectra import (
        SpectrumTrainSettings,
        load_spectra,
        load_spectrum_prior,
        save_spectrum_prior,
        train_spectrum_prior,
    )

    data = load_spectra(spectra_set)
    settings = SpectrumTrainSettings(n_latent=6, width=64, depth=2, steps=1200,
                                     batch_size=128, learning_rate=3e-3, n_components=6)
    tp = train_spectrum_prior(data, settings, seed=3)
    path = tmp_path_factory.mktemp("spectra_prior") / "prior.eqx"
    save_spectrum_prior(path, tp.model, tp.density, {"training_set_sha256": data.sha256})
    model, dens, _ = load_spectrum_prior(path)
    return path, model, dens, data, tp.val_idx


@pytest.fixture(scope="session")
def workflow_size_prior(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(model, density, held-out set, SSP table path) of a prior trained exactly as the default
    workflow's config says (SSP table resolution, training-set size, SED ranges, grid,
    autoencoder and flow settings; another seed; ~2 min)."""
    from dustscene.config import load_workflow_config, load_yaml
    from dustscene.sed import build_ssp_table
    from dustscene.spectra import (
        load_spectra,
        merge_spectra_shards,
        simulate_spectra_shard,
        train_spectrum_prior,
    )
    from dustscene.spectra.config import grid_from_config, settings_from_config

    root = Path(__file__).resolve().parents[2]
    full = load_workflow_config(load_yaml(root / "config" / "config.yaml"), root).config
    cfg = full["spectra"]
    d = tmp_path_factory.mktemp("spectra_big")
    ssp = build_ssp_table(d / "ssp.h5", n_wave=int(full["sed"]["ssp_n_wave"]),
                          n_age=int(full["sed"]["ssp_n_age"]))
    shard = simulate_spectra_shard(ssp, d / "s.h5", seed=11, shard=0, n=int(cfg["n_train"]),
                                   grid=grid_from_config(cfg), snr=tuple(cfg["snr"]),
                                   ranges=cfg["ranges"],
                                   dust_free_fraction=cfg["dust_free_fraction"],
                                   log_t_burst=cfg["log_t_burst"])
    data = load_spectra(merge_spectra_shards([shard], d / "set.h5"))
    tp = train_spectrum_prior(data, settings_from_config(cfg), seed=11)
    return tp.model, tp.density, data.take(tp.val_idx), Path(ssp)

"""The config's `spectra` block parsed into the spectrum prior's grid and training settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .data import SpectrumGrid
from .flow import FlowSettings
from .train import SpectrumTrainSettings


def grid_from_config(cfg: Mapping[str, Any]) -> SpectrumGrid:
    """SpectrumGrid from the config's `spectra` block."""
    return SpectrumGrid(float(cfg["wave_range"][0]), float(cfg["wave_range"][1]),
                        int(cfg["n_wave"]), float(cfg["redshift"][0]), float(cfg["redshift"][1]))


def settings_from_config(cfg: Mapping[str, Any]) -> SpectrumTrainSettings:
    """SpectrumTrainSettings from the config's `spectra` block."""
    return SpectrumTrainSettings(
        n_latent=int(cfg["n_latent"]), width=int(cfg["width"]), depth=int(cfg["depth"]),
        steps=int(cfg["steps"]), batch_size=int(cfg["batch_size"]),
        learning_rate=float(cfg["learning_rate"]), n_components=int(cfg["n_components"]),
        density=str(cfg.get("density", "flow")),
        flow=FlowSettings(**{k: type(getattr(FlowSettings, k))(v)
                             for k, v in cfg.get("flow", {}).items()}),
    )

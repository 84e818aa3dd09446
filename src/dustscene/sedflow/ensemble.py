"""An ensemble of trained flows with its prior box and training support: sample and log q."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from . import fastsample
from .noise import NoiseModel

F64 = NDArray[np.float64]


class Flag(enum.IntFlag):
    """Why a galaxy's posterior should not be trusted (bits of the `flags` output)."""

    OK = 0
    NONFINITE = 1  # NaN / inf in the features (e.g. sigma <= 0)
    REDSHIFT = 2  # redshift outside the prior range
    MAGNITUDE = 4  # an asinh magnitude outside the training range
    SIGMA = 8  # a magnitude error outside the training range
    COLOUR = 16  # an adjacent-band colour outside the training range
    TIMEOUT = 32  # not sampled within the time bound (samples are NaN)


@dataclasses.dataclass
class FlowEnsemble:
    """Equal-weight mixture of flows q(theta | x) plus what is needed to use them safely."""

    flows: list[torch.nn.Module]
    low: F64  # prior box, (10,)
    high: F64
    noise: NoiseModel
    survey: str
    x_min: F64  # training range of each feature, (2 band + 1,)
    x_max: F64
    colour_min: F64  # training range of adjacent asinh colours, (band - 1,)
    colour_max: F64
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    _plans: dict[int, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def n_band(self) -> int:
        """Number of bands."""
        return len(self.noise.bands)

    def support_flags(self, x: F64) -> NDArray[np.int64]:
        """Flag bits (Flag) per galaxy for features x (n, 2 band + 1) outside the training set."""
        x = np.asarray(x, dtype=np.float64)
        nb = self.n_band
        flags = np.zeros(x.shape[0], dtype=np.int64)
        flags[~np.all(np.isfinite(x), axis=1)] |= Flag.NONFINITE
        with np.errstate(invalid="ignore"):
            out = (x < self.x_min) | (x > self.x_max)
            col = x[:, : nb - 1] - x[:, 1:nb]
            bad_col = (col < self.colour_min) | (col > self.colour_max)
        flags[out[:, :nb].any(axis=1)] |= Flag.MAGNITUDE
        flags[out[:, nb : 2 * nb].any(axis=1)] |= Flag.SIGMA
        flags[out[:, -1]] |= Flag.REDSHIFT
        flags[bad_col.any(axis=1)] |= Flag.COLOUR
        return flags

    @torch.inference_mode()
    def sample(self, x: F64, n: int, seed: int, fast: bool = True) -> NDArray[np.float32]:
        """n samples (n, batch, 10) per observation: the mixture drawn stratified by member.

        fast: coupling members go through `fastsample` (the same draws as zuko's sampler to
        float32 round-off, about half the work); other flows always use zuko's.
        """
        torch.manual_seed(seed)
        cond = torch.as_tensor(x, dtype=torch.float32)
        m = len(self.flows)
        counts = [n // m + (i < n % m) for i in range(m)]
        parts = []
        for i, (f, c) in enumerate(zip(self.flows, counts, strict=True)):
            layers = self._plan(i) if fast else None
            parts.append(fastsample.sample(f, layers, c, cond) if layers is not None
                         else f.sample((c,), condition=cond))
        return torch.cat(parts, dim=0).numpy()

    def _plan(self, i: int) -> list[Any] | None:
        """Cached fast-sampling plan of member i (None: not a coupling flow)."""
        if i not in self._plans:
            with torch.no_grad():
                self._plans[i] = fastsample.plan(self.flows[i])
        return self._plans[i]

    @torch.no_grad()
    def log_prob(self, theta: NDArray[np.floating], x: F64) -> NDArray[np.float64]:
        """log q(theta | x) of the mixture for theta (s, batch, 10) and x (batch, dim)."""
        th = torch.as_tensor(theta, dtype=torch.float32)
        cond = torch.as_tensor(x, dtype=torch.float32)
        lps = torch.stack([f.log_prob(th, condition=cond) for f in self.flows])
        return (torch.logsumexp(lps, dim=0) - np.log(len(self.flows))).double().numpy()


def training_support(x: F64, n_band: int, pad: float = 0.05) -> dict[str, F64]:
    """Feature and colour ranges of a training set, widened by `pad` x span on each side.

    The padding keeps fresh draws from the training distribution from being flagged.
    """
    col = x[:, : n_band - 1] - x[:, 1:n_band]
    out = {}
    for name, v in (("x", x), ("colour", col)):
        lo, hi = v.min(0), v.max(0)
        out[f"{name}_min"], out[f"{name}_max"] = lo - pad * (hi - lo), hi + pad * (hi - lo)
    return out

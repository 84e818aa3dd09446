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
    """Mixture of flows q(theta | x) = sum_k w_k q_k(theta | x) plus what is needed to use them
    safely. `weights` None: equal weights (files written before stacking)."""

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
    weights: F64 | None = None  # mixture weights (member,), summing to 1; see `stacking_weights`
    _plans: dict[int, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def mixture_weights(self) -> F64:
        """Mixture weights (member,): `weights`, or equal."""
        m = len(self.flows)
        if self.weights is None:
            return np.full(m, 1.0 / m)
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (m,) or not np.all(w >= 0) or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"mixture weights {w.tolist()} must be {m} non-negative numbers "
                             "summing to 1")
        return w

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
        """n samples (n, batch, 10) per observation: the mixture drawn stratified by member
        (member k gives round(n w_k) draws, largest remainders first; a zero-weight member none).

        fast: coupling members go through `fastsample` (the same draws as zuko's sampler to
        float32 round-off, about half the work); other flows always use zuko's.
        """
        torch.manual_seed(seed)
        cond = torch.as_tensor(x, dtype=torch.float32)
        counts = member_counts(self.mixture_weights, n)
        parts = []
        for i, (f, c) in enumerate(zip(self.flows, counts, strict=True)):
            if c == 0:
                continue
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
        return self.member_log_prob(theta, x, skip_zero=True)

    @torch.no_grad()
    def member_log_prob(self, theta: NDArray[np.floating], x: F64,
                        skip_zero: bool = False) -> NDArray[np.float64]:
        """log q(theta | x) of the mixture (skip_zero) or (member, s, batch) of every member."""
        th = torch.as_tensor(theta, dtype=torch.float32)
        cond = torch.as_tensor(x, dtype=torch.float32)
        if not skip_zero:
            return torch.stack([f.log_prob(th, condition=cond)
                                for f in self.flows]).double().numpy()
        w = self.mixture_weights
        keep = np.flatnonzero(w > 0)
        lps = torch.stack([f.log_prob(th, condition=cond).double() for f in
                           (self.flows[k] for k in keep)])
        log_w = torch.as_tensor(np.log(w[keep]), dtype=torch.float64)
        return torch.logsumexp(lps + log_w.reshape(-1, *([1] * (lps.ndim - 1))), dim=0).numpy()


def member_counts(weights: F64, n: int) -> list[int]:
    """Draws per member for n mixture draws: floor(n w_k) plus the largest remainders (ties to
    the lower index), so the counts sum to n and equal weights give n // m (+1 for the first
    n % m members), as before weights existed."""
    w = np.asarray(weights, dtype=np.float64)
    base = np.floor(n * w + 1e-9).astype(int)
    rem = n * w - base
    order = np.argsort(-rem, kind="stable")
    base[order[: n - int(base.sum())]] += 1
    return [int(c) for c in base]


def stacking_weights(log_q: NDArray[np.floating], iterations: int = 500,
                     tol: float = 1e-10) -> F64:
    """Mixture weights maximising the held-out log score sum_i log sum_k w_k q_k(theta_i | x_i).

    log_q: (member, n) members' log q of held-out pairs none of them trained on. Stacking of
    predictive distributions by the log score (Yao, Vehtari, Simpson & Gelman 2018, Bayesian
    Analysis 13, 917), solved by EM for mixture proportions with fixed components (Dempster,
    Laird & Rubin 1977): w_k <- mean_i responsibility_ik; the objective is concave in w, so
    this converges to the optimum. A member that adds nothing to the better ones gets ~0 weight
    instead of half the mass, as equal weights gave it.
    """
    lq = np.asarray(log_q, dtype=np.float64)
    m = lq.shape[0]
    if m == 1:
        return np.ones(1)
    lq = lq - lq.max(axis=0, keepdims=True)
    q = np.exp(lq)
    w = np.full(m, 1.0 / m)
    for _ in range(iterations):
        mix = w @ q
        new = w * (q @ (1.0 / mix)) / q.shape[1]
        new /= new.sum()
        done = np.max(np.abs(new - w)) < tol
        w = new
        if done:
            break
    w[w < 1e-4] = 0.0  # a negligible member is not sampled at all
    return w / w.sum()


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

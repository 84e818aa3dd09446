"""Calibration of amortized posteriors on held-out simulations: SBC, expected coverage, TARP, C2ST.

Samples come from `FlowEnsemble.sample` (bounded time); the rank statistics and tests are sbi's
(pinned 0.27.0: `_run_sbc`, `check_sbc`, `_run_tarp`, `check_tarp`, `c2st`). The two private
ones are unavoidable: sbi's public `run_sbc` / `run_tarp` draw from an sbi posterior object,
while these take the samples already drawn by the ensemble's batched sampler; the pin keeps
their signatures from moving unannounced.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from sbi.diagnostics.sbc import _run_sbc, check_sbc
from sbi.diagnostics.tarp import _run_tarp, check_tarp
from sbi.utils.metrics import c2st

F64 = NDArray[np.float64]


def sbc(
    samples: NDArray[np.floating], theta: F64, prior_samples: F64
) -> dict[str, object]:
    """Simulation-based calibration ranks and per-parameter KS p-values (Talts et al. 2018).

    samples: (L, N, D) posterior draws for N held-out (theta, x); prior_samples: (N, D).
    """
    s = torch.as_tensor(samples, dtype=torch.float32)
    th = torch.as_tensor(theta, dtype=torch.float32)
    ranks = _run_sbc(th, th, s, reduce_fns="marginals", show_progress_bar=False)
    dap = s[0]  # one posterior draw per x: a draw from the data-averaged posterior
    checks = check_sbc(ranks, torch.as_tensor(prior_samples, dtype=torch.float32), dap,
                       num_posterior_samples=s.shape[0])
    return {"ranks": ranks.numpy(), "ks_pvals": checks["ks_pvals"].numpy(),
            "c2st_ranks": checks["c2st_ranks"].numpy(), "c2st_dap": checks["c2st_dap"].numpy()}


def expected_coverage(
    log_q_samples: F64, log_q_true: F64, levels: F64 | None = None
) -> tuple[F64, F64]:
    """Expected coverage of highest-density regions (Deistler et al. 2022; Hermans et al. 2022).

    log_q_samples (L, N), log_q_true (N,): the truth lies in the HPD region of credibility a when
    the fraction of draws denser than it is <= a. Returns (levels, empirical coverage).
    """
    lv = np.linspace(0.0, 1.0, 101) if levels is None else np.asarray(levels)
    frac_denser = np.mean(log_q_samples > log_q_true[None, :], axis=0)
    return lv, np.array([np.mean(frac_denser <= a) for a in lv])


def marginal_coverage(samples: NDArray[np.floating], theta: F64, level: float) -> F64:
    """Per-parameter coverage of central credible intervals of `level` (fraction of N)."""
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return np.mean((theta >= lo) & (theta <= hi), axis=0)


def tarp(
    samples: NDArray[np.floating], theta: F64, seed: int
) -> dict[str, object]:
    """TARP expected coverage and its area-to-curve (ATC; Lemos, Coogan et al. 2023).

    References are drawn uniform in the box spanned by theta (sbi's default), z-scored.
    """
    gen = torch.Generator().manual_seed(seed)
    th = torch.as_tensor(theta, dtype=torch.float32)
    lo, hi = th.min(0).values, th.max(0).values
    refs = lo + (hi - lo) * torch.rand(th.shape, generator=gen)
    ecp, alpha = _run_tarp(torch.as_tensor(samples, dtype=torch.float32), th, refs,
                           z_score_theta=True)
    atc, ks_p = check_tarp(ecp, alpha)
    return {"ecp": ecp.numpy(), "alpha": alpha.numpy(), "atc": float(atc), "ks_pvalue": float(ks_p)}


def c2st_accuracy(a: NDArray[np.floating], b: NDArray[np.floating], seed: int) -> float:
    """Classifier two-sample test accuracy, 0.5 = indistinguishable (Lopez-Paz & Oquab 2017)."""
    n = min(len(a), len(b))
    rng = np.random.default_rng(seed)
    a = np.asarray(a)[rng.choice(len(a), n, replace=False)]
    b = np.asarray(b)[rng.choice(len(b), n, replace=False)]
    return float(c2st(torch.as_tensor(a, dtype=torch.float32),
                      torch.as_tensor(b, dtype=torch.float32), seed=seed))

"""Calibration diagnostics on exactly calibrated and on overconfident synthetic posteriors."""

from __future__ import annotations

import numpy as np

from dustscene.sedflow.calibration import c2st_accuracy, expected_coverage, sbc, tarp


def _gaussian_problem(scale: float, n: int = 300, l: int = 200, d: int = 3):  # noqa: ANN202
    """Truth mu ~ N(0,1); x = mu + N(0,1); exact posterior N(x/2, 1/2); `scale` shrinks it."""
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((n, d))
    x = theta + rng.standard_normal((n, d))
    sd = np.sqrt(0.5) * scale
    samples = x[None] / 2 + sd * rng.standard_normal((l, n, d))
    def logq(t: np.ndarray) -> np.ndarray:
        return -0.5 * np.sum(((t - x[None] / 2) / sd) ** 2, axis=-1)
    return theta, samples, logq(samples), logq(theta[None])[0]


def test_calibrated_posterior_passes() -> None:
    theta, s, lq_s, lq_t = _gaussian_problem(1.0)
    res = sbc(s, theta, np.random.default_rng(1).standard_normal(theta.shape))
    assert res["ks_pvals"].min() > 0.01
    _, cov = expected_coverage(lq_s, lq_t, np.array([0.68, 0.95]))
    np.testing.assert_allclose(cov, [0.68, 0.95], atol=0.07)
    assert abs(tarp(s, theta, seed=0)["atc"]) < 0.1


def test_overconfident_posterior_fails() -> None:
    theta, s, lq_s, lq_t = _gaussian_problem(0.4)
    assert sbc(s, theta, theta)["ks_pvals"].min() < 1e-3
    _, cov = expected_coverage(lq_s, lq_t, np.array([0.68]))
    assert cov[0] < 0.4


def test_c2st_separates_and_confuses() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 2))
    assert c2st_accuracy(a, rng.standard_normal((400, 2)), seed=0) < 0.6
    assert c2st_accuracy(a, rng.standard_normal((400, 2)) + 2.0, seed=0) > 0.85

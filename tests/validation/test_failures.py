"""The failure heuristic on synthetic residual maps of known cause."""

from __future__ import annotations

import numpy as np
import pytest

from dustscene.validation.failures import (
    CAUSE_COMPACT,
    CAUSE_EXTENDED,
    CAUSE_NONE,
    CAUSE_SKY,
    excess_chi2_map,
    likely_cause,
)

N = 64


def _noise(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(5, N, N))


def _gauss(cy: float, cx: float, sigma: float) -> np.ndarray:
    yy, xx = np.indices((N, N))
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))


def test_point_sources_are_compact() -> None:
    res = _noise()
    for cy, cx in ((28, 30), (36, 25), (33, 40)):
        res += 25.0 * _gauss(cy, cx, 1.0)[None]
    assert likely_cause(res, np.ones_like(res))["likely_cause"] == CAUSE_COMPACT


def test_disk_wide_colour_residual_is_extended() -> None:
    res = _noise()
    res[0] += 4.0 * _gauss(32, 32, 9.0)  # g too bright over the disk, z too faint
    res[3] -= 3.0 * _gauss(32, 32, 9.0)
    assert likely_cause(res, np.ones_like(res))["likely_cause"] == CAUSE_EXTENDED


@pytest.mark.parametrize("kind", ["edge", "uniform"])
def test_edge_or_sky_offset_is_sky(kind: str) -> None:
    res = _noise()
    if kind == "edge":
        res[:, :, -3:] += 5.0
    else:
        res += 1.5
    assert likely_cause(res, np.ones_like(res))["likely_cause"] == CAUSE_SKY


def test_masked_pixels_and_pure_noise() -> None:
    res = _noise()
    w = np.ones_like(res)
    w[:, :10] = 0.0  # masked rows carry no chi2 and no expectation
    res[:, :10] += 100.0
    assert excess_chi2_map(res, w)[:10].max() == 0.0
    quiet = np.zeros((5, N, N))
    assert likely_cause(quiet, np.ones_like(quiet))["likely_cause"] == CAUSE_NONE

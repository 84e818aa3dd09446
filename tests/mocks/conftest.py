"""Shared small suites and fixed geometries for the mock tests (kept tiny for speed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dustscene.mocks import GalaxyGeometry, default_suite

# arbitrary positive, decreasing test inputs (not a dust law): the core takes k as an input
K_TEST = np.array([5.0, 4.0, 3.0, 2.5, 2.0])
K_V_TEST = 4.0


@pytest.fixture()
def k_test() -> tuple[np.ndarray, float]:
    """Per-band k and k_V test inputs."""
    return K_TEST, K_V_TEST


@pytest.fixture()
def fixed_k() -> Callable[[str, dict[str, Any], float], tuple[np.ndarray, float]]:
    """A k_fn for make_scene that ignores the law and redshift and returns the test inputs."""
    return lambda law, suite, redshift: (K_TEST, K_V_TEST)


@pytest.fixture()
def small_suite() -> dict[str, Any]:
    """The default suite on a 32-pixel stamp with a coarser ray grid."""
    s = default_suite()
    s["stamp_size"] = 32
    s["redshift_range"] = [0.2, 0.25]
    s["render"] = {"n_nodes": 64, "pad_pixels": 6}
    s["observing"]["psf_size"] = 13
    s["inclinations_per_galaxy"] = 4
    return s


@pytest.fixture()
def make_geometry() -> Callable[..., GalaxyGeometry]:
    """Factory of a fixed test galaxy."""
    return _make_geometry


def _make_geometry(tau_v0: float = 1.5, tau_bc: float = 1.0, n_clumps: int = 8) -> GalaxyGeometry:
    """A fixed, clumpy, laned galaxy of scale length 6 pixels."""
    rng = np.random.default_rng(7)
    r = rng.uniform(2.0, 12.0, n_clumps)
    phi = rng.uniform(0.0, 2.0 * np.pi, n_clumps)
    return GalaxyGeometry(
        h_s=6.0,
        z_s=0.6,
        bulge_n=3.0,
        bulge_re=1.5,
        bulge_q=0.8,
        h_d=8.7,
        z_d=0.25,
        tau_v0=tau_v0,
        pitch=np.radians(20.0),
        arm_phase=0.3,
        lane_amplitude=0.5,
        lane_width=0.6,
        lane_offset=-0.25,
        clumpiness_sigma=0.5,
        field_k=rng.normal(0.0, 1.0, (12, 2)),
        field_phase=rng.uniform(0.0, 6.28, 12),
        clump_xyz=np.stack([r * np.cos(phi), r * np.sin(phi), np.zeros(n_clumps)], 1),
        clump_sigma=np.full(n_clumps, 0.7),
        clump_weight=np.full(n_clumps, 1.0 / n_clumps),
        clump_tau_bc=np.full(n_clumps, tau_bc),
    )

"""Suite-wide test set-up: 64-bit JAX, seeded backends, shared paths."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from dustscene._jax import configure_jax

configure_jax()

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HSC_CUTOUT = SHARED / "data" / "hsc_cosmos_35.npz"


def _assert_same_fit(fa: dict, fb: dict, required: set[str]) -> None:
    """Two `io.fitfile.read_fit` results are the same fit: the same arrays (holding `required`),
    floats equal to 1e-10, others exactly, and the same attributes except the input's path and
    wall-clock times, which differ by construction."""
    arrays = sorted(k for k, v in fa.items() if isinstance(v, np.ndarray))
    assert required <= set(arrays)
    assert arrays == sorted(k for k, v in fb.items() if isinstance(v, np.ndarray))
    for key in arrays:
        if fa[key].dtype.kind in "fc":
            np.testing.assert_allclose(fa[key], fb[key], rtol=1e-10, atol=1e-10, err_msg=key)
        else:
            np.testing.assert_array_equal(fa[key], fb[key], err_msg=key)
    assert fa["attrs"].keys() == fb["attrs"].keys()
    for key, va in fa["attrs"].items():
        if key == "input" or key.endswith("seconds"):
            continue
        vb = fb["attrs"][key]
        if isinstance(va, float | np.floating):
            np.testing.assert_allclose(va, vb, rtol=1e-10, atol=1e-10, err_msg=key)
        else:
            np.testing.assert_array_equal(np.asarray(va), np.asarray(vb), err_msg=key)


@pytest.fixture(scope="session")
def assert_same_fit():
    """`_assert_same_fit`: the check two determinism tests share."""
    return _assert_same_fit


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    """Seed every backend so a failing test fails the same way twice."""
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 (legacy global state some libraries still read)
    try:
        import torch

        torch.manual_seed(0)
    except ImportError:  # torch is optional for the JAX-only tests
        pass


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def hsc_cutout_path() -> Path:
    if not HSC_CUTOUT.exists():
        pytest.skip(f"shared HSC cutout not found at {HSC_CUTOUT}")
    return HSC_CUTOUT

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

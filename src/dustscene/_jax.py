"""JAX runtime set-up shared by scripts and tests: 64-bit floats, CPU-safe defaults."""

from __future__ import annotations

import jax


def configure_jax(enable_x64: bool = True) -> None:
    """Turn on float64 (physics tests and Fisher diagonals need it); idempotent."""
    jax.config.update("jax_enable_x64", enable_x64)

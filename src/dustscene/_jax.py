"""JAX runtime set-up shared by scripts and tests: 64-bit floats, a bounded CPU thread count."""

from __future__ import annotations

import os

import equinox as eqx
import jax


def configure_jax(enable_x64: bool = True, threads: int | None = None) -> None:
    """Turn on float64 (physics tests and Fisher diagonals need it) and cap CPU threads.

    `threads` must be set before the first JAX computation; Snakemake passes the rule's
    `threads` so parallel jobs do not oversubscribe the cores.
    """
    if threads is not None:
        flags = os.environ.get("XLA_FLAGS", "")
        if "intra_op_parallelism_threads" not in flags:
            os.environ["XLA_FLAGS"] = (
                f"{flags} --xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                f"intra_op_parallelism_threads={threads}"
            ).strip()
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))
    jax.config.update("jax_enable_x64", enable_x64)


def cast_floats(tree: object, dtype: object) -> object:
    """`tree` with every floating-point array leaf cast to `dtype` (other leaves untouched)."""
    return jax.tree.map(lambda a: a.astype(dtype) if eqx.is_inexact_array(a) else a, tree)

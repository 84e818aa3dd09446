"""Adapter from the SED layer (dustscene.sed) to the mock core: component fluxes and k_b values.

The mock core is pure: it takes per-component dust-free band fluxes (counts at the suite's
zero point) and per-band k = A_lambda / E(B-V). This module produces them from dustscene.sed;
`toy_component_fluxes` is a dependency-free stand-in (power-law colours) for tests and benches.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
ComponentFluxesFn = Callable[[dict[str, dict[str, Any]], dict[str, Any]], dict[str, F64]]
# toy f_nu slopes (f_nu ~ lambda^slope) and counts per 1e10 M_sun at z ~ 0.15, zero point 27
_TOY_SLOPE = {"bulge": 2.0, "disk": 1.0, "clumps": -0.3, "arms": 0.3}
_TOY_LIGHT_PER_MASS = {"bulge": 1.0, "disk": 2.0, "clumps": 8.0, "arms": 5.0}
_TOY_WAVE_AA = {"g": 4800.0, "r": 6200.0, "i": 7700.0, "z": 8900.0, "y": 9800.0}
_TOY_COUNTS_I = 1.0e4


def band_k(law: str, suite: dict[str, Any], redshift: float = 0.0) -> tuple[F64, float]:
    """k_b and k_V of `law` in the galaxy's rest frame for the suite's survey and bands
    (`dustscene.sed.dust.band_k`, the one home of the law's band evaluation)."""
    from dustscene.sed.dust import band_k as sed_band_k

    return sed_band_k(law, str(suite["survey"]), tuple(suite["bands"]), float(redshift))


def toy_component_fluxes(sed: dict[str, dict[str, Any]], suite: dict[str, Any]) -> dict[str, F64]:
    """Power-law stand-in SEDs: red bulge, intermediate disk, blue arms and clumps (counts, zp 27
    scale)."""
    wave = np.array([_TOY_WAVE_AA.get(b, 7700.0) for b in suite["bands"]])
    zp_scale = 10.0 ** (0.4 * (float(suite["zeropoint"]) - 27.0))
    out: dict[str, F64] = {}
    for comp, p in sed.items():
        mass = 10.0 ** (float(p["log_mass"]) - 10.0)
        shape = (wave / 7700.0) ** _TOY_SLOPE[comp]
        out[comp] = _TOY_COUNTS_I * zp_scale * _TOY_LIGHT_PER_MASS[comp] * mass * shape
    return out


def ssp_component_fluxes(ssp_path: str | os.PathLike[str]) -> ComponentFluxesFn:
    """Component-flux function backed by the SSP table at `ssp_path` (dust-free photometry)."""
    import jax.numpy as jnp

    from dustscene.sed.filters import load_filters
    from dustscene.sed.model import SEDParams, photometry_counts
    from dustscene.sed.ssp import load_ssp_table

    table = load_ssp_table(ssp_path)
    cache: dict[tuple[str, tuple[str, ...]], Any] = {}

    def fluxes(sed: dict[str, dict[str, Any]], suite: dict[str, Any]) -> dict[str, F64]:
        key = (str(suite["survey"]), tuple(suite["bands"]))
        if key not in cache:
            cache[key] = load_filters(*key)
        names = list(sed)
        fields = {
            f: jnp.asarray(np.array([sed[c][f] for c in names], dtype=np.float64))
            for f in (
                "log_mass",
                "sfh_weights",
                "f_burst",
                "t_burst",
                "log_z",
                "tau_bc",
                "tau_ism",
                "n_dust",
                "redshift",
            )
        }
        counts = photometry_counts(
            SEDParams(**fields), table, cache[key], zeropoint=float(suite["zeropoint"])
        )
        arr = np.asarray(counts, dtype=np.float64)
        bad = [c for i, c in enumerate(names) if not np.all(np.isfinite(arr[i]))]
        if bad:  # never render NaN images from a broken SED evaluation
            raise FloatingPointError(
                f"{ssp_path}: non-finite SED fluxes for component(s) {bad} "
                f"(parameters: { {c: sed[c] for c in bad} })"
            )
        return {c: arr[i] for i, c in enumerate(names)}

    return fluxes

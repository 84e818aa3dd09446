"""Per-component SED truth and dust-free photometry of mock scene files, as theta for SEDflow."""

from __future__ import annotations

import os

import h5py
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from dustscene.sed import SEDParams

from .parameters import params_to_theta

F64 = NDArray[np.float64]
COMPONENTS = ("bulge", "disk", "clumps")
FIELDS = ("log_mass", "sfh_weights", "f_burst", "t_burst", "log_z", "tau_bc", "tau_ism",
          "n_dust", "redshift")


def mock_component_truth(
    path: str | os.PathLike[str],
) -> dict[str, dict[str, F64 | float | str]]:
    """{component: {theta (10,), redshift, sed_flux_counts (band,), zeropoint, bands}} of a mock.

    sed_flux is the component's dust-free flux in counts at the file's zero point
    (truth/components/<c>/sed_flux); the SEDParams fields are that group's attrs.
    """
    out: dict[str, dict[str, F64 | float | str]] = {}
    with h5py.File(path, "r") as f:
        zp = float(f.attrs["zeropoint"])
        bands = "".join(str(b) for b in f.attrs["bands"])
        for c in COMPONENTS:
            g = f.get(f"truth/components/{c}")
            if g is None:
                continue
            a = {k: np.asarray(g.attrs[k], dtype=np.float64) for k in FIELDS}
            params = SEDParams(**{k: jnp.asarray(v)[None] for k, v in a.items()})
            out[c] = {"theta": np.asarray(params_to_theta(params))[0],
                      "redshift": float(a["redshift"]),
                      "sed_flux_counts": np.asarray(g["sed_flux"][()], dtype=np.float64),
                      "zeropoint": zp, "bands": bands}
    return out

"""Per-component SED truth and dust-free photometry of mock scene files, as theta for SEDflow."""

from __future__ import annotations

import os

import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from dustscene.io.mockfile import MockFileError, read_mock
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
    mock = read_mock(path, attrs=("zeropoint", "bands"), components=("sed_flux",))
    zp, bands = float(mock.attrs["zeropoint"]), "".join(mock.bands)
    for c in COMPONENTS:
        g = mock.components.get(c)
        if g is None:
            continue
        lacking = [k for k in FIELDS if k not in g.attrs]
        if lacking:
            raise MockFileError(f"mock scene file {path} lacks attrs {lacking} in "
                                f"truth/components/{c}")
        a = {k: np.asarray(g.attrs[k], dtype=np.float64) for k in FIELDS}
        params = SEDParams(**{k: jnp.asarray(v)[None] for k, v in a.items()})
        out[c] = {"theta": np.asarray(params_to_theta(params))[0],
                  "redshift": float(a["redshift"]),
                  "sed_flux_counts": np.asarray(g.arrays["sed_flux"], dtype=np.float64),
                  "zeropoint": zp, "bands": bands}
    return out

"""What the outlier report scores, read from the scenes' files: the fitted components' band
fluxes (fit files, through read_fit) and the mocks' redshifts and true components (mock files,
through read_mock only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from jaxtyping import Float

from dustscene.io.fitfile import read_fit
from dustscene.io.mockfile import read_mock

TRUTH_COMPONENTS = ("bulge", "disk", "clumps")


def mock_redshift(path: Path) -> float | None:
    """The mock's true redshift (root attribute), None if it has none; only attributes are read."""
    z = read_mock(path).attrs.get("redshift")
    return None if z is None else float(z)


def truth_fluxes(path: Path, bands: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(component, kind, band fluxes) of a mock's true components: `dustfree` (sed_flux, what a
    fit with a dust map assigns to its components) and `attenuated` (the summed attenuated
    image, what a dust-free fit sees). The control for the fitted components' ranks."""
    out = []
    try:
        mock = read_mock(path, attrs=("bands",), components=("sed_flux", "attenuated"))
        if list(mock.bands) != bands:
            raise ValueError(f"bands {list(mock.bands)} differ from spectra.bands {bands}")
    except ValueError as err:
        raise ValueError(f"mock file {path}: unusable truth components: {err}") from err
    for name in TRUTH_COMPONENTS:
        g = mock.components.get(name)
        if g is None:
            continue
        out.append((name, "dustfree", np.asarray(g.arrays["sed_flux"], dtype=float)))
        out.append((name, "attenuated",
                    np.asarray(g.arrays["attenuated"], dtype=float).sum(axis=(1, 2))))
    for name, kind, flux in out:
        if flux.shape != (len(bands),) or not np.all(np.isfinite(flux)) or np.any(flux <= 0):
            raise ValueError(f"mock file {path}: truth {name} {kind} fluxes are not positive "
                             f"finite (band,) values")
    return out


def fitted_component_fluxes(path: Path, bands: list[str]) -> list[Float[np.ndarray, " band"]]:
    """Per-band fluxes of each fitted component of a fit file, in component order; ValueError
    naming the file if its bands differ from `bands` or a component's fluxes are not finite."""
    fit = read_fit(path)
    fbands = list(fit["attrs"].get("bands", bands))
    if fbands != bands:
        raise ValueError(f"fit file {path}: bands {fbands} differ from spectra.bands {bands}")
    out = []
    for k in range(int(fit["attrs"].get("n_components", 0))):
        flux = np.asarray(fit.get(f"components/{k}/spectrum", np.nan), dtype=float)
        if flux.shape != (len(bands),) or not np.all(np.isfinite(flux)):
            raise ValueError(f"fit file {path}: components/{k}/spectrum is not finite "
                             f"(band,) fluxes")
        out.append(flux)
    return out

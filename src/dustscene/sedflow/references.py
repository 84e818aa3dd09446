"""NUTS reference posteriors of the held-out calibration galaxies, computed once per seed.

The references do not depend on any flow: the galaxies are the first `n_nuts` of the held-out
set that `pipeline.calibrate` draws from (seed, n_sbc, noise, prior box), and the chains start
at over-dispersed draws of a tempered importance sample of the prior (`overdispersed_starts`),
not at flow draws. So every flow variant of a seed is compared with the same NUTS draws, and
the stage (rule `sedflow_nuts_references`) is reused when only the flow changes.

File layout (HDF5, format "dustscene.sedflow.nuts_references/1", written atomically):
datasets index (galaxy,) row in the held-out set, theta_true (galaxy, 10), redshift (galaxy,),
flux, sigma (galaxy, band; nJy), x (galaxy, feature), init (galaxy, chain, 10), samples
(galaxy, chain, draw, 10), divergences, min_ess, max_rhat, mean_steps, galaxy_seconds
(galaxy,); attrs format and meta (JSON: seed, n_sbc, survey, bands, noise, ranges, chains,
warmup, samples, init, theta_names, ssp_sha256).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from dustscene.io.atomic import atomic_path
from dustscene.io.manifest import sha256_file
from dustscene.sed import FilterSet, SSPTable, load_filters, load_ssp_table

from .noise import NoiseModel
from .nuts import NutsBatch, run_nuts_batch
from .parameters import THETA_NAMES, theta_bounds
from .simulator import Simulation, noiseless_flux, rng_for, simulate

log = logging.getLogger(__name__)
FORMAT = "dustscene.sedflow.nuts_references/1"
HOLDOUT_STREAM = 1_000_000  # shard id of the held-out calibration set (never a training shard)
START_STREAM = 0x5747  # random stream of the chains' starting points
F64 = NDArray[np.float64]


class ReferenceMismatch(ValueError):
    """A reference file was made for other held-out galaxies than the ones being calibrated."""


def held_out(
    seed: int, n_sbc: int, table: SSPTable, filters: FilterSet, noise: NoiseModel,
    ranges: Mapping[str, tuple[float, float]] | None,
) -> Simulation:
    """The held-out calibration set of a seed: n_sbc prior draws on their own stream."""
    return simulate(rng_for(seed, HOLDOUT_STREAM), n_sbc, table, filters, noise, ranges)


def overdispersed_starts(
    flux: F64, sigma: F64, redshift: float, low: F64, high: F64, table: SSPTable,
    filters: FilterSet, rng: np.random.Generator, n_chain: int, n_bank: int = 8192,
    ess_target: float = 64.0,
) -> F64:
    """n_chain distinct chain starts (n_chain, 10), spread over the plausible region.

    A bank of prior draws is weighted by the likelihood raised to the largest power
    beta <= 1 that keeps the importance sample's effective size >= ess_target (tempering:
    Neal 2001), and n_chain draws are taken from it without replacement. The starts are thus
    wider than the posterior, as split R-hat needs (Gelman & Rubin 1992; Vehtari et al. 2021),
    and independent of any flow.
    """
    bank = low + (high - low) * rng.random((n_bank, low.size))
    model = noiseless_flux(bank, np.full(n_bank, redshift), table, filters)
    loglik = -0.5 * np.sum(((flux[None] - model) / sigma[None]) ** 2, axis=1)
    loglik = np.where(np.isfinite(loglik), loglik, -np.inf)

    def weights(beta: float) -> F64:
        a = beta * loglik
        w = np.exp(a - np.max(a))
        return w / w.sum()

    def ess(beta: float) -> float:
        w = weights(beta)
        return float(1.0 / np.sum(w**2))

    lo_b, hi_b = 0.0, 1.0
    if ess(1.0) < ess_target:
        for _ in range(40):  # ess decreases with beta: bisect for ess(beta) = ess_target
            mid = 0.5 * (lo_b + hi_b)
            lo_b, hi_b = (mid, hi_b) if ess(mid) >= ess_target else (lo_b, mid)
        beta = lo_b
    else:
        beta = 1.0
    w = weights(beta)
    n_pos = int(np.count_nonzero(w > 0))
    pick = rng.choice(n_bank, size=n_chain, replace=n_pos < n_chain, p=w)
    return bank[pick]


@dataclasses.dataclass(frozen=True)
class NutsReferences:
    """What `read_nuts_references` returns: the galaxies, the chains and how they were made."""

    index: NDArray[np.int64]  # (galaxy,) rows of the held-out set
    theta_true: F64
    redshift: F64
    flux: F64
    sigma: F64
    x: F64
    init: F64  # (galaxy, chain, 10)
    batch: NutsBatch
    meta: dict[str, Any]

    def check_matches(self, held: Simulation, seed: int, n_sbc: int) -> None:
        """ReferenceMismatch unless these are galaxies `index` of this held-out set."""
        m = self.meta
        if int(m["seed"]) != int(seed) or int(m["n_sbc"]) != int(n_sbc):
            raise ReferenceMismatch(
                f"references were made for seed {m['seed']}, n_sbc {m['n_sbc']}; calibrating "
                f"seed {seed}, n_sbc {n_sbc}")
        if self.index.size and (
                self.index.max() >= held.x.shape[0]
                or not np.allclose(held.x[self.index], self.x, rtol=1e-10, atol=0.0)
                or not np.allclose(held.theta[self.index], self.theta_true, rtol=1e-12)):
            raise ReferenceMismatch(
                "the references' galaxies differ from this calibration's held-out set (another "
                "noise model, prior box, survey or SSP table?)")


def compute_nuts_references(
    ssp_path: str | os.PathLike[str], out_path: str | os.PathLike[str] | None, seed: int,
    n_sbc: int, n_nuts: int, survey: str, bands: Sequence[str], noise: NoiseModel,
    ranges: Mapping[str, Sequence[float]] | None = None, nuts_chains: int = 4,
    nuts_warmup: int = 500, nuts_samples: int = 1000,
) -> NutsReferences:
    """NUTS chains for the first n_nuts held-out galaxies of `seed` (-> `out_path` if given)."""
    table = load_ssp_table(ssp_path)
    filters = load_filters(survey, list(bands))
    rng_ranges = {k: (float(v[0]), float(v[1])) for k, v in (ranges or {}).items()}
    low, high = theta_bounds(rng_ranges)
    held = held_out(seed, n_sbc, table, filters, noise, rng_ranges)
    idx = np.arange(min(n_nuts, n_sbc), dtype=np.int64)
    rng = np.random.default_rng([int(seed), START_STREAM])
    t0 = time.perf_counter()
    init = np.stack([
        overdispersed_starts(held.flux[i], held.sigma[i], float(held.redshift[i]), low, high,
                             table, filters, rng, nuts_chains) for i in idx
    ]) if idx.size else np.zeros((0, nuts_chains, low.size))
    log.info("chain starts for %d galaxies in %.1f s", idx.size, time.perf_counter() - t0)
    nb = run_nuts_batch(held.flux[idx], held.sigma[idx], held.redshift[idx], low, high, table,
                        filters, seed=seed, init=init, num_warmup=nuts_warmup,
                        num_samples=nuts_samples)
    for g, i in enumerate(idx):
        log.info("NUTS galaxy %d: %d divergences, min ESS %.0f, R-hat %.3f, %.1f s", i,
                 nb.divergences[g], nb.min_ess[g], nb.max_rhat[g], nb.galaxy_seconds[g])
    meta = {
        "seed": int(seed), "n_sbc": int(n_sbc), "survey": survey, "bands": list(bands),
        "noise": noise.to_dict(), "ranges": {k: list(v) for k, v in rng_ranges.items()},
        "chains": int(nuts_chains), "warmup": int(nuts_warmup), "samples": int(nuts_samples),
        "init": "tempered prior importance sample (references.overdispersed_starts)",
        "theta_names": list(THETA_NAMES), "ssp_sha256": sha256_file(ssp_path),
    }
    refs = NutsReferences(idx, held.theta[idx], held.redshift[idx], held.flux[idx],
                          held.sigma[idx], held.x[idx], init, nb, meta)
    if out_path is not None:
        write_nuts_references(out_path, refs)
    return refs


_GALAXY = ("index", "theta_true", "redshift", "flux", "sigma", "x", "init")
_BATCH = ("samples", "divergences", "min_ess", "max_rhat", "mean_steps", "galaxy_seconds")


def write_nuts_references(path: str | os.PathLike[str], refs: NutsReferences) -> None:
    """Write `refs` atomically (layout in the module docstring)."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT
        f.attrs["meta"] = json.dumps(refs.meta, sort_keys=True)
        for name in _GALAXY:
            f.create_dataset(name, data=np.asarray(getattr(refs, name)), track_times=False)
        for name in _BATCH:
            f.create_dataset(name, data=np.asarray(getattr(refs.batch, name)),
                             track_times=False)


def read_nuts_references(path: str | os.PathLike[str]) -> NutsReferences:
    """The one reader of a references file; ValueError if it is not one."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file (format={f.attrs.get('format')!r})")
        gal = {name: f[name][...] for name in _GALAXY}
        batch = NutsBatch(**{name: f[name][...] for name in _BATCH})
        meta = json.loads(f.attrs["meta"])
    return NutsReferences(**gal, batch=batch, meta=meta)

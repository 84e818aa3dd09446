"""Amortized posteriors for many galaxies: photometry -> features -> batched, time-bounded samples.

Sampling is one pass of each flow per batch (no rejection: the flows live inside the prior), so
its cost is fixed; `max_seconds` still bounds a run, and galaxies not reached are flagged TIMEOUT.
"""

from __future__ import annotations

import dataclasses
import os
import time

import h5py
import numpy as np
from numpy.typing import NDArray

from dustscene.io.atomic import atomic_path
from dustscene.sed.photometry import AB_ZP_NJY

from .ensemble import Flag, FlowEnsemble
from .noise import features
from .parameters import SFH_NAMES, THETA_NAMES, u_to_weights

F64 = NDArray[np.float64]
# samples x galaxies per flow call: activations of ~10 MB stay in cache; 200k rows were
# 2.2x slower per galaxy (memory-bound matmuls; bench/sedflow.py measures the cost)
MAX_ROWS = 40_000


def counts_to_njy(counts: F64, zeropoint: float = 27.0) -> F64:
    """Image counts at an AB zero point -> nJy (HSC coadds: zero point 27)."""
    return np.asarray(counts, dtype=np.float64) * 10.0 ** (0.4 * (AB_ZP_NJY - zeropoint))


def photometry_features(
    ens: FlowEnsemble,
    flux: F64,
    sigma: F64,
    redshift: F64,
    unit: str = "nJy",
    zeropoint: float = 27.0,
) -> F64:
    """Features x for fluxes and 1-sigma errors (n, band) in `unit` ("nJy" or "counts")."""
    if unit not in ("nJy", "counts"):
        raise ValueError(f"unit must be 'nJy' or 'counts', not {unit!r}")
    f, s = np.asarray(flux, np.float64), np.asarray(sigma, np.float64)
    if unit == "counts":
        f, s = counts_to_njy(f, zeropoint), counts_to_njy(s, zeropoint)
    if f.shape != s.shape or f.shape[1] != ens.n_band:
        raise ValueError(f"flux {f.shape} and sigma {s.shape} must be (n, {ens.n_band})")
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(s > 0, s, np.nan)
    return features(ens.noise, f, s, np.atleast_1d(np.asarray(redshift, np.float64)))


@dataclasses.dataclass(frozen=True)
class Posteriors:
    """Samples (galaxy, sample, 10) in THETA_NAMES order, flag bits per galaxy, wall time."""

    samples: NDArray[np.float32]
    flags: NDArray[np.int64]
    seconds: float


def sample_posteriors(
    ens: FlowEnsemble,
    x: F64,
    n_samples: int = 10_000,
    seed: int = 0,
    max_seconds: float = 600.0,
    max_rows: int = MAX_ROWS,
) -> Posteriors:
    """Posterior samples for every row of x, batched; stops after `max_seconds` (TIMEOUT)."""
    x = np.asarray(x, dtype=np.float64)
    n_gal = x.shape[0]
    flags = ens.support_flags(x)
    out = np.full((n_gal, n_samples, len(THETA_NAMES)), np.nan, dtype=np.float32)
    ok = np.flatnonzero((flags & Flag.NONFINITE) == 0)
    batch = max(1, max_rows // n_samples)
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, ok.size, batch)):
        if time.perf_counter() - t0 > max_seconds:
            flags[ok[start:]] |= Flag.TIMEOUT
            break
        idx = ok[start : start + batch]
        out[idx] = np.swapaxes(ens.sample(x[idx], n_samples, seed=seed + i), 0, 1)
    return Posteriors(out, flags, time.perf_counter() - t0)


def physical_samples(samples: NDArray[np.floating]) -> tuple[list[str], F64]:
    """(names, values (..., 11)): theta with the SFH coordinates replaced by the 4 weights."""
    s = np.asarray(samples, dtype=np.float64)
    shape = s.shape[:-1]
    flat = s.reshape(-1, s.shape[-1])
    k = 1 + len(SFH_NAMES)
    w = np.asarray(u_to_weights(flat[:, 1:k]))
    names = ["log_mass", *[f"sfh_w{j + 1}" for j in range(w.shape[1])], *THETA_NAMES[k:]]
    vals = np.concatenate([flat[:, :1], w, flat[:, k:]], axis=1)
    return names, vals.reshape(*shape, len(names))


def write_posteriors(
    path: str | os.PathLike[str],
    ens: FlowEnsemble,
    x: F64,
    ids: list[str] | None = None,
    n_samples: int = 10_000,
    seed: int = 0,
    max_seconds: float = 600.0,
    chunk: int = 256,
    keep_samples: bool = True,
) -> NDArray[np.int64]:
    """Sample and write an HDF5 of posteriors, streamed in chunks of galaxies; returns flags.

    Datasets: samples (galaxy, sample, 10) float32 (theta, THETA_NAMES; if keep_samples),
    median / p16 / p84 (galaxy, 11) of the physical parameters (SFH as 4 weights, attr names),
    flags (galaxy,) Flag bits, x (galaxy, features), ids. Attrs: theta_names, physical_names,
    flag_bits (JSON), n_samples, seed, seconds, flows manifest sha.
    """
    import json

    x = np.asarray(x, dtype=np.float64)
    n_gal = x.shape[0]
    names, _ = physical_samples(np.zeros((1, len(THETA_NAMES))))
    t0 = time.perf_counter()
    all_flags = np.zeros(n_gal, dtype=np.int64)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        if keep_samples:
            ds = f.create_dataset("samples", (n_gal, n_samples, len(THETA_NAMES)), "f4",
                                  chunks=(1, n_samples, len(THETA_NAMES)), track_times=False)
        summ = {q: f.create_dataset(q, (n_gal, len(names)), "f8", track_times=False)
                for q in ("median", "p16", "p84")}
        for start in range(0, n_gal, chunk):
            left = max_seconds - (time.perf_counter() - t0)
            post = sample_posteriors(ens, x[start : start + chunk], n_samples,
                                     seed=seed + start, max_seconds=max(left, 0.0))
            all_flags[start : start + chunk] = post.flags
            if keep_samples:
                ds[start : start + chunk] = post.samples
            _, phys = physical_samples(post.samples)
            q = np.full((3, phys.shape[0], phys.shape[2]), np.nan)
            good = np.isfinite(phys).all(axis=(1, 2))
            if good.any():
                q[:, good] = np.percentile(phys[good], [50, 16, 84], axis=1)
            for j, name in enumerate(("median", "p16", "p84")):
                summ[name][start : start + chunk] = q[j]
        f.create_dataset("flags", data=all_flags, track_times=False)
        f.create_dataset("x", data=x, track_times=False)
        f.create_dataset("ids", data=np.asarray(ids or [str(i) for i in range(n_gal)], dtype="S"),
                         track_times=False)
        f.attrs["theta_names"] = list(THETA_NAMES)
        f.attrs["physical_names"] = names
        f.attrs["flag_bits"] = json.dumps({fl.name: int(fl.value) for fl in Flag if fl.value})
        f.attrs["n_samples"] = n_samples
        f.attrs["seed"] = seed
        f.attrs["seconds"] = time.perf_counter() - t0
        f.attrs["flows_sha256"] = str(ens.meta.get("weights_sha256", ""))
    return all_flags

"""Batched posteriors: support flags, bounded time, unit conversion, HDF5 summaries."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np

from dustscene.sed import nJy_to_counts
from dustscene.sedflow import (
    Flag,
    load_ensemble,
    photometry_features,
    sample_posteriors,
    write_posteriors,
)
from dustscene.sedflow.sample import counts_to_njy

FLUX = np.array([[2.0e3, 4.0e3, 5.5e3, 6.5e3, 7.0e3]])  # nJy, plain galaxy colours
SIGMA = 0.03 * FLUX


def test_counts_and_njy_agree(flows: Path) -> None:
    ens = load_ensemble(flows)
    counts = np.asarray(nJy_to_counts(FLUX, 27.0))
    np.testing.assert_allclose(counts_to_njy(counts), FLUX, rtol=1e-12)
    a = photometry_features(ens, FLUX, SIGMA, [0.1])
    b = photometry_features(ens, counts, np.asarray(nJy_to_counts(SIGMA, 27.0)), [0.1],
                            unit="counts")
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_out_of_support_is_flagged_and_bounded(flows: Path) -> None:
    ens = load_ensemble(flows)
    weird = FLUX.copy()
    weird[0, 0] = 1e6  # g - r of about -6 mag: no stellar population does that
    x = photometry_features(ens, np.vstack([FLUX, weird]), np.vstack([SIGMA, SIGMA]), [0.1, 0.1])
    t0 = time.perf_counter()
    post = sample_posteriors(ens, x, n_samples=10_000, seed=0, max_seconds=20.0)
    assert time.perf_counter() - t0 < 20.0
    assert post.flags[0] == Flag.OK and post.flags[1] & Flag.COLOUR
    assert np.all((post.samples >= ens.low - 1e-5) & (post.samples <= ens.high + 1e-5))
    bad = photometry_features(ens, FLUX, -SIGMA, [0.5])  # sigma < 0, z beyond the prior
    assert sample_posteriors(ens, bad, 10).flags[0] & Flag.NONFINITE


def test_time_bound_flags_unsampled_galaxies(flows: Path) -> None:
    ens = load_ensemble(flows)
    x = photometry_features(ens, np.repeat(FLUX, 3, 0), np.repeat(SIGMA, 3, 0), [0.1] * 3)
    post = sample_posteriors(ens, x, n_samples=100, max_seconds=0.0)
    assert np.all(post.flags & Flag.TIMEOUT) and np.all(np.isnan(post.samples))


def test_write_posteriors_hdf5(flows: Path, tmp_path: Path) -> None:
    ens = load_ensemble(flows)
    x = photometry_features(ens, np.repeat(FLUX, 4, 0), np.repeat(SIGMA, 4, 0), [0.1] * 4)
    flags = write_posteriors(tmp_path / "post.h5", ens, x, ids=list("abcd"), n_samples=500,
                             chunk=3)
    with h5py.File(tmp_path / "post.h5") as f:
        assert f["samples"].shape == (4, 500, 10)
        med, lo, hi = f["median"][...], f["p16"][...], f["p84"][...]
        assert med.shape == (4, 11) and np.all(lo <= med) and np.all(med <= hi)
        np.testing.assert_allclose(med[:, 1:5].sum(1), 1.0, atol=0.2)  # SFH weights ~ simplex
        assert list(f.attrs["physical_names"])[1] == "sfh_w1"
        np.testing.assert_array_equal(f["flags"][...], flags)

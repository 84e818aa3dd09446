"""NUTS references as their own stage: flow-free chain starts, one file format, one reader, and
a check that a calibration reads references of its own held-out galaxies."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from dustscene.sedflow.noise import default_noise_model
from dustscene.sedflow.nuts import NutsBatch
from dustscene.sedflow.parameters import theta_bounds
from dustscene.sedflow.references import (
    NutsReferences,
    ReferenceMismatch,
    held_out,
    overdispersed_starts,
    read_nuts_references,
    write_nuts_references,
)
from dustscene.sedflow.simulator import noiseless_flux


def test_starts_are_distinct_plausible_and_wider_than_one_point(table, filters) -> None:
    low, high = theta_bounds()
    truth = np.array([[10.3, 0.5, 0.4, 0.6, 0.1, 1.5, -0.2, 0.4, 0.3, -0.1]])
    flux = noiseless_flux(truth, np.array([0.1]), table, filters)[0]
    sigma = 0.03 * flux

    def chi2(th: np.ndarray) -> np.ndarray:
        model = noiseless_flux(th, np.full(len(th), 0.1), table, filters)
        return np.sum(((flux - model) / sigma) ** 2, axis=1)

    rng = np.random.default_rng(0)
    starts = overdispersed_starts(flux, sigma, 0.1, low, high, table, filters, rng, n_chain=4,
                                  n_bank=4096)
    assert starts.shape == (4, 10)
    assert np.all((starts > low) & (starts < high))
    assert len({tuple(s) for s in starts}) == 4  # distinct: split R-hat can see disagreement
    # far better than prior draws (a 5-band chi2 of a prior draw is ~1e4 or more) ...
    prior = low + (high - low) * np.random.default_rng(1).random((256, 10))
    assert np.median(chi2(starts)) < np.quantile(chi2(prior), 0.01)
    # ... and the same seed gives the same starts
    again = overdispersed_starts(flux, sigma, 0.1, low, high, table, filters,
                                 np.random.default_rng(0), n_chain=4, n_bank=4096)
    np.testing.assert_array_equal(starts, again)


def _fake_refs(held, seed: int, n_sbc: int, idx: np.ndarray) -> NutsReferences:
    g = idx.size
    rng = np.random.default_rng(0)
    batch = NutsBatch(rng.random((g, 2, 20, 10)), np.arange(g), np.full(g, 150.0),
                      np.full(g, 1.01), np.full(g, 7.0), np.full(g, 1.5))
    return NutsReferences(idx, held.theta[idx], held.redshift[idx], held.flux[idx],
                          held.sigma[idx], held.x[idx], rng.random((g, 2, 10)), batch,
                          {"seed": seed, "n_sbc": n_sbc, "chains": 2, "warmup": 5, "samples": 20,
                           "init": "test"})


def test_round_trip_and_mismatch(table, filters, tmp_path: Path) -> None:
    noise = default_noise_model("hsc", list("grizy"))
    held = held_out(5, 30, table, filters, noise, None)
    refs = _fake_refs(held, 5, 30, np.arange(3))
    path = tmp_path / "refs.h5"
    write_nuts_references(path, refs)
    back = read_nuts_references(path)
    for name in ("index", "theta_true", "x", "init"):
        np.testing.assert_array_equal(getattr(back, name), getattr(refs, name))
    for name in ("samples", "min_ess", "max_rhat", "galaxy_seconds"):
        np.testing.assert_array_equal(getattr(back.batch, name), getattr(refs.batch, name))
    assert back.meta == refs.meta
    back.check_matches(held, 5, 30)
    # the held-out set depends on (seed, n_sbc): references of another one are refused
    with pytest.raises(ReferenceMismatch):
        back.check_matches(held_out(6, 30, table, filters, noise, None), 5, 30)
    with pytest.raises(ReferenceMismatch):
        back.check_matches(held, 5, 40)
    other_noise = default_noise_model("hsc", list("grizy"), floor_min=0.03)
    with pytest.raises(ReferenceMismatch):
        back.check_matches(held_out(5, 30, table, filters, other_noise, None), 5, 30)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["format"] = "something else"
    with pytest.raises(ValueError, match="not a"):
        read_nuts_references(tmp_path / "other.h5")

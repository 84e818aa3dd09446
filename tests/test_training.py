"""The shared split and early stop: seeded and disjoint, the same indices each loop drew before it
shared them (so trained models do not change), and patience / keep-best as the loops had them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dustscene.spectra.train import split as spectrum_split
from dustscene.training import (
    EarlyStopping,
    seeded_permutation,
    split_permutation,
    train_validation_split,
)


@pytest.mark.parametrize("n,fraction", [(3, 0.1), (10, 0.1), (1000, 0.1), (257, 0.25)])
def test_split_is_seeded_disjoint_and_complete(n: int, fraction: float) -> None:
    a = train_validation_split(n, fraction, seed=4, stream=0xF10)
    b = train_validation_split(n, fraction, seed=4, stream=0xF10)
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.held_out, b.held_out)
    assert len(a.held_out) == max(1, round(fraction * n))
    np.testing.assert_array_equal(np.sort(np.concatenate(a)), np.arange(n))
    c = train_validation_split(n, fraction, seed=5, stream=0xF10)
    assert n < 10 or not np.array_equal(a.held_out, c.held_out)


def test_split_refuses_too_few_training_rows() -> None:
    with pytest.raises(ValueError, match="too few"):
        train_validation_split(2, 0.1, seed=0, stream=1, what="latent vectors")


def test_latent_flow_split_is_the_old_one() -> None:
    n, seed = 997, 7
    perm = np.random.default_rng([seed, 0xF10]).permutation(n)
    n_val = max(1, int(round(0.1 * n)))
    s = train_validation_split(n, 0.1, seed=seed, stream=0xF10)
    np.testing.assert_array_equal(s.train, perm[n_val:])
    np.testing.assert_array_equal(s.held_out, perm[:n_val])


def test_spectrum_split_is_the_old_one() -> None:
    n, seed = 1203, 3
    perm = np.random.default_rng([seed, 0x5A1]).permutation(n)
    n_val = max(1, int(round(0.1 * n)))
    tr, va = spectrum_split(n, 0.1, seed)
    np.testing.assert_array_equal(tr, np.sort(perm[: n - n_val]))
    np.testing.assert_array_equal(va, np.sort(perm[n - n_val :]))
    np.testing.assert_array_equal(seeded_permutation(n, seed=seed, stream=0x5A1), perm)


def test_sedflow_split_is_the_old_one() -> None:
    n, seed = 5000, 2
    old = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = max(1, int(round(0.1 * n)))
    gen = torch.Generator().manual_seed(seed)
    s = split_permutation(torch.randperm(n, generator=gen).numpy(), 0.1)
    np.testing.assert_array_equal(s.held_out, old[:n_val].numpy())
    np.testing.assert_array_equal(s.train, old[n_val:].numpy())


def test_early_stopping_patience_and_best_state() -> None:
    stop = EarlyStopping[int](patience=2)
    flags = [stop.update(loss, lambda e=e: e) for e, loss in enumerate([3.0, 2.0, 2.5, 1.5, 1.6,
                                                                         1.5, 1.7])]
    assert flags == [False, False, False, False, False, True, True]
    assert (stop.best_loss, stop.best_state, stop.best_epoch, stop.epochs) == (1.5, 3, 3, 7)


def test_early_stopping_min_delta_counts_small_gains_as_none() -> None:
    stop = EarlyStopping[str](patience=1, min_delta=1e-4)
    assert not stop.update(1.0, lambda: "a")
    assert stop.update(1.0 - 5e-5, lambda: "b")
    assert stop.best_state == "a"

"""A tiny score network trained once per session on 16x16 mock stamps (seconds, not minutes)."""

from __future__ import annotations

import jax
import pytest

from dustscene.priors import ScoreTrainSettings, train_score_model, training_stamps


@pytest.fixture(scope="session")
def tiny_stamps():
    return training_stamps(160, 16, seed=3, redshift_range=(0.35, 0.6), n_nodes=32)


@pytest.fixture(scope="session")
def tiny_model(tiny_stamps):
    settings = ScoreTrainSettings(steps=150, batch=16, lr=3e-3, width=8)
    res = train_score_model(tiny_stamps[:128], settings, key=jax.random.key(0), progress=False)
    return res

"""Hutchinson (Rademacher, 100 probes) prior Fisher diagonal against the exact jacfwd diagonal."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from dustscene.priors import ScorePrior, prior_fisher_exact, prior_fisher_hutchinson


@pytest.fixture(scope="module")
def prior(tiny_model, tiny_stamps):
    # a 12x12 crop keeps the exact Jacobian (144 JVPs) cheap; the U-Net takes any size % 4
    return ScorePrior(tiny_model.model, temperature=0.02), jnp.asarray(
        tiny_stamps[140, 2:14, 2:14], float
    )


def test_hutchinson_within_3_percent(prior) -> None:
    p, x = prior
    exact = prior_fisher_exact(p, x)
    est = prior_fisher_hutchinson(p, x, key=jax.random.key(2), n_probes=100, chunk=30)
    rel = float(jnp.linalg.norm(est - exact) / jnp.linalg.norm(exact))
    print(f"Hutchinson relative error {rel:.4f}")
    assert rel < 0.03, rel


def test_hutchinson_is_exact_for_a_diagonal_score() -> None:
    score = lambda x: -(x - 0.3) / 0.02 * (1 + x**2)  # noqa: E731
    x = jax.random.uniform(jax.random.key(0), (8, 8))
    est = prior_fisher_hutchinson(score, x, key=jax.random.key(1), n_probes=7, chunk=3)
    assert jnp.allclose(est, prior_fisher_exact(score, x), rtol=1e-10)

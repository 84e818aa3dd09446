"""Score network: DSM training moves noisy stamps toward the clean ones; I/O refuses bad files."""

from __future__ import annotations

import importlib.util
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from dustscene.priors import (
    ScoreModelError,
    ScorePrior,
    ScoreUNet,
    load_score_model,
    save_score_model,
    stamps_sha256,
    surrogate_log_prior,
    training_stamps,
    vp_alpha_sigma2,
)


def test_training_loss_decreases(tiny_model) -> None:
    loss = tiny_model.losses
    assert np.mean(loss[-50:]) < 0.7 * np.mean(loss[:20])


@pytest.mark.parametrize("t", [0.05, 0.2])
def test_score_points_toward_clean_stamps(tiny_model, tiny_stamps, t: float) -> None:
    held_out = jnp.asarray(tiny_stamps[128:])
    a, s2 = vp_alpha_sigma2(jnp.asarray(t))
    eps = jax.random.normal(jax.random.key(5), held_out.shape)
    xt = jnp.sqrt(a) * held_out + jnp.sqrt(s2) * eps
    score = jax.vmap(lambda x: tiny_model.model(x, jnp.asarray(t)))
    x = xt
    for _ in range(3):  # three partial Tweedie steps along the score
        x = x + 0.5 * s2 * score(x)
    err_noisy = jnp.mean((xt / jnp.sqrt(a) - held_out) ** 2)
    err_denoised = jnp.mean((x / jnp.sqrt(a) - held_out) ** 2)
    assert float(err_denoised) < 0.6 * float(err_noisy)


MU0, S0 = 0.3, 0.2  # toy data: every pixel iid N(MU0, S0^2)


def _gaussian_log_pt(x, t):  # noqa: ANN001, ANN202
    """log p_t of the toy under the VP diffusion: x_t = sqrt(a) x_0 + sqrt(s2) eps, written out
    (a = exp(-t), s2 = 1 - exp(-t)) without the package's schedule."""
    a, s2 = np.exp(-t), 1.0 - np.exp(-t)
    return np.sum(norm.logpdf(x, np.sqrt(a) * MU0, np.sqrt(a * S0**2 + s2)))


def _exact_score(x, t):  # noqa: ANN001, ANN202
    """The toy's exact diffused score, -(x - sqrt(a) mu) / (a s0^2 + s2), as a ScoreFn."""
    a, s2 = vp_alpha_sigma2(t)
    return -(x - jnp.sqrt(a) * MU0) / (a * S0**2 + s2)


@pytest.mark.parametrize("temperature", [0.02, 0.3])
def test_prior_interface(temperature: float) -> None:
    """grad_log_prior is the score of the prior diffused to its temperature: with the exact
    score of a Gaussian toy it equals a central finite difference of log p_t at that t."""
    prior = ScorePrior(_exact_score, temperature=temperature)
    x = np.random.default_rng(2).normal(MU0, 0.5, (4, 4))
    h = 1e-5
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        fd[idx] = (_gaussian_log_pt(x + e, temperature) - _gaussian_log_pt(x - e, temperature)) / (
            2 * h
        )
    # central differences of a quadratic are exact up to float64 rounding, ~1e-16 / h
    np.testing.assert_allclose(prior.grad_log_prior(jnp.asarray(x)), fd, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(prior(jnp.asarray(x)), fd, rtol=1e-8, atol=1e-8)


def test_save_load_roundtrip_and_refusals(tmp_path, tiny_stamps) -> None:
    model = ScoreUNet(width=4, key=jax.random.key(1))
    sha = stamps_sha256(tiny_stamps)
    path = tmp_path / "score_16.eqx"
    save_score_model(path, model, {"training_set_sha256": sha, "stamp_size": 16})
    back, meta = load_score_model(path, expect={"training_set_sha256": sha})
    x = jnp.asarray(tiny_stamps[0])
    np.testing.assert_array_equal(back(x, jnp.asarray(0.1)), model(x, jnp.asarray(0.1)))
    assert meta["stamp_size"] == 16
    with pytest.raises(ScoreModelError, match="training_set_sha256"):
        load_score_model(path, expect={"training_set_sha256": "0" * 64})
    meta_path = path.with_suffix(".json")
    info = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**info, "width": 8}))  # skeleton no longer matches
    with pytest.raises(ScoreModelError, match="deserialise"):
        load_score_model(path)
    meta_path.write_text(json.dumps(info))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ScoreModelError, match="sha256"):
        load_score_model(path)
    path.unlink()
    with pytest.raises(ScoreModelError, match="not found"):
        load_score_model(path)


def test_surrogate_log_prior_gradient_is_the_score(tiny_model) -> None:
    prior = ScorePrior(tiny_model.model, temperature=0.05)
    x = jnp.zeros((16, 16)).at[6:9, 7:10].set(0.7)
    g = jax.grad(lambda v: surrogate_log_prior(prior, v))(x)
    np.testing.assert_allclose(g, prior(x), rtol=1e-12)


def test_galaxygrad_prior_optional() -> None:
    """The published HSC prior (galaxygrad==0.1.7 wheel), when installed: its score of a
    noisy mock morphology points back toward the clean one, at both sizes."""
    if importlib.util.find_spec("galaxygrad") is None:  # importing it here would break x64
        pytest.skip("galaxygrad==0.1.7 is not installed (optional)")
    from dustscene.priors import galaxygrad_prior

    for size in (32, 64):
        prior = galaxygrad_prior(size, temperature=0.02)
        clean = jnp.asarray(training_stamps(1, size, seed=4)[0], dtype=jnp.float32)
        noisy = clean + 0.05 * jax.random.normal(jax.random.key(size), clean.shape)
        s = prior(noisy)
        assert s.shape == (size, size)
        assert bool(jnp.all(jnp.isfinite(s)))
        cos = jnp.sum(s * (clean - noisy)) / (jnp.linalg.norm(s) * jnp.linalg.norm(clean - noisy))
        assert float(cos) > 0.2, f"size {size}: cos(score, clean - noisy) = {float(cos):.3f}"
    with pytest.raises(ValueError, match="32 and 64"):
        galaxygrad_prior(48)

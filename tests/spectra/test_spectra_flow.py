"""The latent flow: a normalised density that learns a curved 2-D distribution, deterministic,
and saved/loaded without pickle next to either density kind."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.spectra import (
    FlowSettings,
    GaussianMixture,
    LatentFlow,
    fit_flow,
    fit_gmm,
    load_spectrum_prior,
    save_spectrum_prior,
)
from dustscene.spectra.flow import coupling_splits

SETTINGS = FlowSettings(n_transforms=6, width=32, depth=2, max_epochs=150, patience=20,
                        batch_size=256)


def _banana(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples and exact log density of x1 ~ N(0, 1), x2 | x1 ~ N(x1^2 - 1, 0.3^2) (unit
    Jacobian, so the density is the product of the two normals)."""
    x1 = rng.standard_normal(n)
    x2 = x1**2 - 1.0 + 0.3 * rng.standard_normal(n)
    lp = (-0.5 * x1**2 - 0.5 * ((x2 - x1**2 + 1.0) / 0.3) ** 2 - np.log(2 * np.pi * 0.3))
    return np.stack([x1, x2], axis=1), lp


@pytest.fixture(scope="module")
def banana_flow():  # noqa: ANN201
    rng = np.random.default_rng(4)
    x, _ = _banana(rng, 6000)
    return fit_flow(x, SETTINGS, seed=1), rng


def test_flow_learns_a_curved_density(banana_flow):
    """Held-out mean log q within 0.15 nats of the exact mean log p (the entropy), and clearly
    better than the best single Gaussian, which cannot follow the curve."""
    flow, rng = banana_flow
    x, lp = _banana(rng, 4000)
    lq = np.asarray(jax.vmap(flow.log_prob)(jnp.asarray(x)))
    gauss = fit_gmm(x, 1, seed=0)
    lg = np.asarray(jax.vmap(gauss.log_prob)(jnp.asarray(x)))
    assert np.mean(lq) > np.mean(lp) - 0.15, (np.mean(lq), np.mean(lp))
    assert np.mean(lq) > np.mean(lg) + 0.3
    # pointwise too, where the density is not tiny
    core = lp > np.quantile(lp, 0.1)
    assert np.median(np.abs(lq[core] - lp[core])) < 0.2


def test_flow_is_normalised_and_samples_match(banana_flow):
    flow, _ = banana_flow
    g1, g2 = np.meshgrid(np.linspace(-6, 6, 241), np.linspace(-4, 20, 481), indexing="ij")
    pts = jnp.asarray(np.stack([g1.ravel(), g2.ravel()], axis=1))
    dens = np.exp(np.asarray(jax.vmap(flow.log_prob)(pts)))
    integral = dens.sum() * (12 / 240) * (24 / 480)
    assert integral == pytest.approx(1.0, abs=0.02)
    s = np.asarray(flow.sample(jax.random.key(0), 20000))
    assert np.mean(s[:, 1]) == pytest.approx(0.0, abs=0.08)  # E[x2] = E[x1^2] - 1 = 0
    assert np.corrcoef(s[:, 0] ** 2, s[:, 1])[0, 1] > 0.9  # the curve, not a blob
    # far from the data the density falls off (outliers get low log p)
    assert float(flow.log_prob(jnp.array([0.0, 15.0]))) < -50


def test_flow_fit_is_deterministic_and_multistart_points_sorted():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.3, (700, 3)), rng.normal(2, 0.3, (300, 3))])
    st = dataclasses.replace(SETTINGS, max_epochs=5, n_starts=2)
    a, b = fit_flow(x, st, seed=3), fit_flow(x, st, seed=3)
    for la, lb in zip(jax.tree.leaves(eqx.filter(a, eqx.is_array)),
                      jax.tree.leaves(eqx.filter(b, eqx.is_array)), strict=True):
        np.testing.assert_array_equal(np.asarray(la), np.asarray(lb))
    # starts: the k-means centres, largest cluster (the one at -2) first
    np.testing.assert_allclose(np.asarray(a.starts), [[-2.0] * 3, [2.0] * 3], atol=0.1)
    assert 0 < float(a.scale()) < 1.0
    with pytest.raises(ValueError, match="latent vectors"):
        fit_flow(x[:2], st, seed=0)


def test_coupling_splits_cover_every_latent():
    for s in (1, 2, 5, 6):
        for keep, move in coupling_splits(s, 4):
            assert move and sorted(keep + move) == list(range(s))


def test_save_load_either_density(trained_prior, tmp_path):
    """The workflow's default prior carries a flow; `density: gmm` priors load as mixtures;
    a manifest whose flow architecture does not match the weights is refused."""
    path, model, dens, data, _ = trained_prior
    assert isinstance(dens, LatentFlow)
    lat = jnp.asarray(np.random.default_rng(1).normal(size=(5, model.n_latent)))
    g = fit_gmm(np.asarray(lat.repeat(20, axis=0)) + np.random.default_rng(2).normal(
        size=(100, model.n_latent)), 2, seed=0)
    p = tmp_path / "gmm.eqx"
    save_spectrum_prior(p, model, g, {"training_set_sha256": data.sha256})
    _, g2, meta = load_spectrum_prior(p)
    assert isinstance(g2, GaussianMixture) and meta["density"] == "gmm"
    np.testing.assert_array_equal(np.asarray(jax.vmap(g.log_prob)(lat)),
                                  np.asarray(jax.vmap(g2.log_prob)(lat)))
    import json

    meta = json.loads(path.with_suffix(".json").read_text())
    meta["flow"]["n_transforms"] += 1
    meta["flow"].pop("splits")
    bad = tmp_path / "bad.eqx"
    bad.write_bytes(path.read_bytes())
    bad.with_suffix(".json").write_text(json.dumps(meta))
    from dustscene.spectra import SpectrumPriorError

    with pytest.raises(SpectrumPriorError, match="bad.eqx"):
        load_spectrum_prior(bad)

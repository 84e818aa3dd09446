"""Analytic likelihood Fisher diagonals against jax.hessian of Observation.log_likelihood."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.hallucination import likelihood_fisher_dust, likelihood_fisher_morphology
from dustscene.scene import Component, Dust, FreeMorphology, FreeSpectrum, Observation, Scene
from dustscene.scene.synthetic import CALZETTI_OPACITY, make_frame, observed_psf

N = 12


def _setup(dust: bool):
    rng = np.random.default_rng(1)
    frame = make_frame(N)
    yy, xx = np.mgrid[:N, :N]
    morph = np.exp(-((yy - 5.6) ** 2 + (xx - 6.3) ** 2) / 8.0)
    ebv = 0.3 * np.exp(-((yy - 6.0) ** 2 + (xx - 5.0) ** 2) / 20.0) + 0.01
    d = Dust(CALZETTI_OPACITY, FreeMorphology(ebv, floor=0.0)) if dust else None
    comp = Component(FreeSpectrum([10.0, 20, 30, 40, 50]), FreeMorphology(morph, floor=0.0), d)
    scene = Scene(frame, (comp,))
    w = (
        rng.uniform(0.5, 2.0, (5, N, N))
        / np.array([0.03, 0.04, 0.05, 0.1, 0.2])[:, None, None] ** 2
    )
    w[:, :3, :] = 0.0  # a masked strip
    empty = Observation(np.zeros((5, N, N)), w, observed_psf(), frame)
    obs = Observation(np.asarray(empty.render(scene)), w, observed_psf(), frame)  # residual 0
    return scene, obs, morph, ebv


def _rel(a, b):
    return float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(b)))


@pytest.mark.parametrize("dust", [False, True])
def test_morphology_fisher_matches_hessian(dust: bool) -> None:
    scene, obs, morph, _ = _setup(dust)
    where = lambda s: s.components[0].morphology.pixels.value  # noqa: E731

    def ll(x):
        return obs.log_likelihood(eqx.tree_at(where, scene, x.reshape(N, N)))

    exact = -jnp.diag(jax.hessian(ll)(jnp.asarray(morph).ravel())).reshape(N, N)
    comp = scene.components[0]
    tau = comp.dust.tau(scene.frame) if dust else None
    f_l = likelihood_fisher_morphology(obs, comp.spectrum(), tau)
    assert _rel(f_l, exact) < 1e-5
    assert bool(jnp.all(f_l >= 0))


def test_dust_fisher_matches_hessian_at_zero_residual() -> None:
    scene, obs, _, ebv = _setup(True)
    where = lambda s: s.components[0].dust.ebv.pixels.value  # noqa: E731

    def ll(e):
        return obs.log_likelihood(eqx.tree_at(where, scene, e.reshape(N, N)))

    exact = -jnp.diag(jax.hessian(ll)(jnp.asarray(ebv).ravel())).reshape(N, N)
    comp = scene.components[0]
    f_d = likelihood_fisher_dust(obs, comp(scene.frame), comp.dust.opacity())
    assert _rel(f_d, exact) < 1e-5

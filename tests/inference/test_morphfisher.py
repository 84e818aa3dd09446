"""Hallucination maps of a fitted scene's score-prior pixels: F_L against the exact Hessian of the
likelihood, F_P against a prior whose Hessian is known, the maps in the fit file."""

from __future__ import annotations

from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.inference.morphfisher import morphology_fisher_maps, score_morphologies
from dustscene.inference.run import resolve_config, run_fit_file
from dustscene.io.fitfile import read_fit
from dustscene.mocks import default_suite, make_scene, write_scene
from dustscene.priors import ScorePrior, with_score_prior
from dustscene.scene import Component, Dust, FreeMorphology, FreeSpectrum, Observation, Scene
from dustscene.scene.parameters import to_vector
from dustscene.scene.synthetic import CALZETTI_OPACITY, make_frame, observed_psf

N = 12
V = 1e-4  # variance of the toy prior on peak-normalised pixels


class GaussianScore(eqx.Module):
    """Score of N(0, V) per peak-normalised pixel: the prior's Fisher diagonal is 1 / V there."""

    def __call__(self, x, t):
        return -x / V


def _setup(dust: bool, offset: tuple[int, int] = (0, 0)):
    rng = np.random.default_rng(1)
    frame = make_frame(N)
    yy, xx = np.mgrid[:N, :N]
    morph = np.exp(-((yy - 5.6) ** 2 + (xx - 6.3) ** 2) / 8.0) + 0.01
    ebv = 0.3 * np.exp(-((yy - 6.0) ** 2 + (xx - 5.0) ** 2) / 20.0) + 0.01
    d = Dust(CALZETTI_OPACITY, FreeMorphology(ebv, floor=0.0)) if dust else None
    pixels = with_score_prior(FreeMorphology(morph, offset, floor=0.0),
                              ScorePrior(GaussianScore(), temperature=0.02))
    comp = Component(FreeSpectrum([10.0, 20, 30, 40, 50]), pixels, d)
    scene = Scene(frame, (comp,))
    w = (
        rng.uniform(0.5, 2.0, (5, N, N))
        / np.array([0.03, 0.04, 0.05, 0.1, 0.2])[:, None, None] ** 2
    )
    w[:, :3, :] = 0.0  # a masked strip
    empty = Observation(np.zeros((5, N, N)), w, observed_psf(), frame)
    obs = Observation(np.asarray(empty.render(scene)), w, observed_psf(), frame)  # residual 0
    return scene, obs, morph


@pytest.mark.parametrize("dust", [False, True])
def test_likelihood_fisher_is_the_exact_hessian_diagonal(dust: bool) -> None:
    """At zero residual the Gauss-Newton diagonal is -d^2 log L / dx_j^2 in pixel units, with or
    without a dust screen in front (the screen dims what each pixel can tell)."""
    scene, obs, morph = _setup(dust)
    where = lambda s: s.components[0].morphology.pixels.value  # noqa: E731

    def ll(x):
        return obs.log_likelihood(eqx.tree_at(where, scene, x.reshape(N, N)))

    exact = -np.diag(np.asarray(jax.hessian(ll)(jnp.asarray(morph).ravel()))).reshape(N, N)
    maps = morphology_fisher_maps(scene, obs, to_vector(scene), key=jax.random.key(0))
    assert np.max(np.abs(maps.fisher_likelihood - exact)) / np.max(exact) < 1e-6
    # the masked strip sees the data only through the PSF's wings
    assert maps.fisher_likelihood[0].max() < 0.05 * exact.max()


def test_prior_fisher_of_a_gaussian_score_and_rho() -> None:
    """F_P = 1 / (V peak^2) in pixel units (the score acts on x / peak); rho = F_P / (F_P + F_L)
    is above 1/2 exactly where dF > 0."""
    scene, obs, morph = _setup(False)
    maps = morphology_fisher_maps(scene, obs, to_vector(scene), key=jax.random.key(0),
                                  n_probes=7)
    np.testing.assert_allclose(maps.fisher_prior, 1.0 / (V * morph.max() ** 2), rtol=1e-9)
    np.testing.assert_array_equal(maps.rho > 0.5, maps.delta_fisher > 0)
    # the masked strip's first row: the prior decides; the galaxy's centre: the data
    assert np.all(maps.delta_fisher[0] > 0) and np.all(maps.delta_fisher[5:9, 4:9] < 0)
    assert maps.temperature == 0.02 and maps.n_probes == 7


def test_maps_sit_at_the_box_in_the_frame() -> None:
    scene, obs, _ = _setup(False)
    small = FreeMorphology(np.ones((4, 5)), (3, 6), floor=0.0)
    prior = ScorePrior(GaussianScore(), temperature=0.02)
    comp = Component(FreeSpectrum([10.0, 20, 30, 40, 50]), with_score_prior(small, prior))
    scene = Scene(scene.frame, (comp,))
    maps = morphology_fisher_maps(scene, obs, to_vector(scene), key=jax.random.key(0))
    inside = np.zeros((N, N), bool)
    inside[3:7, 6:11] = True
    assert np.all(np.isfinite(maps.rho[inside])) and np.all(np.isnan(maps.rho[~inside]))


def test_no_score_prior_no_maps() -> None:
    scene, obs, _ = _setup(False)
    plain = eqx.tree_at(lambda s: s.components[0].morphology, scene,
                        FreeMorphology(np.ones((N, N)), floor=0.0))
    assert score_morphologies(plain) == []
    assert morphology_fisher_maps(plain, obs, to_vector(plain), key=jax.random.key(0)) is None


def test_score_prior_needs_full_boxes() -> None:
    with pytest.raises(ValueError, match="support_snr: 0"):
        resolve_config({"score_prior": "model.eqx", "morphology": "free"})
    with pytest.raises(ValueError, match="full boxes"):
        resolve_config({"score_prior": "model.eqx", "morphology": "sersic", "support_snr": 0})
    resolve_config({"score_prior": "model.eqx", "morphology": "free", "support_snr": 0})


@pytest.fixture(scope="module")
def small_mock(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mock") / "mock.h5"
    write_scene(path, make_scene(default_suite(), 1, seed=4))
    return path


def test_a_score_prior_fit_writes_its_maps(tmp_path: Path, small_mock: Path) -> None:
    """Any fit with a score prior stores F_L, F_P, dF and rho of its pixels, and t."""
    prior = ScorePrior(GaussianScore(), temperature=0.05)
    cfg = {"morphology": "free", "support_snr": 0.0, "spectrum": "free", "dust": "none",
           "sky": False, "laplace": False, "adam_steps": 30, "lbfgs_steps": 0,
           "score_prior": prior, "score_probes": 4}
    out = tmp_path / "fit.h5"
    attrs = run_fit_file(small_mock, out, cfg)
    fit = read_fit(out)
    rho = fit["hallucination/rho"]
    assert rho.shape == fit["dust/ebv"].shape
    assert np.nanmin(rho) >= 0 and np.nanmax(rho) <= 1 and np.isfinite(rho).any()
    np.testing.assert_allclose(fit["hallucination/delta_fisher"],
                               fit["hallucination/fisher_prior"]
                               - fit["hallucination/fisher_likelihood"], rtol=1e-5, atol=1e-3)
    assert attrs["score_temperature"] == 0.05 and attrs["score_probes"] == 4

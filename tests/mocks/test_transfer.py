"""Transfer and dust truth: exact dust-free limit, attenuation bounds, inclination, reddening."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dustscene.mocks.attenuation import ebv_effective, ebv_from_tau_v, effective_attenuation
from dustscene.mocks.scene import render_scene
from dustscene.mocks.sed_link import band_k
from dustscene.mocks.suite import draw_scene_params, validate_suite
from dustscene.mocks.transfer import COMPONENTS, render_raw

K_TEST = np.array([5.0, 4.0, 3.0, 2.5, 2.0])  # arbitrary decreasing inputs, not a law
K_V_TEST = 4.0
KAPPA = K_TEST / K_V_TEST
N = 40


def _totals(raw):
    free = sum(raw.dustfree[c] for c in COMPONENTS)
    att = sum(raw.attenuated[c] for c in COMPONENTS)
    return free, att


@pytest.mark.parametrize("incl", [0.0, 55.0, 88.0])
def test_no_dust_gives_identical_images(make_geometry, incl: float) -> None:
    raw = render_raw(make_geometry(tau_v0=0.0, tau_bc=0.0), np.radians(incl), 0.5, N, KAPPA, 64)
    for c in COMPONENTS:
        assert np.array_equal(raw.attenuated[c], np.broadcast_to(raw.dustfree[c], (5, N, N)))
    assert np.all(raw.tau_v_column == 0.0)


@pytest.mark.parametrize("incl", [0.0, 60.0, 87.0])
def test_attenuation_bounds_and_effective_below_column(make_geometry, incl: float) -> None:
    raw = render_raw(make_geometry(), np.radians(incl), 0.5, N, KAPPA, 64)
    free, att = _totals(raw)
    assert np.all(att <= free[None]) and np.all(att >= 0.0)
    a_eff = effective_attenuation(att, np.broadcast_to(free, att.shape))
    ebv_col = ebv_from_tau_v(raw.tau_v_column, K_V_TEST)
    # per band the mixture is never attenuated more than a screen of the full column
    assert np.all(a_eff <= K_TEST[:, None, None] * ebv_col + 1e-12)
    ebv_eff = ebv_effective(a_eff, K_TEST)
    bright = free > 1e-3 * free.max()
    assert np.all(ebv_eff[bright] <= ebv_col[bright] + 1e-12)
    # mixing makes it strictly smaller where there is real dust
    dusty = bright & (ebv_col > 0.05)
    assert dusty.sum() > 20 and np.median(ebv_eff[dusty] / ebv_col[dusty]) < 0.9


def test_face_on_column_matches_tau_v0(make_geometry) -> None:
    g = dataclasses.replace(make_geometry(), lane_amplitude=0.0, clumpiness_sigma=0.0)
    g = dataclasses.replace(g, clump_tau_bc=np.zeros_like(g.clump_tau_bc))
    raw = render_raw(g, 0.0, 0.0, 41, KAPPA, 128)  # odd size: a pixel sits on the centre
    # trapezoid on the exp(-|z|/z_d) cusp at ~0.4 z_d spacing: ~2 % low
    assert raw.tau_v_column[20, 20] == pytest.approx(g.tau_v0, rel=0.03)


def _integrated_a(suite, params, k_bands, k_v):
    fluxes = {c: np.ones(len(k_bands)) for c in COMPONENTS}
    scene = render_scene(suite, params, fluxes, k_bands, k_v)
    return -2.5 * np.log10(scene.attenuated.sum((1, 2)) / scene.dustfree.sum((1, 2)))


def test_edge_on_more_attenuated_than_face_on(small_suite) -> None:
    suite = validate_suite(small_suite)
    p = draw_scene_params(suite, 0, seed=3)
    g = dataclasses.replace(p.geometry, tau_v0=1.0)
    face = dataclasses.replace(p, geometry=g, inclination_deg=0.0)
    edge = dataclasses.replace(p, geometry=g, inclination_deg=85.0)
    a_face = _integrated_a(suite, face, K_TEST, K_V_TEST)[2]
    a_edge = _integrated_a(suite, edge, K_TEST, K_V_TEST)[2]
    assert a_face > 0.02 and a_edge > 1.5 * a_face


@pytest.mark.parametrize("law", ["calzetti00", "ccm89"])
def test_integrated_attenuation_decreases_to_the_red(small_suite, law: str) -> None:
    suite = validate_suite(small_suite)
    k_bands, k_v = band_k(law, suite)
    p = draw_scene_params(suite, 2, seed=5)
    a = _integrated_a(suite, p, k_bands, k_v)
    assert np.all(np.diff(a) < 0.0), a

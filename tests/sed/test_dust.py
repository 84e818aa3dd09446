"""Attenuation laws against the extinction and sedpy packages and the quoted HSC values."""

from __future__ import annotations

import extinction
import numpy as np
import pytest
from sedpy import attenuation

from dustscene.sed import (
    LAWS,
    calzetti00,
    ccm89,
    charlot_fall,
    effective_wavelength,
    k_lambda,
    kriek_conroy,
    tau_ratio,
)


def test_calzetti_matches_extinction():
    wave = np.geomspace(1200.0, 22000.0, 500)
    ref = extinction.calzetti00(wave, 1.0, 4.05) * 4.05  # A_lambda / E(B-V) for A_V = 1
    np.testing.assert_allclose(np.asarray(calzetti00(wave)), ref, rtol=1e-3)


def test_ccm89_matches_extinction():
    wave = np.geomspace(1000.0, 33000.0, 500)
    for r_v in (3.1, 5.0):
        ref = extinction.ccm89(wave, 1.0, r_v) * r_v
        np.testing.assert_allclose(np.asarray(ccm89(wave, r_v)), ref, rtol=1e-3)


def test_calzetti_extrapolation_matches_sedpy():
    wave = np.geomspace(900.0, 30000.0, 500)
    ref = attenuation.calzetti(wave)  # tau / tau_V incl. its FUV and NIR extrapolations
    np.testing.assert_allclose(
        np.asarray(calzetti00(wave) / calzetti00(5500.0)), ref, rtol=1e-3, atol=1e-6
    )


@pytest.mark.parametrize("delta", [-1.0, -0.4, 0.0, 0.3])
def test_kriek_conroy_matches_sedpy_noll(delta):
    wave = np.geomspace(1000.0, 25000.0, 400)
    ref = attenuation.noll(wave, delta=delta, c_r=0.0, Ebump=0.85 - 1.9 * delta)
    ours = np.asarray(kriek_conroy(wave, delta)) / np.asarray(calzetti00(5500.0))
    np.testing.assert_allclose(ours, ref, rtol=1e-3)


def test_charlot_fall_matches_sedpy_powerlaw():
    wave = np.geomspace(900.0, 25000.0, 100)
    np.testing.assert_allclose(
        np.asarray(charlot_fall(wave)), attenuation.powerlaw(wave, alpha=0.7), rtol=1e-12
    )


@pytest.mark.parametrize("law", sorted(LAWS))
def test_tau_ratio_is_one_at_v_and_finite(law):
    assert float(tau_ratio(law, 5500.0)) == pytest.approx(1.0)
    k = np.asarray(k_lambda(law, np.geomspace(900.0, 25000.0, 300)))
    assert np.all(np.isfinite(k)) and np.all(k >= 0)


@pytest.mark.parametrize("law", ["calzetti00", "ccm89", "charlot_fall", "kriek_conroy"])
def test_attenuation_decreases_through_hsc(law, hsc):
    k = np.asarray(k_lambda(law, effective_wavelength(hsc)))
    assert np.all(np.diff(k) < 0), k


def test_calzetti_at_hsc_effective_wavelengths(hsc):
    # k_b at the HSC grizy effective wavelengths (~4.6/3.5/2.7/2.2/1.9) against an independent
    # implementation of Calzetti et al. (2000) eq. 4 (the extinction package, float64): the
    # only difference left is float32 evaluation (this fixture's dtype), a few ulp of 6e-8
    lam = np.array(effective_wavelength(hsc), dtype=float)  # a writable copy for extinction
    ref = extinction.calzetti00(lam, 1.0, 4.05) * 4.05  # A_lambda / E(B-V) for A_V = 1
    np.testing.assert_allclose(np.asarray(calzetti00(effective_wavelength(hsc))), ref, rtol=1e-6)


def test_unknown_law_is_named():
    with pytest.raises(ValueError, match="fitzpatrick.*calzetti00"):
        k_lambda("fitzpatrick", 5000.0)

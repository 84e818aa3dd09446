"""PSF stamps and noise: normalisation, flux conservation, FWHM, noise statistics."""

from __future__ import annotations

import numpy as np
import pytest

from dustscene.mocks.noise import add_noise, sky_sigma_from_depth, variance_map
from dustscene.mocks.psf import convolve_same, moffat_psf


def test_psf_normalised_odd_centred() -> None:
    psf = moffat_psf(0.7, 0.168, size=25)
    assert psf.shape == (25, 25)
    assert abs(psf.sum() - 1.0) < 1e-12
    assert np.unravel_index(np.argmax(psf), psf.shape) == (12, 12)
    assert np.allclose(psf, psf.T) and np.allclose(psf, psf[::-1])
    with pytest.raises(ValueError, match="odd"):
        moffat_psf(0.7, 0.168, size=24)


def test_psf_fwhm_matches_request() -> None:
    fwhm_pix = 0.8 / 0.168
    psf = moffat_psf(0.8, 0.168, size=41, oversample=9)
    prof = psf[20]
    half = prof.max() / 2.0
    x = np.arange(41) - 20.0
    right = x[20:][prof[20:] < half][0]  # first pixel below half maximum
    assert abs(right - fwhm_pix / 2.0) < 1.0


def test_convolution_conserves_flux() -> None:
    rng = np.random.default_rng(1)
    img = np.zeros((3, 64, 64))
    img[:, 16:48, 16:48] = rng.uniform(0.0, 1.0, (3, 32, 32))
    psf = moffat_psf(0.7, 0.168, size=25)
    out = convolve_same(img, psf)
    assert out.shape == img.shape
    assert np.allclose(out.sum((1, 2)), img.sum((1, 2)), rtol=1e-10, atol=0.0)
    # a point source lands centred on its own pixel, shaped like the PSF
    point = np.zeros((64, 64))
    point[30, 33] = 1.0
    conv = convolve_same(point, psf)
    assert np.allclose(conv[18:43, 21:46], psf, atol=1e-14)


@pytest.mark.parametrize("gain", [None, 2.0])
def test_noise_is_unit_normal_in_sigma_units(gain) -> None:
    rng = np.random.default_rng(11)
    img = np.abs(rng.normal(0.0, 5.0, (5, 64, 64)))
    sky = np.array([0.03, 0.043, 0.052, 0.109, 0.208])
    var = variance_map(img, sky, gain)
    obs = add_noise(img, var, np.random.default_rng(3))
    z = (obs - img) / np.sqrt(var)
    assert abs(z.std() - 1.0) < 0.05 and abs(z.mean()) < 0.05
    if gain is None:
        assert np.allclose(var[:, 0, 0], sky**2)
    else:
        assert np.all(var > sky[:, None, None] ** 2 - 1e-15) and var.max() > 1.0


def test_sky_sigma_from_depth_round_trip() -> None:
    sigma = sky_sigma_from_depth(26.5, 27.0, 0.7, 0.168)
    n_pix = np.pi * (0.7 / 0.168) ** 2
    assert 5.0 * sigma * np.sqrt(n_pix) == pytest.approx(10 ** (-0.4 * (26.5 - 27.0)))

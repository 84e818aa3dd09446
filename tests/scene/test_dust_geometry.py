"""Dust in the scene: law constants from one home, partial covering, the effective E(B-V) map."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.mocks.attenuation import ebv_effective
from dustscene.mocks.sed_link import band_k as mock_band_k
from dustscene.scene import Component, Dust, FreeSpectrum, ProfileMap, Scene, SersicMorphology
from dustscene.scene.dust import law_k
from dustscene.scene.synthetic import make_frame
from dustscene.sed.dust import MAG_PER_TAU, band_k


def test_one_value_of_each_dust_constant():
    assert MAG_PER_TAU == pytest.approx(2.5 / np.log(10.0), rel=1e-15)
    suite = {"survey": "hsc", "bands": ["g", "r", "i", "z", "y"]}
    # the mocks and the fits evaluate the law at the same rest-frame wavelengths
    k_mock, kv_mock = mock_band_k("calzetti00", suite, 0.15)
    k_fit, kv_fit = band_k("calzetti00", "hsc", suite["bands"], 0.15)
    np.testing.assert_array_equal(k_mock, k_fit)
    assert kv_mock == kv_fit
    # rest frame: at z = 0.15 every band sees a bluer wavelength, so k is larger
    assert np.all(band_k("calzetti00", "hsc", suite["bands"], 0.15)[0]
                  > band_k("calzetti00", "hsc", suite["bands"], 0.0)[0])


def test_law_k_raises_for_an_unknown_law():
    with pytest.raises(ValueError, match="unknown attenuation law"):
        law_k("not_a_law", [5000.0])
    assert law_k("calzetti", [5500.0])[0] == pytest.approx(law_k("calzetti00", [5500.0])[0])


def _galaxy(covering):
    frame = make_frame(24)
    k = band_k("calzetti00", "hsc", frame.bands)[0]
    dust = Dust.from_law(k, ProfileMap(0.4, (12.0, 12.0), 4.0, 0.8, 0.0), covering=covering)
    comp = Component(FreeSpectrum([1.0, 2, 3, 4, 5]), SersicMorphology((12.0, 12.0), 1.0, 4.0),
                     dust)
    return frame, comp, k


@pytest.mark.parametrize("covering", [None, 0.3, 0.7, 1.0])
def test_attenuated_never_exceeds_intrinsic(covering):
    frame, comp, _ = _galaxy(covering)
    att, free = np.asarray(comp(frame)), np.asarray(comp(frame, dust=False))
    assert np.all(att <= free * (1 + 1e-12))
    assert np.any(att < 0.99 * free)


def test_partial_covering_limits():
    frame, screen, _ = _galaxy(None)
    _, full, _ = _galaxy(1.0)
    _, none, _ = _galaxy(0.0)
    # c = 1 is the screen; c = 0 is the dust-free scene
    np.testing.assert_allclose(np.asarray(full(frame)), np.asarray(screen(frame)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(none(frame)), np.asarray(none(frame, dust=False)),
                               rtol=1e-12)
    # an optically thick partial screen saturates at the grey -2.5 log10(1 - c)
    c = 0.6
    thick = Dust.from_law(np.full(5, 3.0), ProfileMap(50.0, (12.0, 12.0), 40.0, 1.0, 0.0),
                          covering=c)
    a = np.asarray(thick.attenuation(frame))[:, 12, 12]
    np.testing.assert_allclose(a, -2.5 * np.log10(1 - c), rtol=1e-6)


@pytest.mark.parametrize("covering", [None, 0.5])
def test_ebv_map_is_the_effective_least_squares_screen(covering):
    frame, comp, k = _galaxy(covering)
    scene = Scene(frame, (comp,))
    ebv, calibrated = scene.ebv_map()
    assert calibrated
    a_eff = np.asarray(comp.dust.attenuation(frame))
    # the mocks' truth/ebv_effective definition applied to the model's own attenuation
    np.testing.assert_allclose(np.asarray(ebv), ebv_effective(a_eff, k), rtol=1e-9, atol=1e-12)
    if covering is None:  # a full screen reports its map
        np.testing.assert_allclose(np.asarray(ebv), np.asarray(comp.dust.map(frame)), rtol=1e-9)
    else:  # partial covering reddens less than its column
        assert float(jnp.max(ebv)) < float(jnp.max(comp.dust.map(frame)))


def _clumpy_source(ebv_ism: float, ebv_bc: float | None):
    """A disk and a star-forming part behind one screen, the latter also behind birth clouds."""
    from dustscene.scene import Source, UniformMap

    frame = make_frame(24)
    k = band_k("calzetti00", "hsc", frame.bands)[0]
    screen = Dust.from_law(k, ProfileMap(ebv_ism, (12.0, 12.0), 4.0, 0.8, 0.0))
    bc = None if ebv_bc is None else (None, Dust.from_law(k, UniformMap(ebv_bc)))
    disk = SersicMorphology((12.0, 12.0), 1.0, 5.0)
    clumps = SersicMorphology((9.0, 14.0), 1.0, 1.5)
    source = Source((FreeSpectrum([1.0, 2, 3, 4, 5]), FreeSpectrum([30.0, 30, 20, 20, 10])),
                    (disk, clumps), screen, part_dust=bc)
    return frame, source, k


def test_birth_clouds_dim_only_their_part():
    frame, plain, k = _clumpy_source(0.2, None)
    _, zero_bc, _ = _clumpy_source(0.2, 1e-12)
    _, clouded, _ = _clumpy_source(0.2, 0.3)
    # tau_bc = 0 is the single-screen source; the dust-free light ignores every screen
    np.testing.assert_allclose(np.asarray(zero_bc(frame)), np.asarray(plain(frame)), rtol=1e-9)
    np.testing.assert_allclose(np.asarray(clouded(frame, dust=False)),
                               np.asarray(plain(frame, dust=False)), rtol=1e-12)
    # the clouds remove exactly the star-forming part's light times (1 - 10^(-0.4 k E_bc))
    disk_part, sf_part = clouded.parts()
    lost = np.asarray(plain(frame)) - np.asarray(clouded(frame))
    expect = (np.asarray(sf_part(frame, dust=False)) * np.asarray(plain.dust.transmission(frame))
              * (1 - 10 ** (-0.4 * k * 0.3))[:, None, None])
    np.testing.assert_allclose(lost, expect, rtol=1e-9, atol=1e-12)
    assert np.all(np.asarray(clouded(frame)) <= np.asarray(plain(frame)) * (1 + 1e-12))


def test_ebv_map_counts_the_birth_clouds_where_their_light_is():
    frame, clouded, k = _clumpy_source(1e-12, 0.3)
    ebv, calibrated = Scene(frame, (clouded,)).ebv_map()
    ebv = np.asarray(ebv)
    sf = np.asarray(clouded.parts()[1](frame, dust=False))[2]
    disk = np.asarray(clouded.parts()[0](frame, dust=False))[2]
    assert calibrated
    # the effective E(B-V) is the least-squares screen of the whole light's attenuation: near
    # the clouds' 0.3 where the clumps dominate, near zero where the disk does
    assert ebv[sf > 20 * disk].min() > 0.2
    assert ebv[disk > 20 * sf].max() < 0.03

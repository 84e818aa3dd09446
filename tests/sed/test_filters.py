"""Filter loading: names, shapes, wavelengths against speclite, helpful errors."""

from __future__ import annotations

import numpy as np
import pytest
import speclite.filters

from dustscene.sed import effective_wavelength, load_filters, pivot_wavelength


@pytest.mark.parametrize(
    ("survey", "bands", "group"),
    [("hsc", "grizy", "hsc2017"), ("sdss", "ugriz", "sdss2010")],
)
def test_effective_wavelength_matches_speclite(survey, bands, group):
    fs = load_filters(survey, list(bands))
    assert fs.names == tuple(bands)
    assert fs.wave.shape == fs.trans.shape == (len(bands), fs.wave.shape[1])
    ref = [speclite.filters.load_filter(f"{group}-{b}").effective_wavelength.value for b in bands]
    # sdss2010-u has a 3500 A knot gap in its red leak, where speclite's trapezoid on its own
    # knots differs from integrating the linear interpolant by 0.14 %
    rtol = 2e-3 if survey == "sdss" else 1e-4
    np.testing.assert_allclose(np.asarray(effective_wavelength(fs)), ref, rtol=rtol)
    piv = np.asarray(pivot_wavelength(fs))
    assert np.all(np.diff(piv) > 0)
    np.testing.assert_allclose(piv, ref, rtol=0.02)


def test_band_subset_keeps_order():
    fs = load_filters("hsc", ["i", "g"])
    assert fs.names == ("i", "g")
    assert float(fs.wave[0].mean()) > float(fs.wave[1].mean())


def test_unknown_band_lists_valid_ones():
    with pytest.raises(ValueError, match=r"\['q'\].*\['g', 'r', 'i', 'z', 'y'\]"):
        load_filters("hsc", ["g", "q"])


def test_unknown_survey():
    with pytest.raises(ValueError, match="lsst.*hsc"):
        load_filters("lsst", ["g"])

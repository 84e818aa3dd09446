"""SSP table: shapes, units, flux conservation against the raw BC03 grid, error messages."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from dustscene.sed.ssp import L_SUN_ERG_S, bc03_grid_path, load_ssp_table


def test_table_layout(table):
    n_z, n_age, n_wave = table.spectra.shape
    assert (n_z, n_age, n_wave) == (7, 40, 1500)
    assert table.age_edges.shape == (n_age + 1,)
    assert float(table.age_edges[0]) == 0.0
    assert float(table.age_edges[table.n_young]) == pytest.approx(1e7)
    assert float(table.age_edges[-1]) == pytest.approx(13.7e9)
    dlw = np.diff(np.log(np.asarray(table.wave)))
    np.testing.assert_allclose(dlw, dlw[0], rtol=1e-9)  # photometry relies on a log grid
    assert np.all(np.asarray(table.spectra) >= 0)
    live = np.asarray(table.live_frac)
    assert np.all((live > 0.3) & (live <= 1.0))


def test_flux_conserved_against_raw_grid(table):
    """The optical luminosity of an old bin equals the raw grid's, averaged over the bin."""
    with fits.open(bc03_grid_path()) as hdul:
        wave = hdul["WAVELENGTHS_AA"].data.astype(float)
        ages = hdul["STELLAR_AGE_YR"].data.astype(float)
        raw = hdul[5].data.astype(float)  # Z = Z_sun
    j = 30
    lo, hi = float(table.age_edges[j]), float(table.age_edges[j + 1])
    sel = (ages >= lo) & (ages <= hi)
    band = (wave > 4000) & (wave < 7000)
    raw_lum = np.trapezoid(raw[np.ix_(sel, band)], wave[band], axis=1).mean() * L_SUN_ERG_S
    tw = np.asarray(table.wave)
    tband = (tw > 4000) & (tw < 7000)
    ours = np.trapezoid(np.asarray(table.spectra)[4, j, tband], tw[tband])
    assert ours == pytest.approx(raw_lum, rel=0.03)  # age weighting differs at the % level


def test_missing_table_is_named(tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        load_ssp_table(missing)


def test_corrupt_table_is_named(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match="bad.h5"):
        load_ssp_table(bad)


def test_provenance_attrs(ssp_table_path):
    import h5py

    with h5py.File(ssp_table_path) as f:
        assert f.attrs["source_file"] == "bc03_miles_stellar_grids.fits"
        assert len(f.attrs["source_sha256_head"]) == 64
        assert f.attrs["source_size"] > 1e8


def test_sha256_file_whole_or_head(tmp_path):
    """One sha256 helper: the whole file (manifests) or its first bytes (the SSP source)."""
    import hashlib

    from dustscene.io.manifest import sha256_file

    data = bytes(range(256)) * 9000  # > 2 MiB: several streamed blocks
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest()
    for n in (0, 10, (1 << 20) + 3, len(data) + 5):
        assert sha256_file(p, limit=n) == hashlib.sha256(data[:n]).hexdigest()

"""Cross-check: colours of our constant-SFH SSP mixture against bagpipes itself (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from dustscene.sed import mag_ab, photometry
from dustscene.sed.cosmology import age_of_universe_gyr

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bagpipes():
    # bagpipes 1.3.6 imports spectres and corner at import time (plus pandas); ~17 s import.
    # `make test-slow` installs them (the `crosscheck` extra): a missing one fails, never skips
    import bagpipes

    return bagpipes


@pytest.mark.parametrize("z", [0.05, 0.2])
def test_constant_sfh_colours_match_bagpipes(bagpipes, params, table, hsc, tmp_path, z):
    filt_list = []
    for name, wave, trans in zip(hsc.names, np.asarray(hsc.wave), np.asarray(hsc.trans),
                                 strict=True):
        path = tmp_path / f"hsc_{name}.txt"
        np.savetxt(path, np.column_stack([wave, trans]))
        filt_list.append(str(path))
    t_h = float(age_of_universe_gyr(z))
    components = {
        "redshift": z,
        "constant": {"age_max": t_h, "age_min": 0.0, "massformed": 10.0, "metallicity": 1.0},
    }
    # bagpipes samples photometric models at R = 100 by default, which smooths the 4000 A
    # break by ~0.03 mag in g - r at z = 0.2; compare at R = 1000 (our table has R ~ 450).
    r_phot = bagpipes.config.R_phot
    bagpipes.config.R_phot = 1000.0
    try:
        model = bagpipes.model_galaxy(components, filt_list=filt_list, phot_units="mujy")
    finally:
        bagpipes.config.R_phot = r_phot
    ref = -2.5 * np.log10(np.asarray(model.photometry))
    ours = np.asarray(mag_ab(photometry(params(1, sfh=(0, 0, 1, 0), redshift=z), table, hsc)))[0]
    print(f"z={z}: colour differences (ours - bagpipes) {np.diff(ours) - np.diff(ref)}")
    np.testing.assert_allclose(np.diff(ours), np.diff(ref), atol=0.02)

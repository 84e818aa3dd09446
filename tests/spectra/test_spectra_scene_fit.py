"""Scene fit with the latent SED prior against a free spectrum, at low and high S/N."""

from __future__ import annotations

import numpy as np
import pytest

from dustscene.spectra.scenefit import compare_flux_recovery


@pytest.mark.slow
def test_latent_prior_recovers_fluxes_at_low_and_high_snr(workflow_size_prior):
    """Low S/N (5 per band): the latent prior's band fluxes are at least as good as a free
    spectrum's on average. High S/N (200 per band, 0.5 % noise): both recover the fluxes to
    within 3x the noise and agree with each other to within 2x the noise."""
    model, dens, held, _ = workflow_size_prior
    out = {}
    for snr in (5.0, 200.0):
        errs = [compare_flux_recovery(model, dens, held.rest[i], float(held.redshift[i]), snr,
                                      n_realisations=2, seed=i) for i in range(3)]
        out[snr] = {k: np.concatenate([e[k] for e in errs]) for k in ("free", "latent")}
        print(f"S/N {snr}: free {out[snr]['free']} latent {out[snr]['latent']}")
    low, high = out[5.0], out[200.0]
    assert np.mean(low["latent"]) <= np.mean(low["free"])
    assert np.median(high["free"]) < 3 / 200 and np.median(high["latent"]) < 3 / 200
    assert abs(np.median(high["latent"]) - np.median(high["free"])) < 2 / 200

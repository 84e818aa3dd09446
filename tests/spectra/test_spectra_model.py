"""The trained autoencoder: held-out reconstruction below the noise, redshift invariance,
injected outliers, and the no-pickle model files."""

from __future__ import annotations

import json

import jax.numpy as jnp
import numpy as np
import pytest

from dustscene.sed import load_ssp_table
from dustscene.spectra import (
    SpectrumPriorError,
    fit_gmm,
    injected_outliers,
    load_spectrum_prior,
    rank_percentile,
    score_spectra,
)
from dustscene.spectra.data import observe
from dustscene.spectra.scoring import heldout_metrics, reference_scores
from dustscene.spectra.train import encode_all


def test_heldout_reconstruction_below_noise(trained_prior):
    """Noise level: per-pixel sigma = median / snr with snr ~ U(10, 50). The reconstruction's
    RMS error against the noiseless spectrum must be below that sigma for the median held-out
    spectrum, and the chi2 per pixel against the noisy one close to 1."""
    _, model, dens, data, va = trained_prior
    m = heldout_metrics(model, dens, data, va)
    assert m["reconstruction_error_over_noise_median"] < 1.0
    assert m["reconstruction_chi2_median"] < 2.0


def test_redshift_invariance(trained_prior):
    """The same rest-frame spectrum observed at z = 0.05 and z = 0.25 (S/N 100) encodes to
    latents much closer together than two different held-out spectra are."""
    _, model, dens, data, va = trained_prior
    held = data.take(va)
    rng = np.random.default_rng(0)
    n = 40
    rest = held.rest[:n]
    from dustscene.spectra import SpectrumGrid

    g = SpectrumGrid(float(data.wave_rest[0]), float(data.wave_rest[-1]), data.wave_rest.size,
                     0.02, 0.3)
    s = []
    for z in (0.05, 0.25):
        obs, _, _ = observe(rng, rest, np.full(n, z), g, (100.0, 100.0))
        s.append(encode_all(model, obs, np.full(n, z)))
    d_same = np.linalg.norm(s[0] - s[1], axis=1)
    lat = encode_all(model, held.observed, held.redshift)
    d_other = np.linalg.norm(lat[:, None] - lat[None], axis=2)[np.triu_indices(len(lat), 1)]
    assert np.median(d_same) < 0.25 * np.median(d_other)


def _outlier_ranks(model, dens, held, ssp, grid, seed, refine_steps=100):
    """Ranks (percent) of the injected outliers' log p(spectrum) among held-out spectra at the
    same S/N, latents refined to the MAP as in the workflow (spectra.refine_steps)."""
    rng = np.random.default_rng(seed)
    ref = reference_scores(model, dens, held, 30.0, rng, refine_steps=refine_steps)
    labels, obs, ivar, z = injected_outliers(rng, load_ssp_table(ssp), grid, 30.0, n_each=2)
    sc = score_spectra(model, dens, obs, ivar, z, refine_steps=refine_steps)
    return labels, rank_percentile(sc["log_p"], ref["log_p"])


def test_injected_outliers_rank_low(trained_prior, spectra_ssp, spectra_grid):
    """Black bodies, extreme dust and line-dominated spectra rank in the lowest 1 % of log p
    among held-out spectra at the same S/N, even for this small test model (two-redshift
    blends need the workflow-size model: see the slow test)."""
    _, model, dens, data, va = trained_prior
    labels, pct = _outlier_ranks(model, dens, data.take(va), spectra_ssp, spectra_grid, 1)
    assert len(labels) == 8
    single = np.array([not lab.startswith("blend") for lab in labels])
    assert np.all(pct[single] <= 1.0), [f"{a}: {p:.2f}" for a, p in zip(labels, pct, strict=True)]


@pytest.mark.slow
def test_injected_outliers_rank_low_workflow_size(workflow_size_prior):
    """With the default workflow's prior every injected outlier (black bodies, extreme dust,
    line-dominated spectra and two-redshift blends) ranks in the lowest 1 % of log p(spectrum)
    = log p(latents) + log N(x | decoder): the blends' latents look typical (latent-only ranks
    of tens of percent), their reconstruction residuals do not."""
    from dustscene.spectra import SpectrumGrid

    model, dens, held, ssp = workflow_size_prior
    labels, pct = _outlier_ranks(model, dens, held, ssp, SpectrumGrid(), 2)
    print(dict(zip(labels, np.round(pct, 2), strict=True)))
    assert np.all(pct <= 1.0), [f"{a}: {p:.2f}" for a, p in zip(labels, pct, strict=True)]


def test_map_refinement_raises_log_p(trained_prior):
    """Refining the encoder's latents to the MAP never lowers log p(spectrum) (the objective
    it maximises) and brings the held-out chi2 closer to the noise."""
    _, model, dens, data, va = trained_prior
    held = data.take(va[:60])
    a = score_spectra(model, dens, held.observed, held.ivar, held.redshift)
    b = score_spectra(model, dens, held.observed, held.ivar, held.redshift, refine_steps=100)
    assert np.all(b["log_p"] >= a["log_p"] - 1e-9)
    assert np.median(b["chi2_per_pixel"]) < np.median(a["chi2_per_pixel"])
    assert np.mean(b["log_p"] - a["log_p"]) > 1.0


def test_gmm_matches_gaussian():
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    cov = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
    x = rng.multivariate_normal([1.0, 2.0, 0.0], cov, 20000)
    g = fit_gmm(x, 1, seed=0)
    for p in ([0.3, 1.0, 0.1], [1.0, 2.0, 0.0], [3.0, 1.0, -1.0]):
        assert float(g.log_prob(jnp.asarray(p))) == pytest.approx(
            multivariate_normal([1.0, 2.0, 0.0], cov).logpdf(p), abs=0.05)


def test_saved_prior_round_trip_and_corruption(trained_prior, tmp_path):
    path, model, dens, data, va = trained_prior
    m2, d2, meta = load_spectrum_prior(path, expect={"training_set_sha256": data.sha256})
    np.testing.assert_array_equal(np.asarray(m2.decoder.layers[0].weight),
                                  np.asarray(model.decoder.layers[0].weight))
    assert meta["n_latent"] == 6 and "weights_sha256" in meta
    with pytest.raises(SpectrumPriorError, match="training_set_sha256"):
        load_spectrum_prior(path, expect={"training_set_sha256": "0" * 64})
    bad = tmp_path / "bad.eqx"
    bad.write_bytes(path.read_bytes()[:-10])
    bad.with_suffix(".json").write_text(path.with_suffix(".json").read_text())
    with pytest.raises(SpectrumPriorError, match="sha256 differs"):
        load_spectrum_prior(bad)
    meta_bad = json.loads(path.with_suffix(".json").read_text())
    meta_bad["format"] = "pickle"
    bad.write_bytes(path.read_bytes())
    bad.with_suffix(".json").write_text(json.dumps(meta_bad))
    with pytest.raises(SpectrumPriorError, match="format"):
        load_spectrum_prior(bad)

"""Fit settings and defaults, importable without JAX so the workflow validates them early."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "morphology": "free",  # sersic | bulge_disk | free | wavelet
    "bulge_fraction": 0.4,  # bulge_disk: initial bulge share of each source's flux
    "free_part": False,  # bulge_disk: a third part of free pixels (arms, clumps), own spectrum
    "free_part_fraction": 0.1,  # its initial share of the flux
    # free part behind its own uniform E(B-V) too: birth clouds of young stars (needs dust)
    "birth_clouds": False,
    "halo_snr": 0.0,  # free/wavelet: sources with peak S/N above this get a Sersic halo part
    "halo_fraction": 0.3,  # initial halo share of the flux
    "spectrum": "free",  # free | blackbody | sed (dust-free SED model, needs z) | latent
    "ssp_table": None,  # sed: path of the SSP table (.h5); the workflow sets it
    "population": None,  # sed + bulge_disk: a mock suite (YAML path or dict); its sed block is
    # the prior (the workflow's `population: suite` passes the configured mock suite)
    "spectrum_prior": None,  # latent: path of the trained prior (.eqx); the workflow sets it
    # free pixels under the learned morphology prior: a trained score model (.eqx path, or a
    # priors.ScorePrior); needs full boxes (support_snr: 0). The fit file then holds the
    # hallucination maps F_L, F_P, dF, rho of those pixels (inference.morphfisher)
    "score_prior": None,
    "score_temperature": 0.02,  # the prior's diffusion time t (report it with every F_P)
    "score_probes": 100,  # Hutchinson probes of F_P
    "point_sources": [],  # catalog/detection indices modelled as PSF-shaped sources
    "dust": "none",  # none | smooth | free | wavelet | resolved
    "dust_geometry": "screen",  # screen: exp(-tau) | partial: (1 - c) + c exp(-tau), c fitted
    "covering_init": 0.8,  # partial: initial covered fraction c
    "dust_spacing": None,  # resolved: node spacing in pixels (None: half the PSF FWHM)
    "dust_smoothness": 0.1,  # resolved: prior sigma of E(B-V) differences between neighbours
    "dust_level": 0.5,  # resolved: prior sigma of each node's E(B-V) (weak pull to no dust)
    "dust_support": False,  # resolved: E(B-V) only on the source's support (`support_snr`)
    "dust_mean": None,  # resolved: prior sigma of the map's mean E(B-V); then dust_level is
    # each node's sigma about that mean (None: about zero)
    "dust_law": "calzetti",  # calzetti | ccm89 | charlot_fall | kriek_conroy
    "dust_free_opacity": False,  # True: s_d free with the i band pinned to k(i)/k(i)=1
    "ebv_init": 0.05,
    "redshift": None,  # rest frame of the law; None: the file's `redshift` attribute, else 0
    "sky": True,
    "mask_bits": None,  # None: nonzero mask = bad (contract); int: only these bits are bad
    "box_half_size": 0,  # 0: from moments (4 sigma, 6-25 px)
    "support_snr": 2.0,  # free pixels only where the smoothed S/N exceeds this (0: whole box)
    "support_smoothing": 1.0,  # Gaussian sigma (pixels) of the S/N image the support is cut on
    "support_exclusive": True,  # each pixel belongs to at most one source's free pixels
    "oversample": 4,
    "wavelet_scales": 3,
    "model_psf_sigma": None,  # None: min(0.8, 0.6 x narrowest observed PSF sigma) pixels
    "clumps": False,  # also model compact peaks on top of the sources as point sources
    "clump_snr": 5.0,  # clumps: significance of a peak in the high-passed detection image
    "max_clumps": 30,
    "detect_threshold": 5.0,
    "detect_extra": False,  # also model detected peaks that the catalogue lacks
    "extra_separation": 5.0,  # pixels from every catalogue entry for a peak to count as missed
    "max_sources": 10,
    "survey": "hsc",
    "adam_steps": 1500,
    "lbfgs_steps": 500,
    "learning_rate": 0.5,
    "rtol": 1e-9,
    "atol": 1e-6,
    "laplace": True,
    "laplace_max_dense": 600,  # up to: marginal sigmas from the full Hessian
    # up to: marginal sigmas from the Gauss-Newton precision (J^T W J + prior Hessian); above:
    # Gauss-Newton diagonal (conditional) sigmas, which omit the dust map's trade with the light
    "laplace_max_gauss_newton": 3000,
    "hmc": False,
    "hmc_warmup": 300,
    "hmc_samples": 300,
    "hmc_chains": 2,
    "seed": 0,
}


def with_suite_population(cfg: dict[str, Any], suite: dict[str, Any]) -> dict[str, Any]:
    """`cfg` with `population: suite` (the workflow's mock-fit default) replaced by the mock
    suite itself: the simulations' prior is the prior of the fit that inverts them."""
    return {**cfg, "population": suite} if cfg.get("population") == "suite" else dict(cfg)

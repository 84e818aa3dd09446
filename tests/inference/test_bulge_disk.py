"""bulge_disk scenes (two Sersics, one centre, one E(B-V) map); free pixels + Sersic halo."""

from __future__ import annotations

import equinox as eqx
import extinction
import jax
import numpy as np

from dustscene.inference import FitSettings, build_scene, fit, laplace
from dustscene.inference.run import resolve_config
from dustscene.io.observations import ObservationData
from dustscene.scene import (
    Frame,
    FreeSpectrum,
    Observation,
    Parameter,
    Scene,
    SersicMorphology,
    Source,
    free_parameters,
    from_vector,
)
from dustscene.scene.synthetic import SIGMA, observed_psf
from dustscene.sed.dust import band_wavelengths

BULGE_DISK_FLUXES = ([20.0, 40, 60, 70, 80], [40.0, 50, 55, 55, 55])


def _k_bands() -> np.ndarray:
    """Calzetti k_b = A_b / E(B-V) (R_V = 4.05) at the HSC bands, rest frame = observed (z = 0)."""
    wave = np.asarray(band_wavelengths("hsc", list("grizy"), 0.0), dtype=float)
    return extinction.calzetti00(wave, 4.05, 4.05)


def _clean(ebv=0.0) -> tuple[Frame, np.ndarray, np.ndarray]:
    """A noiseless bulge + disk behind a uniform screen E(B-V) = `ebv`, applied with k_b from an
    independent Calzetti (2000) implementation (`extinction.calzetti00`) at the bands'
    effective wavelengths (a uniform screen commutes with the PSF); its frame and variance."""
    frame = Frame("grizy", (32, 32), psf_sigma=0.8)
    c = (16.2, 15.7)
    src = Source(
        tuple(FreeSpectrum(f) for f in BULGE_DISK_FLUXES),
        (
            SersicMorphology(c, n=3.0, r_e=1.5, q=0.9, theta=0.3),
            SersicMorphology(c, n=1.0, r_e=5.0, q=0.6, theta=0.3),
        ),
        shared_center=True,
    )
    truth = Scene(frame, (src,))
    var = np.broadcast_to((SIGMA**2)[:, None, None], (5, 32, 32)).copy()
    empty = Observation.from_variance(np.zeros((5, 32, 32)), var, observed_psf(), frame)
    clean = np.asarray(empty.render(truth)) * 10 ** (-0.4 * _k_bands()[:, None, None] * ebv)
    return frame, clean, var


def _bulge_disk_data(seed=0, ebv=0.0) -> ObservationData:
    frame, clean, var = _clean(ebv)
    rng = np.random.default_rng(seed)
    img = clean + rng.normal(size=clean.shape) * SIGMA[:, None, None]
    return ObservationData(
        "synthetic",
        frame.bands,
        img,
        var,
        np.zeros(img.shape, bool),
        observed_psf(),
        np.array([[16.0, 16.0]]),
    )


def test_bulge_disk_scene_shares_centre_and_dust():
    cfg = resolve_config({"morphology": "bulge_disk", "dust": "smooth"})
    scene, _ = build_scene(_bulge_disk_data(), cfg)
    names = [n for n, _ in free_parameters(scene)]
    assert sum("center" in n and "morphologies" in n for n in names) == 1  # one shared centre
    assert sum("spectra" in n for n in names) == 2
    assert sum(n.endswith("ebv.amplitude") for n in names) == 1


def test_birth_clouds_put_a_screen_on_the_free_part_alone():
    cfg = resolve_config({"morphology": "bulge_disk", "free_part": True, "dust": "resolved",
                          "birth_clouds": True})
    scene, _ = build_scene(_bulge_disk_data(), cfg)
    (src,) = scene.components
    assert [d is None for d in src.part_dust] == [True, True, False]
    # the clouds use the source screen's law; they are one more parameter, E(B-V)_bc
    np.testing.assert_allclose(np.asarray(src.part_dust[2].opacity()),
                               np.asarray(src.dust.opacity()))
    names = [n for n, _ in free_parameters(scene)]
    assert sum("part_dust" in n for n in names) == 1
    for bad in ({"dust": "none"}, {"free_part": False}, {"morphology": "sersic"},
                {"dust_free_opacity": True}):
        with np.testing.assert_raises_regex(ValueError, "birth_clouds"):
            resolve_config({**cfg, **bad, "birth_clouds": True})


def test_bulge_disk_ebv_recovered_with_known_spectra():
    """A uniform screen E(B-V) = 0.3 in front of a bulge + disk whose band fluxes are known (fixed
    at the truth: with free spectra a screen is exactly degenerate with them, Laplace sigma
    ~10^2 mag): the fitted light-weighted E(B-V) matches the truth.

    Bounds: 3 x its Laplace sigma (g^T H^-1 g, H the Hessian of chi2 / 2 over every free
    parameter, g the gradient of the light-weighted E(B-V)); chi2/dof of a correct model with
    correct noise: 1 +- 5 sqrt(2 / dof). Fails if the map is ignored (E(B-V) unconstrained) or
    k's sign is flipped (reddening impossible: E(B-V) -> 0)."""
    ebv_true = 0.3
    cfg = resolve_config({"morphology": "bulge_disk", "dust": "smooth", "ebv_init": 0.1})
    scene, obs = build_scene(_bulge_disk_data(ebv=ebv_true), cfg)
    known = tuple(FreeSpectrum(Parameter(np.asarray(f), fixed=True)) for f in BULGE_DISK_FLUXES)
    scene = eqx.tree_at(lambda s: s.components[0].spectra, scene, known)
    result = fit(scene, obs, FitSettings(adam_steps=300, lbfgs_steps=300))

    def light_weighted_ebv(u):
        sc = from_vector(scene, u)
        light = sc(dust=False)[2]
        return (sc.ebv_map()[0] * light).sum() / light.sum()

    dof = obs.n_pixels - len(result.u)
    chi2 = float(obs.chi2(result.scene)) / dof
    ebv = float(light_weighted_ebv(result.u))
    print(f"E(B-V) true {ebv_true} fitted {ebv:.4f}, chi2/dof {chi2:.3f}")
    assert abs(chi2 - 1) < 5 * np.sqrt(2 / dof), (chi2, ebv)
    assert np.isfinite(ebv), ebv
    hess = np.asarray(jax.hessian(lambda u: 0.5 * obs.chi2(from_vector(scene, u)))(result.u))
    g = np.asarray(jax.grad(light_weighted_ebv)(result.u))
    try:
        sigma = float(np.sqrt(g @ np.linalg.solve(hess, g)))
    except np.linalg.LinAlgError:  # a direction the data do not see: unconstrained
        sigma = np.inf
    print(f"E(B-V) sigma {sigma:.4f}")
    # the known spectra identify the screen: 0.3 mag detected at >= 3 sigma
    assert sigma < ebv_true / 3, (ebv, sigma)
    assert abs(ebv - ebv_true) < 3 * sigma, (ebv, sigma)


def test_free_pixels_with_halo_and_exclusive_support():
    data = _bulge_disk_data()
    data.centers = np.array([[16.0, 16.0], [25.0, 8.0]])
    cfg = resolve_config({"morphology": "free", "halo_snr": 30, "support_snr": 2.0})
    scene, obs = build_scene(data, cfg)
    assert isinstance(scene.components[0], Source)  # bright: free pixels + Sersic halo
    # exclusive supports: no pixel owned by two sources' free pixels
    owned = np.zeros((32, 32), int)
    for comp in scene.components:
        m = comp.morphologies[0] if isinstance(comp, Source) else comp.morphology
        owned += np.asarray(m(scene.frame)) > 0
    assert owned.max() == 1
    lap = laplace(scene, obs, __import__("dustscene").scene.to_vector(scene), max_dense=10)
    assert lap.method == "gauss_newton_diagonal" and np.all(np.isfinite(np.asarray(lap.sigma)))

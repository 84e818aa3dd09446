"""The fit of one file end to end: load, initialise, fit, Laplace, optional NUTS, write the fit
HDF5.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import jax
import numpy as np

from dustscene.fitconfig import DEFAULTS
from dustscene.io.fitfile import write_fit
from dustscene.io.observations import ObservationData, load_observation
from dustscene.scene.component import parts
from dustscene.scene.dust import GEOMETRIES
from dustscene.scene.observation import Observation
from dustscene.scene.parameters import constrained_vector, free_parameters, n_free, parameter_schema
from dustscene.scene.scene import Scene

from .dustfisher import DustFisherMaps, dust_fisher_maps
from .fit import FitResult, FitSettings, fit
from .initialize import build_scene, fit_redshift
from .laplace import laplace
from .morphfisher import morphology_fisher_maps

DUST_MAPS = ("none", "smooth", "free", "wavelet", "resolved")


def use_compilation_cache(directory: str | Path) -> None:
    """Keep compiled fits on disk (JAX persistent cache) so the next process with the same scene
    structure skips XLA compilation (most of a small fit's wall time); the executables are the
    same code, so results do not change."""
    path = Path(directory).resolve()
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def resolve_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """DEFAULTS updated by `config`; unknown keys are an error (typos must not pass silently)."""
    cfg = dict(DEFAULTS)
    unknown = set(config or {}) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown fit config keys: {sorted(unknown)}")
    cfg.update(config or {})
    if cfg["spectrum"] not in ("free", "blackbody", "sed", "latent"):
        raise ValueError(
            f"fit config key 'spectrum': {cfg['spectrum']!r} is not free, blackbody, sed or latent"
        )
    for key, valid in (("dust", DUST_MAPS), ("dust_geometry", GEOMETRIES)):
        if cfg[key] not in valid:
            raise ValueError(f"fit config key {key!r}: {cfg[key]!r} is not one of {valid}")
    if cfg["birth_clouds"] and not (cfg["morphology"] == "bulge_disk" and cfg["free_part"]
                                    and cfg["dust"] != "none" and not cfg["dust_free_opacity"]):
        raise ValueError("fit config 'birth_clouds' needs 'morphology: bulge_disk' with "
                         "'free_part' and a law-calibrated 'dust' map (not 'dust_free_opacity'):"
                         " the clouds dim the free part's light with the map's law")
    if cfg["score_prior"] is not None:
        pixels = cfg["morphology"] in ("free", "wavelet") or (
            cfg["morphology"] == "bulge_disk" and cfg["free_part"])
        if not pixels or (cfg["morphology"] != "wavelet" and cfg["support_snr"] > 0):
            raise ValueError("fit config 'score_prior' needs free pixels in full boxes: "
                             "'morphology: free' (or wavelet, or bulge_disk with 'free_part') "
                             "and 'support_snr: 0' (the prior scores a whole image)")
    if cfg["spectrum"] == "latent" and not cfg["spectrum_prior"]:
        raise ValueError("fit config 'spectrum: latent' needs 'spectrum_prior' (a .eqx path)")
    return cfg


def settings_from(cfg: dict[str, Any]) -> FitSettings:
    return FitSettings(
        adam_steps=int(cfg["adam_steps"]),
        lbfgs_steps=int(cfg["lbfgs_steps"]),
        learning_rate=float(cfg["learning_rate"]),
        rtol=float(cfg["rtol"]),
        atol=float(cfg["atol"]),
    )


def fit_product(
    scene: Scene,
    observation: Observation,
    result: FitResult,
    sigma: np.ndarray | None = None,
    dust_maps: DustFisherMaps | None = None,
) -> dict[str, Any]:
    """Everything the fit file holds, as numpy arrays and plain values."""
    fitted = result.scene
    model = np.asarray(observation.render(fitted))
    dustfree = np.asarray(observation.render(fitted, dust=False))
    ebv, calibrated = fitted.ebv_map()
    values = np.asarray(constrained_vector(fitted))
    schema = parameter_schema(fitted)
    params, sig = {}, {}
    for s in schema:
        sl = slice(s["offset"], s["offset"] + s["size"])
        params[s["name"]] = values[sl].reshape(s["shape"])
        if sigma is not None:
            sig[s["name"]] = np.asarray(sigma)[sl].reshape(s["shape"])
    comps = []
    for part in [p for comp in fitted.components for p in parts(comp)]:
        comp = part
        df = comp(fitted.frame, dust=False)
        comps.append(
            {
                "spectrum": np.asarray(comp.spectrum()),
                "morphology": np.asarray(comp.morphology(fitted.frame)),
                "dustfree_observed": np.asarray(
                    observation.render(Scene(fitted.frame, (comp,)), dust=False)
                ),
                "dustfree_frame": np.asarray(df),
            }
        )
    n_steps = int(result.n_steps)
    hist = np.asarray(result.history)[:n_steps]
    w = np.asarray(observation.weights)
    chi2 = float(np.sum(w * (np.asarray(observation.data) - model) ** 2))
    n_pix, n_par = int(np.count_nonzero(w)), n_free(fitted)
    return {
        "observed": model,
        "dustfree_observed": dustfree,
        "model_frame": np.asarray(fitted()),
        "ebv": np.asarray(ebv),
        "sky": np.asarray(fitted.sky_levels()),
        "dust_maps": {} if dust_maps is None else {
            "ebv_sigma": dust_maps.ebv_sigma,
            "rho": dust_maps.rho,
            "delta_fisher": dust_maps.delta_fisher,
            "fisher_prior": dust_maps.fisher_prior,
            "fisher_likelihood": dust_maps.fisher_likelihood,
        },
        "ebv_calibrated": bool(calibrated),
        "residuals": np.where(w > 0, np.asarray(observation.data) - model, 0.0),
        "weights": w,
        "history": hist,
        "parameters": params,
        "uncertainties": sig,
        "schema": schema,
        "components": comps,
        "attrs": {
            "chi2": chi2,
            "chi2_per_dof": chi2 / max(n_pix - n_par, 1),
            "n_pixels": n_pix,
            "n_params": n_par,
            "n_steps": n_steps,
            "converged": bool(result.converged),
            "wall_seconds": float(result.wall_seconds),
            "best_loss": float(result.loss),
            "bands": list(fitted.frame.bands),
            "n_components": len(comps),
            "n_sources": len(fitted.components),
        },
    }


def fit_data(
    data: ObservationData, cfg: dict[str, Any], *, logger: logging.Logger | None = None
) -> dict[str, Any]:
    """Fit one observation with a resolved `cfg` (`resolve_config`): initialise, fit, Laplace,
    the dust and morphology Fisher maps of parameters that carry a prior, optional NUTS.
    Returns the fit product (`fit_product`) that `write_fit` stores."""
    log = logger or logging.getLogger("dustscene.fit")
    t0 = time.perf_counter()
    scene, obs = build_scene(data, cfg)
    log.info(
        "%s: %d components, %d free parameters, %d pixels",
        data.path,
        len(scene.components),
        n_free(scene),
        obs.n_pixels,
    )
    result = fit(scene, obs, settings_from(cfg))
    log.info(
        "fit: %d steps, converged=%s, loss %.4g, %.1f s",
        int(result.n_steps),
        bool(result.converged),
        float(result.loss),
        result.wall_seconds,
    )
    sigma, method, lap = None, "none", None
    if cfg["laplace"]:
        lap = laplace(scene, obs, result.u, max_dense=cfg["laplace_max_dense"],
                      max_gauss_newton=cfg["laplace_max_gauss_newton"])
        sigma, method = np.asarray(lap.sigma), lap.method
    maps = None
    if cfg["dust"] == "resolved":
        # a Gauss-Newton Laplace already holds the likelihood's Fisher diagonal: reuse it
        gauss_newton = lap is not None and lap.method.startswith("gauss_newton")
        gn = lap.hessian_diag if gauss_newton else None
        maps = dust_fisher_maps(scene, obs, result.u, gn, None if lap is None else lap.sigma_u)
    product = fit_product(scene, obs, result, sigma, maps)
    if cfg["score_prior"] is not None:
        morph = morphology_fisher_maps(scene, obs, result.u, key=jax.random.key(cfg["seed"]),
                                       n_probes=int(cfg["score_probes"]))
        if morph is None:
            log.warning("score prior set but no full-box free-pixel morphology: no maps")
        else:
            product["hallucination"] = {
                "fisher_likelihood": morph.fisher_likelihood,
                "fisher_prior": morph.fisher_prior,
                "delta_fisher": morph.delta_fisher,
                "rho": morph.rho,
            }
            product["attrs"].update({"score_temperature": morph.temperature,
                                     "score_probes": morph.n_probes})
    if cfg["hmc"]:
        from .sample import prior_parameters, sample

        if prior_parameters(result.scene):
            smp = sample(
                result.scene,
                obs,
                key=jax.random.key(cfg["seed"]),
                num_warmup=cfg["hmc_warmup"],
                num_samples=cfg["hmc_samples"],
                num_chains=cfg["hmc_chains"],
            )
            product["samples"] = smp.samples
            product["sample_diagnostics"] = {"r_hat": smp.r_hat, "ess": smp.ess}
        else:
            log.warning("hmc requested but no parameter carries a prior; skipped")
    redshift, redshift_source = fit_redshift(cfg, data)
    from dustscene import __version__

    stored = dict(cfg)
    if not isinstance(cfg["score_prior"], str | Path | None):
        stored["score_prior"] = "a ScorePrior in memory"  # a model file is named by its path
    product["attrs"].update(
        {
            "redshift": redshift,
            "redshift_source": redshift_source,
            "wall_seconds": time.perf_counter() - t0,
            "fit_seconds": float(result.wall_seconds),
            "laplace_method": method,
            "config": json.dumps(stored, sort_keys=True, default=str),
            "input": str(data.path),
            "dustscene_version": __version__,
            "parameter_names": [name for name, _ in free_parameters(result.scene)],
        }
    )
    return product


def run_fit_file(
    input_path: str | Path,
    output_path: str | Path,
    config: dict[str, Any] | None = None,
    *,
    logger: logging.Logger | None = None,
) -> dict[str, Any]:
    """Fit a mock .h5 or an observation .npz with `config` (keys: DEFAULTS); write the fit HDF5.

    Returns the file's root attributes (chi2_per_dof, n_steps, converged, wall_seconds, ...).
    """
    cfg = resolve_config(config)
    t0 = time.perf_counter()
    data = load_observation(input_path, mask_bits=cfg["mask_bits"])
    product = fit_data(data, cfg, logger=logger)
    product["attrs"]["wall_seconds"] = time.perf_counter() - t0  # the file's reading too
    write_fit(output_path, product)
    return {k: v for k, v in product["attrs"].items() if k != "config"}


__all__ = [
    "DEFAULTS",
    "fit_data",
    "fit_product",
    "resolve_config",
    "run_fit_file",
    "settings_from",
    "use_compilation_cache",
]

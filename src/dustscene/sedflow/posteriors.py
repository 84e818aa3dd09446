"""SEDflow posteriors of every fitted scene component, batched across all scenes, with truth checks.

For each scene (mock or real): the dust-free photometry of each fitted part (`components`),
converted from counts at the scene's zero point to nJy, goes through the flows: `n_samples`
draws per part in one batched pass over all scenes. For mocks, the posteriors are compared with
the SED parameters of the best-matching truth component (`truth/components/`), and, as a
control that isolates the flow from the fit, the truth components' own dust-free photometry
(`sed_flux`, with the same fractional error) goes through the flows too.

Per-scene HDF5 (format "dustscene.sedflow.posteriors/1"): groups `fitted` and, for mocks,
`truth_photometry`, each with names, flux_njy, sigma_njy (part, band), x (part, features),
flags (part,), samples (part, n_keep, 10) float32 (thinned, THETA_NAMES order),
theta_quantiles (part, 5, 10) at QUANTILES, median / p16 / p84 (part, 11) of the physical
parameters (attr physical_names); mocks add truth_theta (part, 10), truth_component (names),
match_rms_dex (part,). Root attrs: scene, kind, redshift, redshift_source, zeropoint,
flux_floor, n_samples, n_keep, seed, flows_sha256, skipped ("" or the reason).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import h5py
import numpy as np
import torch

from dustscene.io.atomic import atomic_path, json_safe, write_json_atomic
from dustscene.io.mockfile import read_mock

from .components import fitted_component_photometry, match_to_truth, with_floor
from .ensemble import Flag, FlowEnsemble
from .io import load_ensemble
from .mock_truth import mock_component_truth
from .parameters import THETA_NAMES
from .sample import photometry_features, physical_samples, sample_posteriors

log = logging.getLogger(__name__)
FORMAT = "dustscene.sedflow.posteriors/1"
QUANTILES = (0.025, 0.16, 0.5, 0.84, 0.975)
MAX_MATCH_DEX = 0.3  # a fitted part further than this from every truth SED is not compared
ROWS_PER_PASS = 128  # parts sampled together (10,000 draws each): bounds memory, stays batched


@dataclasses.dataclass(frozen=True)
class SceneInput:
    """One scene to process: its fit file, the file that was fitted, and whether it is a mock."""

    name: str
    fit_path: str
    source_path: str
    is_mock: bool


@dataclasses.dataclass
class _Rows:
    """Photometry rows of one scene and group (fitted or truth_photometry)."""

    scene: str
    group: str
    names: list[str]
    flux_njy: np.ndarray
    sigma_njy: np.ndarray
    redshift: float
    truth_theta: np.ndarray | None = None
    truth_component: list[str] | None = None
    match_rms_dex: np.ndarray | None = None


def _scene_meta(scene: SceneInput, zeropoint: float,
                redshifts: Mapping[str, float]) -> tuple[float, float | None, str]:
    """(zero point, redshift or None, where the redshift came from) of a scene."""
    if scene.is_mock:
        attrs = read_mock(scene.source_path, attrs=("zeropoint", "redshift")).attrs
        return float(attrs["zeropoint"]), float(attrs["redshift"]), "mock truth"
    if scene.name in redshifts:
        return zeropoint, float(redshifts[scene.name]), "config"
    from dustscene.io.observations import load_observation

    z = load_observation(scene.source_path).redshift
    return zeropoint, (None if z is None else float(z)), ("observation file" if z else "none")


def _rows(scene: SceneInput, ens: FlowEnsemble, zp: float, z: float,
          flux_floor: float) -> list[_Rows]:
    """The fitted parts' (and, for a mock, its truth components') photometry in nJy."""
    from .sample import counts_to_njy

    phot = fitted_component_photometry(scene.fit_path)
    if tuple(phot.bands) != tuple(ens.noise.bands):
        raise ValueError(f"{scene.fit_path}: bands {phot.bands} differ from the flows' "
                         f"{ens.noise.bands}")
    flux = counts_to_njy(phot.flux, zp)
    sigma = counts_to_njy(with_floor(phot.flux, phot.sigma, flux_floor), zp)
    fitted = _Rows(scene.name, "fitted", phot.names, flux, sigma, z)
    if not scene.is_mock:
        return [fitted]
    truth = mock_component_truth(scene.source_path)
    if not truth:
        raise ValueError(f"{scene.source_path}: no truth/components/ groups")
    t_names = list(truth)
    t_flux = np.stack([np.asarray(truth[c]["sed_flux_counts"], np.float64) for c in t_names])
    t_theta = np.stack([np.asarray(truth[c]["theta"], np.float64) for c in t_names])
    idx, rms = match_to_truth(phot.flux, t_flux)
    fitted.truth_theta = t_theta[idx]
    fitted.truth_component = [t_names[i] for i in idx]
    fitted.match_rms_dex = rms
    t_njy = counts_to_njy(t_flux, zp)
    control = _Rows(scene.name, "truth_photometry", t_names, t_njy, flux_floor * t_njy, z,
                    t_theta, t_names, np.zeros(len(t_names)))
    return [fitted, control]


def _summaries(samples: np.ndarray) -> dict[str, np.ndarray]:
    """theta quantiles (n, 5, 10) and physical median / p16 / p84 (n, 11); NaN if unsampled."""
    n = samples.shape[0]
    _, phys = physical_samples(samples)
    out = {"theta_quantiles": np.full((n, len(QUANTILES), samples.shape[-1]), np.nan),
           **{k: np.full((n, phys.shape[-1]), np.nan) for k in ("median", "p16", "p84")}}
    good = np.isfinite(samples).all(axis=(1, 2))
    if good.any():
        out["theta_quantiles"][good] = np.swapaxes(
            np.quantile(samples[good], QUANTILES, axis=1), 0, 1)
        q = np.percentile(phys[good], [50, 16, 84], axis=1)
        for j, k in enumerate(("median", "p16", "p84")):
            out[k][good] = q[j]
    return out


def truth_scores(theta_q: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Per part and parameter: z-score of the truth, and whether the 68 / 95 % interval holds it.

    theta_q (n, 5, 10) at QUANTILES; z = (truth - median) / half the 16-84 width.
    """
    lo95, lo68, med, hi68, hi95 = (theta_q[:, i] for i in range(len(QUANTILES)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (truth - med) / (0.5 * (hi68 - lo68))
    return {"z": z, "in68": (truth >= lo68) & (truth <= hi68),
            "in95": (truth >= lo95) & (truth <= hi95)}


def _aggregate(groups: Sequence[tuple[_Rows, dict[str, np.ndarray], np.ndarray]],
               low: np.ndarray, high: np.ndarray) -> dict:
    """Truth coverage and |z| of mock parts, per parameter and pooled, among unflagged parts.

    Parts whose SED matches no truth component within MAX_MATCH_DEX (rms over bands) are
    counted as unmatched and left out. The pooled numbers leave out truths on a prior bound
    (dust-free truth: tau = 0): a central interval can never hold them, whatever the posterior.
    """
    z, in68, in95, inside, n_flag, n_far = [], [], [], [], 0, 0
    for rows, summ, flags in groups:
        if rows.truth_theta is None:
            continue
        near = rows.match_rms_dex <= MAX_MATCH_DEX
        ok = (flags == 0) & near
        n_flag += int((flags != 0).sum())
        n_far += int((~near).sum())
        sc = truth_scores(summ["theta_quantiles"][ok], rows.truth_theta[ok])
        z.append(sc["z"])
        in68.append(sc["in68"])
        in95.append(sc["in95"])
        tol = 1e-6 * (high - low)
        inside.append((rows.truth_theta[ok] > low + tol) & (rows.truth_theta[ok] < high - tol))
    if not z or sum(len(a) for a in z) == 0:
        return {"n_parts": 0, "n_flagged": n_flag, "n_unmatched": n_far}
    zz, c68, c95 = np.concatenate(z), np.concatenate(in68), np.concatenate(in95)
    ins = np.concatenate(inside)
    per = {n: {"coverage_68": float(c68[:, j].mean()), "coverage_95": float(c95[:, j].mean()),
               "median_abs_z": float(np.nanmedian(np.abs(zz[:, j]))),
               "n_truth_on_bound": int((~ins[:, j]).sum())}
           for j, n in enumerate(THETA_NAMES)}
    return {"n_parts": int(zz.shape[0]), "n_flagged": n_flag, "n_unmatched": n_far,
            "coverage_68": float(c68[ins].mean()), "coverage_95": float(c95[ins].mean()),
            "median_abs_z": float(np.nanmedian(np.abs(zz[ins]))),
            "n_truth_on_bound_excluded": int((~ins).sum()),
            "log_mass_median_abs_z": per["log_mass"]["median_abs_z"], "per_parameter": per}


def _write_scene(path: str | os.PathLike[str], scene: SceneInput, groups: list[tuple[_Rows,
                 dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]],
                 attrs: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT
        f.attrs["scene"] = scene.name
        f.attrs["kind"] = "mock" if scene.is_mock else "observation"
        f.attrs["theta_names"] = list(THETA_NAMES)
        f.attrs["physical_names"] = physical_samples(np.zeros((1, len(THETA_NAMES))))[0]
        f.attrs["quantiles"] = list(QUANTILES)
        for k, v in attrs.items():
            f.attrs[k] = v
        for rows, summ, flags, x, keep in groups:
            g = f.create_group(rows.group)
            g.create_dataset("names", data=np.asarray(rows.names, dtype="S"), track_times=False)
            for k, v in (("flux_njy", rows.flux_njy), ("sigma_njy", rows.sigma_njy), ("x", x),
                         ("flags", flags), ("samples", keep), *summ.items()):
                g.create_dataset(k, data=v, track_times=False)
            if rows.truth_theta is not None:
                g.create_dataset("truth_theta", data=rows.truth_theta, track_times=False)
                g.create_dataset("truth_component", data=np.asarray(rows.truth_component, "S"),
                                 track_times=False)
                g.create_dataset("match_rms_dex", data=rows.match_rms_dex, track_times=False)


def scene_posteriors(
    manifest_path: str | os.PathLike[str],
    scenes: Sequence[SceneInput],
    out_paths: Sequence[str | os.PathLike[str]],
    out_json: str | os.PathLike[str],
    n_samples: int = 10_000,
    n_keep: int = 1000,
    seed: int = 0,
    flux_floor: float = 0.03,
    zeropoint: float = 27.0,
    redshifts: Mapping[str, float] | None = None,
    max_seconds: float = 3600.0,
    threads: int = 1,
) -> dict[str, Any]:
    """Posteriors of every fitted part of every scene (one batched pass) -> HDF5s + summary JSON.

    A real scene without a redshift (not in `redshifts`, none in its file) is skipped: its HDF5
    says why and the JSON lists it. Samples are thinned to `n_keep` on disk; summaries use all.
    """
    if len(scenes) != len(out_paths):
        raise ValueError(f"{len(scenes)} scenes but {len(out_paths)} output paths")
    if not 0 < n_keep <= n_samples:
        raise ValueError(f"n_keep={n_keep} must be in (0, n_samples={n_samples}]")
    torch.set_num_threads(threads)
    ens = load_ensemble(manifest_path)
    redshifts = dict(redshifts or {})
    all_rows: list[_Rows] = []
    meta: dict[str, dict[str, Any]] = {}
    for sc in scenes:
        zp, z, src = _scene_meta(sc, zeropoint, redshifts)
        meta[sc.name] = {"kind": "mock" if sc.is_mock else "observation", "redshift": z,
                         "redshift_source": src, "zeropoint": zp,
                         "skipped": "" if z is not None else "no redshift"}
        if z is None:
            log.warning("%s: no redshift (config sedflow.posteriors.redshifts or the file); "
                        "skipped", sc.name)
            continue
        all_rows += _rows(sc, ens, zp, z, flux_floor)

    xs = [photometry_features(ens, r.flux_njy, r.sigma_njy, np.full(len(r.names), r.redshift))
          for r in all_rows]
    x_all = np.concatenate(xs) if xs else np.zeros((0, 2 * ens.n_band + 1))
    n_rows = x_all.shape[0]
    thin = np.linspace(0, n_samples - 1, n_keep).astype(int)
    keep = np.full((n_rows, n_keep, len(THETA_NAMES)), np.nan, np.float32)
    summ_all: dict[str, np.ndarray] = {}
    flags = np.zeros(n_rows, np.int64)
    t0, sample_s = time.perf_counter(), 0.0
    for start in range(0, n_rows, ROWS_PER_PASS):
        stop = min(start + ROWS_PER_PASS, n_rows)
        post = sample_posteriors(ens, x_all[start:stop], n_samples, seed=seed + start,
                                 max_seconds=max(max_seconds - (time.perf_counter() - t0), 0.0))
        sample_s += post.seconds
        flags[start:stop] = post.flags
        keep[start:stop] = post.samples[:, thin]
        for k, v in _summaries(post.samples).items():
            summ_all.setdefault(k, np.full((n_rows, *v.shape[1:]), np.nan))[start:stop] = v
    log.info("%d parts x %d samples in %.2f s (%.2f ms per part)", n_rows, n_samples, sample_s,
             1e3 * sample_s / max(n_rows, 1))

    per_scene: dict[str, list] = {sc.name: [] for sc in scenes}
    offset = 0
    for r, x in zip(all_rows, xs, strict=True):
        sl = slice(offset, offset + len(r.names))
        offset = sl.stop
        summ = {k: v[sl] for k, v in summ_all.items()} if summ_all else _summaries(keep[sl])
        per_scene[r.scene].append((r, summ, flags[sl], x, keep[sl]))

    common = {"n_samples": n_samples, "n_keep": n_keep, "seed": seed, "flux_floor": flux_floor,
              "flows_sha256": str(ens.meta.get("weights_sha256", ""))}
    scenes_json = {}
    for sc, path in zip(scenes, out_paths, strict=True):
        m = meta[sc.name]
        attrs = {**common, "redshift": np.nan if m["redshift"] is None else m["redshift"],
                 "redshift_source": m["redshift_source"], "zeropoint": m["zeropoint"],
                 "skipped": m["skipped"]}
        groups = per_scene[sc.name]
        _write_scene(path, sc, groups, attrs)
        entry = {**m, "n_parts": sum(len(g[0].names) for g in groups if g[0].group == "fitted")}
        for rows, summ, fl, _, _ in groups:
            entry[rows.group] = {
                "names": rows.names, "flags": fl.tolist(),
                "log_mass_median": summ["median"][:, 0].tolist(),
                **({"truth_component": rows.truth_component,
                    "truth_log_mass": rows.truth_theta[:, 0].tolist(),
                    "match_rms_dex": rows.match_rms_dex.tolist()}
                   if rows.truth_theta is not None else {}),
            }
        scenes_json[sc.name] = entry

    fitted = [(r, s, f) for g in per_scene.values() for r, s, f, _, _ in g if r.group == "fitted"]
    control = [(r, s, f) for g in per_scene.values() for r, s, f, _, _ in g
               if r.group == "truth_photometry"]
    result = {
        "n_scenes": len(scenes), "n_parts": int(n_rows),
        "n_fitted_parts": int(sum(len(r.names) for r, _, _ in fitted)),
        "n_flagged": int(np.count_nonzero(flags)),
        "skipped_no_redshift": sorted(n for n, m in meta.items() if m["skipped"]),
        "n_samples": n_samples, "flux_floor": flux_floor,
        "seconds_sampling": sample_s,
        "seconds_per_part_10k_samples": (sample_s / n_rows * 10_000 / n_samples) if n_rows
        else None,
        "mock_fitted_vs_truth": _aggregate(fitted, ens.low, ens.high),
        "mock_truth_photometry_vs_truth": _aggregate(control, ens.low, ens.high),
        "flag_bits": {fl.name: int(fl.value) for fl in Flag if fl.value},
        "scenes": scenes_json,
    }
    result = json_safe(result)
    write_json_atomic(out_json, result)
    return result

"""Workflow steps of SEDflow, file in -> file out: simulate a shard, train, calibrate."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from dustscene.io.atomic import atomic_path, write_json_atomic
from dustscene.sed import load_filters, load_ssp_table

from . import calibration, figures
from .dataset import file_sha256, read_simulation, write_simulation
from .ensemble import Flag, FlowEnsemble, stacking_weights, training_support
from .io import load_ensemble, save_ensemble
from .noise import NoiseModel, default_noise_model, feature_names
from .parameters import THETA_NAMES, theta_bounds
from .references import (
    NutsReferences,
    compute_nuts_references,
    held_out,
    read_nuts_references,
)
from .sample import photometry_features, sample_posteriors, write_posteriors
from .simulator import rng_for, simulate
from .train import FlowSpec, TrainConfig, train_flow

log = logging.getLogger(__name__)
STACK_STREAM = 0x57AC  # random stream of the ensemble's stacking split (train_ensemble)
RHAT_OK, ESS_OK = 1.05, 100.0  # a NUTS reference counts as converged within these
Ranges = Mapping[str, Sequence[float]] | None


def _ranges(ranges: Ranges) -> dict[str, tuple[float, float]]:
    return {k: (float(v[0]), float(v[1])) for k, v in (ranges or {}).items()}


def make_noise(survey: str, bands: Sequence[str], noise: Mapping[str, Any] | None) -> NoiseModel:
    """NoiseModel from config: survey defaults, overridden by `noise` keys."""
    return default_noise_model(survey, list(bands), **dict(noise or {}))


def simulate_shard(
    ssp_path: str | os.PathLike[str], out_path: str | os.PathLike[str], seed: int, shard: int,
    n: int, survey: str, bands: Sequence[str], noise: Mapping[str, Any] | None = None,
    ranges: Ranges = None,
) -> None:
    """Simulate n galaxies seeded by (seed, shard) and write a training-set shard."""
    nm = make_noise(survey, bands, noise)
    t0 = time.perf_counter()
    sim = simulate(rng_for(seed, shard), n, load_ssp_table(ssp_path), load_filters(survey, bands),
                   nm, _ranges(ranges))
    write_simulation(out_path, sim, {
        "theta_names": list(THETA_NAMES), "bands": list(bands), "survey": survey,
        "feature_names": feature_names(bands), "noise": nm.to_dict(),
        "ranges": {k: list(v) for k, v in _ranges(ranges).items()}, "seed": seed, "shard": shard,
        "n": n, "ssp_sha256": file_sha256(ssp_path),
    })
    log.info("shard %d: %d galaxies in %.1f s", shard, n, time.perf_counter() - t0)


def train_ensemble(
    train_path: str | os.PathLike[str], weights_path: str | os.PathLike[str],
    manifest_path: str | os.PathLike[str], seeds: Sequence[int],
    spec: Mapping[str, Any] | None = None, train: Mapping[str, Any] | None = None,
    loss_figures: Sequence[str] = (), threads: int = 1,
) -> FlowEnsemble:
    """Train one flow per seed on a merged training set; save weights + manifest + loss curves."""
    torch.set_num_threads(threads)
    sim, attrs = read_simulation(train_path)
    ranges = {k: tuple(v) for k, v in (attrs.get("ranges") or {}).items()}
    low, high = theta_bounds(ranges)
    fspec, tconf = FlowSpec(**(spec or {})), TrainConfig(**(train or {}))
    ok = np.flatnonzero(np.all(np.isfinite(sim.x), axis=1))
    # stacking set: rows no member trains on (nor early-stops on), for the mixture weights
    n_stack = int(round(tconf.stack_fraction * ok.size)) if len(seeds) > 1 else 0
    perm = np.random.default_rng([int(seeds[0]), STACK_STREAM]).permutation(ok.size)
    stack, fit = np.sort(ok[perm[:n_stack]]), np.sort(ok[perm[n_stack:]])
    nets, summaries = [], []
    for s in seeds:
        net, summary = train_flow(sim.theta[fit], sim.x[fit], low, high, int(s), fspec, tconf)
        nets.append(net)
        summaries.append(summary)
    noise = NoiseModel.from_dict(attrs["noise"])
    support = training_support(sim.x[ok], len(noise.bands))
    ens = FlowEnsemble(
        flows=nets, low=low, high=high, noise=noise, survey=str(attrs["survey"]), **support,
        meta={"spec": fspec.to_dict(), "train": tconf.__dict__, "seeds": [int(s) for s in seeds],
              "training_set_sha256": file_sha256(train_path), "n_train": int(fit.size),
              "theta_names": list(THETA_NAMES), "feature_names": attrs["feature_names"],
              "ranges": attrs.get("ranges") or {}, "summaries": summaries},
    )
    if n_stack:
        lq = np.concatenate([ens.member_log_prob(sim.theta[None, c], sim.x[c])[:, 0]
                             for c in np.array_split(stack, max(1, stack.size // 8192))], axis=1)
        lq = np.nan_to_num(lq, nan=-1e30, neginf=-1e30)  # a member with no mass there: weight 0
        ens.weights = stacking_weights(lq)
        mix = np.log(ens.weights @ np.exp(lq - lq.max(0))) + lq.max(0)
        ens.meta["mixture_weights"] = ens.weights.tolist()
        ens.meta["stacking"] = {
            "n_rows": int(n_stack),
            "member_mean_log_q": lq.mean(axis=1).tolist(),
            "equal_weight_mean_log_q": float(np.mean(
                np.log(np.exp(lq - lq.max(0)).mean(0)) + lq.max(0))),
            "stacked_mean_log_q": float(np.mean(mix)),
        }
        log.info("stacking on %d held-out rows: weights %s, mean log q members %s, equal %.4f, "
                 "stacked %.4f", n_stack, np.round(ens.weights, 4).tolist(),
                 np.round(lq.mean(axis=1), 4).tolist(),
                 ens.meta["stacking"]["equal_weight_mean_log_q"],
                 ens.meta["stacking"]["stacked_mean_log_q"])
    save_ensemble(ens, weights_path, manifest_path)
    if loss_figures:
        figures.loss_curves(summaries, loss_figures)
    return ens


def nuts_references(
    ssp_path: str | os.PathLike[str], out_path: str | os.PathLike[str], seed: int, n_sbc: int,
    n_nuts: int, survey: str, bands: Sequence[str], noise: Mapping[str, Any] | None = None,
    ranges: Ranges = None, nuts_chains: int = 4, nuts_warmup: int = 500,
    nuts_samples: int = 1000,
) -> NutsReferences:
    """NUTS references of a seed's held-out galaxies from the config's SED settings -> HDF5.

    The noise model and prior box are built as `simulate_shard` builds them, so the galaxies
    are those `calibrate` draws for flows trained on this config (it checks that they are).
    """
    return compute_nuts_references(
        ssp_path, out_path, seed, n_sbc, n_nuts, survey, bands, make_noise(survey, bands, noise),
        _ranges(ranges), nuts_chains=nuts_chains, nuts_warmup=nuts_warmup,
        nuts_samples=nuts_samples)


def calibrate(
    manifest_path: str | os.PathLike[str], ssp_path: str | os.PathLike[str],
    out_json: str | os.PathLike[str], figure_paths: Mapping[str, Sequence[str]], seed: int,
    n_sbc: int = 500, n_posterior: int = 1000, n_nuts: int = 20, nuts_warmup: int = 500,
    nuts_samples: int = 1000, n_timing: int = 20, threads: int = 1,
    plot_data: str | os.PathLike[str] | None = None, nuts_chains: int = 4,
    references: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """SBC, coverage, TARP on fresh held-out simulations; NUTS + C2ST; timing -> JSON + figures.

    figure_paths keys: "ranks", "coverage", "corner" (each a list of PNG/PDF paths).
    plot_data: optional .npz of the plotted arrays (ranks, coverage, TARP, corner samples) so
    the paper figures replot without recomputing.
    references: a file of `nuts_references` for this seed and n_sbc (ReferenceMismatch if it
    was made for other galaxies); None computes them here (n_nuts, nuts_*), unsaved.
    """
    torch.set_num_threads(threads)
    ens = load_ensemble(manifest_path)
    table = load_ssp_table(ssp_path)
    filters = load_filters(ens.survey, ens.noise.bands)
    ranges = {k: tuple(v) for k, v in ens.meta.get("ranges", {}).items()}
    held = held_out(seed, n_sbc, table, filters, ens.noise, ranges)
    if references is not None:
        refs = read_nuts_references(references)
    else:
        refs = compute_nuts_references(
            ssp_path, None, seed, n_sbc, n_nuts, ens.survey, ens.noise.bands, ens.noise, ranges,
            nuts_chains=nuts_chains, nuts_warmup=nuts_warmup, nuts_samples=nuts_samples)
    refs.check_matches(held, seed, n_sbc)

    t0 = time.perf_counter()
    post = sample_posteriors(ens, held.x, n_posterior, seed=seed)
    samples = np.swapaxes(post.samples, 0, 1)  # (L, N, D)
    good = post.flags == 0
    log.info("held-out posteriors: %d x %d in %.1f s, %d flagged", n_sbc, n_posterior,
             time.perf_counter() - t0, int((~good).sum()))
    s_g, th_g = samples[:, good], held.theta[good]
    prior_draws = np.random.default_rng([seed, 7]).uniform(ens.low, ens.high, th_g.shape)
    sbc = calibration.sbc(s_g, th_g, prior_draws)
    lq_s = ens.log_prob(s_g, held.x[good])
    lq_t = ens.log_prob(th_g[None], held.x[good])[0]
    levels, cov = calibration.expected_coverage(lq_s, lq_t)
    cov68 = float(calibration.expected_coverage(lq_s, lq_t, np.array([0.68]))[1][0])
    cov95 = float(calibration.expected_coverage(lq_s, lq_t, np.array([0.95]))[1][0])
    tarp = calibration.tarp(s_g, th_g, seed)

    # amortized cost: 10,000 samples for n_timing galaxies, batched
    timing = sample_posteriors(ens, held.x[:n_timing], 10_000, seed=seed + 1)
    sec_per_gal = timing.seconds / max(1, min(n_timing, n_sbc))

    # C2ST against the NUTS references (rule sedflow_nuts_references: the same galaxies and
    # chains for every flow of this seed; galaxies the flow flags are skipped and listed)
    nb = refs.batch
    nuts_rows, c2sts, c2sts_ok = [], [], []
    nuts_secs = nb.galaxy_seconds.tolist()
    corner_data: dict[str, Any] = {}
    for g, i in enumerate(int(j) for j in refs.index):
        converged = bool(nb.max_rhat[g] <= RHAT_OK and nb.min_ess[g] >= ESS_OK)
        row: dict[str, Any] = {
            "index": i, "seconds": nuts_secs[g], "divergences": int(nb.divergences[g]),
            "min_ess": float(nb.min_ess[g]), "max_rhat": float(nb.max_rhat[g]),
            "mean_steps": float(nb.mean_steps[g]), "converged": converged}
        if not good[i]:
            nuts_rows.append({**row, "c2st": None, "flow_flags": int(post.flags[i])})
            log.info("NUTS galaxy %d: flagged by the flow (%d), no C2ST", i, post.flags[i])
            continue
        flow_s = samples[:, i].astype(np.float64)
        ref = nb.thinned(g)  # ~independent draws: C2ST must not see autocorrelation
        acc = calibration.c2st_accuracy(flow_s, ref, seed=seed + g)
        c2sts.append(acc)
        if converged:
            c2sts_ok.append(acc)
        nuts_rows.append({**row, "c2st": acc, "n_reference_draws": int(ref.shape[0])})
        log.info("NUTS galaxy %d: c2st %.3f (%d draws), %d divergences, min ESS %.0f, R-hat %.3f,"
                 " %.1f s", i, acc, ref.shape[0], nb.divergences[g], nb.min_ess[g],
                 nb.max_rhat[g], nuts_secs[g])
        if not corner_data:
            corner_data = {"corner_flow": flow_s, "corner_nuts": ref,
                           "corner_truth": held.theta[i], "corner_index": i,
                           "corner_redshift": float(held.redshift[i])}
            if figure_paths.get("corner"):
                figures.corner(flow_s, ref, held.theta[i], figure_paths["corner"],
                               title=f"held-out galaxy {i}, z={held.redshift[i]:.3f}")

    figures.rank_histograms(sbc["ranks"], n_posterior, sbc["ks_pvals"], figure_paths["ranks"])
    figures.coverage_curves(levels, cov, tarp["alpha"], tarp["ecp"], figure_paths["coverage"])
    if plot_data is not None:  # plain arrays (no pickle) for the paper figures
        with atomic_path(plot_data) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh, ranks=sbc["ranks"], n_posterior=n_posterior, ks_pvals=sbc["ks_pvals"],
                levels=levels, coverage=cov, tarp_alpha=tarp["alpha"], tarp_ecp=tarp["ecp"],
                tarp_atc=tarp["atc"], theta_names=np.asarray(THETA_NAMES, dtype=str),
                **corner_data)
    marg68 = calibration.marginal_coverage(s_g, th_g, 0.68)
    marg95 = calibration.marginal_coverage(s_g, th_g, 0.95)
    result = {
        "coverage_68": cov68, "coverage_95": cov95, "tarp_atc": tarp["atc"],
        "sbc_ks_pvalue_min": float(np.min(sbc["ks_pvals"])),
        # median over galaxies whose reference converged (all, if none did; see details)
        "c2st_vs_mcmc": (float(np.median(c2sts_ok or c2sts)) if c2sts else None),
        "seconds_per_galaxy_10k_samples": sec_per_gal,
        "details": {
            "n_sbc": int(good.sum()), "n_flagged": int((~good).sum()),
            "n_posterior_samples": n_posterior, "theta_names": list(THETA_NAMES),
            "sbc_ks_pvals": sbc["ks_pvals"].tolist(), "sbc_c2st_ranks": sbc["c2st_ranks"].tolist(),
            "sbc_c2st_dap": np.ravel(sbc["c2st_dap"]).tolist(), "tarp_ks_pvalue": tarp["ks_pvalue"],
            "marginal_coverage_68": marg68.tolist(), "marginal_coverage_95": marg95.tolist(),
            "c2st_vs_mcmc_all": c2sts, "nuts": nuts_rows,
            "c2st_vs_mcmc_median_all": float(np.median(c2sts)) if c2sts else None,
            "n_nuts_converged": len(c2sts_ok),
            "nuts_converged_if": {"max_rhat_le": RHAT_OK, "min_ess_ge": ESS_OK},
            "nuts_seconds_per_galaxy": float(np.median(nuts_secs)) if nuts_secs else None,
            "nuts_chains": int(refs.meta["chains"]), "nuts_warmup": int(refs.meta["warmup"]),
            "nuts_samples": int(refs.meta["samples"]), "nuts_init": refs.meta["init"],
            "flows_sha256": ens.meta.get("weights_sha256", ""),
            "flag_bits": {f.name: int(f.value) for f in Flag if f.value},
        },
    }
    write_json_atomic(out_json, result)
    return result


def posteriors_from_photometry(
    manifest_path: str | os.PathLike[str], out_path: str | os.PathLike[str],
    flux: np.ndarray, sigma: np.ndarray, redshift: np.ndarray, unit: str = "counts",
    zeropoint: float = 27.0, ids: Sequence[str] | None = None, n_samples: int = 10_000,
    seed: int = 0, max_seconds: float = 3600.0, keep_samples: bool = True, threads: int = 1,
) -> np.ndarray:
    """Posteriors (10,000 samples each by default) for many galaxies' photometry -> HDF5; flags.

    flux, sigma: (galaxy, band) in `unit` ("counts" at `zeropoint`, or "nJy"), dust-free or not
    as the flows were trained; redshift (galaxy,). See `sample.write_posteriors` for the layout.
    """
    torch.set_num_threads(threads)
    ens = load_ensemble(manifest_path)
    x = photometry_features(ens, flux, sigma, redshift, unit=unit, zeropoint=zeropoint)
    return write_posteriors(out_path, ens, x, ids=list(ids) if ids is not None else None,
                            n_samples=n_samples, seed=seed, max_seconds=max_seconds,
                            keep_samples=keep_samples)

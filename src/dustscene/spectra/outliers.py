"""Outlier scores of spectra and the injected outliers that test them.

The score estimates log p(spectrum), not only log p(latents):
    log p(x) ~ log p(s*) + log N(x | A decoder(s*), ivar)
at the encoder's latents s* (optionally refined to the MAP, `score_spectra(refine_steps=)`).
The reconstruction (chi2) term is needed because the encoder maps every input to *some* latents
and off-manifold spectra often land in typical places: a blend of two galaxies at different
redshifts encodes to ordinary-looking latents (latent-only ranks of tens of percent) but decodes
badly (its second 4000 A break is nowhere on the manifold), and a black body is similar. The
latent term catches spectra the decoder can mimic but that lie in empty regions of the latent
density. Ranks are only comparable at equal noise: reference spectra are re-observed at the
outliers' S/N (`pipeline.reference_scores`). Both parts are reported.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from numpy.typing import NDArray

from dustscene.sed import SSPTable, sample_prior

from .data import SpectrumGrid, observe, rest_spectra
from .density import LatentDensity
from .network import SpectrumAutoencoder

F64 = NDArray[np.float64]
HC_OVER_K = 1.438777e8  # h c / k_B, Angstrom Kelvin
# strong optical emission lines (vacuum-ish rest wavelengths, Angstrom) and relative strengths
LINES = {3727.0: 1.0, 4861.3: 0.5, 4958.9: 0.6, 5006.8: 1.8, 6548.0: 0.3, 6562.8: 1.5,
         6583.5: 0.9, 6716.4: 0.3, 6730.8: 0.25}


def _profiled(model: SpectrumAutoencoder, s, x, iv, zz):
    """(best-amplitude model of x at latents s, chi2)."""
    m = model.observe(s, zz)
    amp = jnp.sum(iv * x * m) / jnp.maximum(jnp.sum(iv * m * m), 1e-30)
    return amp * m, jnp.sum(iv * (x - amp * m) ** 2)


def _refine(model, density, s0, x, iv, zz, steps: int):
    """MAP latents from the encoder's s0: Adam (cosine-decayed from 0.01) on 0.5 chi2 - log p(s);
    keeps s0 where the refinement does not lower the objective."""
    opt = optax.adam(optax.cosine_decay_schedule(0.01, steps, 0.05))

    def neg(s):
        return 0.5 * _profiled(model, s, x, iv, zz)[1] - density.log_prob(s)

    def body(carry, _):
        s, st = carry
        upd, st = opt.update(jax.grad(neg)(s), st, s)
        return (optax.apply_updates(s, upd), st), None

    (s, _), _ = jax.lax.scan(body, (s0, opt.init(s0)), None, length=steps)
    return jnp.where(neg(s) < neg(s0), s, s0)


@eqx.filter_jit
def _score_batch(model: SpectrumAutoencoder, density: LatentDensity, obs, ivar, z,
                 refine_steps: int):
    s = jax.vmap(model.encode)(obs, z)
    if refine_steps > 0:
        s = jax.vmap(lambda a, b, c, d: _refine(model, density, a, b, c, d, refine_steps))(
            s, obs, ivar, z)
    recon, chi2 = jax.vmap(lambda a, b, c, d: _profiled(model, a, b, c, d))(s, obs, ivar, z)
    log_like = -0.5 * chi2 + 0.5 * jnp.sum(jnp.log(ivar / (2 * math.pi)), axis=1)
    log_p_latent = jax.vmap(density.log_prob)(s)
    return s, recon, chi2, log_like, log_p_latent


def score_spectra(
    model: SpectrumAutoencoder,
    density: LatentDensity,
    observed: F64,
    ivar: F64,
    redshift: F64,
    *,
    refine_steps: int = 0,
) -> dict[str, F64]:
    """Latents, reconstructions, chi2 per pixel and the outlier score of observed spectra (n, q):
    `log_p` = log p(latents) + Gaussian log-likelihood of the reconstruction (the estimate of
    log p(spectrum) used for ranks), `log_p_latent` = the latent density alone.

    `refine_steps` > 0: the latents are the MAP of log N(x | decoder(s)) + log p(s) started at
    the encoder's output (removes the encoder's amortisation error, so well-modelled spectra
    are not mistaken for outliers; the outlier workflow uses it)."""
    outs = [
        _score_batch(model, density, jnp.asarray(observed[i : i + 1024]),
                     jnp.asarray(ivar[i : i + 1024]), jnp.asarray(redshift[i : i + 1024]),
                     int(refine_steps))
        for i in range(0, observed.shape[0], 1024)
    ]
    s, recon, chi2, log_like, lpl = (np.concatenate([np.asarray(o[j]) for o in outs])
                                     for j in range(5))
    return {"latents": s, "reconstruction": recon, "chi2_per_pixel": chi2 / observed.shape[1],
            "log_p_latent": lpl, "log_p": log_like + lpl}


def rank_percentile(scores: F64, reference: F64) -> F64:
    """Percent of `reference` scores at or below each score (0: lower than every reference)."""
    ref = np.sort(np.asarray(reference))
    return 100.0 * np.searchsorted(ref, np.asarray(scores), side="right") / ref.size


def _blackbody(wave: F64, temperature: float) -> F64:
    return wave**-5 / np.expm1(HC_OVER_K / (wave * temperature))


def _add_lines(wave: F64, spec: F64, ew: float) -> F64:
    """Add flux-conserving narrow lines of equivalent width `ew` x strength (Angstrom, rest)."""
    out = spec.copy()
    dw = np.gradient(wave)
    for lam, strength in LINES.items():
        if wave[0] < lam < wave[-1]:
            i = int(np.argmin(np.abs(wave - lam)))
            out[i] += ew * strength * spec[i] / dw[i]
    return out


def injected_outliers(
    rng: np.random.Generator,
    table: SSPTable,
    grid: SpectrumGrid,
    snr: float,
    n_each: int = 2,
) -> tuple[list[str], F64, F64, F64]:
    """(labels, observed (n, q), ivar (n, q), redshift (n,)) of four kinds of injected outliers:
    black-body stars (5000-15000 K, at a galaxy redshift the encoder is told), very strongly
    reddened galaxies (tau_ISM 8-10 with a steep law; the prior stops at 3), line-dominated
    spectra (Balmer, [OII], [OIII], [NII], [SII] with equivalent widths of hundreds of A) and
    blends of a star-forming and a quiescent galaxy at redshifts 0.1 apart or more."""
    import jax.random as jr

    labels: list[str] = []
    rest_list, z_list = [], []
    rw = grid.rest
    z_of = lambda: rng.uniform(grid.z_min, grid.z_max)  # noqa: E731
    for t in np.linspace(5000.0, 15000.0, n_each):
        bb = _blackbody(rw, t)
        rest_list.append(bb / bb.mean())
        z_list.append(z_of())
        labels.append(f"star_bb_{t:.0f}K")
    key = jr.key(int(rng.integers(2**31)))
    n_pool = max(4 * n_each, 20)
    p = sample_prior(key, n_each + n_pool, {"redshift": (grid.z_min, grid.z_max)})
    red = jax.tree.map(lambda a: a[:n_each], p)  # heavy dust, beyond the prior's tau_ISM <= 3
    red = eqx.tree_at(lambda q: (q.tau_ism, q.n_dust),
                      red, (jnp.linspace(8.0, 10.0, n_each), jnp.full(n_each, -0.8)))
    spec, _ = rest_spectra(red, table, grid)
    for i in range(n_each):
        rest_list.append(spec[i])
        z_list.append(float(red.redshift[i]))
        labels.append(f"reddened_tau{float(red.tau_ism[i]):.1f}")
    pool = jax.tree.map(lambda a: a[n_each:], p)
    spec, ssfr = rest_spectra(pool, table, grid)
    order = np.argsort(ssfr)  # old (low sSFR) first, young last
    for i in range(n_each):
        lined = _add_lines(rw, spec[order[n_pool // 2 + i]], ew=300.0)
        rest_list.append(lined / lined.mean())
        z_list.append(float(pool.redshift[order[n_pool // 2 + i]]))
        labels.append("line_dominated")
    rest = np.asarray(rest_list)
    z = np.asarray(z_list)
    obs, _, ivar = observe(rng, rest, z, grid, (snr, snr))
    # blends: a star-forming galaxy at z1 and a quiescent one at z2 >= z1 + 0.1, observed-frame
    # sum at equal median flux; the encoder is told z1 (the second 4000 A break sits elsewhere)
    blends, bivar, bz = [], [], []
    for i in range(n_each):
        a, b = spec[order[-1 - i]], spec[order[i]]
        z1 = grid.z_min + 0.02
        z2 = grid.z_max - 0.02 - 0.05 * i
        ca, _, _ = observe(rng, a[None], np.array([z1]), grid, (1e12, 1e12))
        cb, _, _ = observe(rng, b[None], np.array([z2]), grid, (1e12, 1e12))
        mix = 0.5 * (ca + cb)
        mix = mix / np.median(mix)
        sig = 1.0 / snr
        blends.append(mix[0] + sig * rng.standard_normal(mix.shape[1]))
        bivar.append(np.full(mix.shape[1], 1.0 / sig**2))
        bz.append(z1)
        labels.append(f"blend_z{z1:.2f}+{z2:.2f}")
    return (labels, np.concatenate([obs, np.asarray(blends)]),
            np.concatenate([ivar, np.asarray(bivar)]), np.concatenate([z, np.asarray(bz)]))

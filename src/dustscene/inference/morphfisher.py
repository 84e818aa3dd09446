"""Hallucination maps of a fitted scene's free-pixel morphologies under the score prior.

For every pixel x_j of a `FreeMorphology` whose pixels carry a `ScoreDensity`: the likelihood's
Fisher diagonal F_L,jj (Gauss-Newton, `laplace.gauss_newton_diagonal`, taken from the fit's
log-pixel coordinates to pixel values), the prior's F_P,jj = -d s_j / d x_j of the score with
the image's peak held (`priors.fisher.prior_fisher_hutchinson`), dF = F_P - F_L and
rho = F_P / (F_P + F_L). dF > 0 (rho > 1/2) marks a pixel the prior, not the data, decides
(Sampson et al. 2024, arXiv:2401.07313). The resolved dust map's counterpart is `dustfisher`.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from dustscene.priors.fisher import prior_fisher_hutchinson
from dustscene.priors.prior import ScoreDensity
from dustscene.scene.component import parts
from dustscene.scene.morphology import FreeMorphology
from dustscene.scene.observation import Observation
from dustscene.scene.parameters import from_vector, parameter_offsets
from dustscene.scene.scene import Scene

from .laplace import gauss_newton_diagonal


@dataclasses.dataclass(frozen=True)
class MorphologyFisherMaps:
    """Frame maps (y, x) of the score-prior morphologies' F_L, F_P, dF and rho (NaN outside
    every such box), at the prior's temperature, with `n_probes` Hutchinson probes."""

    fisher_likelihood: np.ndarray
    fisher_prior: np.ndarray
    delta_fisher: np.ndarray
    rho: np.ndarray
    temperature: float
    n_probes: int


def score_morphologies(scene: Scene) -> list[tuple[int, FreeMorphology]]:
    """(part index, morphology) of every full-box free-pixel morphology under a score prior,
    parts numbered like `scene.component.parts` over the scene's components."""
    out, k = [], 0
    for comp in scene.components:
        for part in parts(comp):
            m = part.morphology
            if (isinstance(m, FreeMorphology) and m.support is None
                    and isinstance(m.pixels.prior, ScoreDensity)):
                out.append((k, m))
            k += 1
    return out


def _place(img: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """The box `img` at `origin` in a NaN frame of `shape` (clipped at the frame's edges)."""
    out = np.full(shape, np.nan)
    y0, x0 = origin
    h, w = img.shape
    ys, xs = slice(max(y0, 0), min(y0 + h, shape[0])), slice(max(x0, 0), min(x0 + w, shape[1]))
    out[ys, xs] = img[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    return out


def morphology_fisher_maps(
    template: Scene,
    observation: Observation,
    u: Float[Array, " n"],
    *,
    key: PRNGKeyArray,
    n_probes: int = 100,
) -> MorphologyFisherMaps | None:
    """The maps of `MorphologyFisherMaps` at the fit `u` of `template`; None when no
    free-pixel morphology carries a score prior. Where boxes overlap, each pixel takes the
    morphology with the most light there (the rule of `dustfisher.dust_fisher_maps`)."""
    fitted = from_vector(template, u)
    morphs = score_morphologies(fitted)
    if not morphs:
        return None
    offsets = parameter_offsets(fitted)
    shape = fitted.frame.shape
    all_parts = [p for comp in fitted.components for p in parts(comp)]
    best = np.full(shape, -np.inf)
    out = {k: np.full(shape, np.nan) for k in ("fl", "fp")}
    temperature = None
    for (k, morph), sub in zip(morphs, jax.random.split(key, len(morphs)), strict=True):
        start, n = offsets[id(morph.pixels)], int(morph.pixels.value.size)
        diag_u = np.asarray(gauss_newton_diagonal(template, observation, u,
                                                  jnp.arange(start, start + n)))
        x = np.asarray(morph.pixels.value)
        # u = log(x) / step: dx/du = x step, so F_L(x) = F_L(u) / (x step)^2
        f_l = diag_u.reshape(x.shape) / (x * morph.pixels.step) ** 2
        density = morph.pixels.prior
        f_p = np.asarray(prior_fisher_hutchinson(density.score, jnp.asarray(x), key=sub,
                                                 n_probes=n_probes))
        temperature = float(density.prior.temperature)
        light = np.asarray(jnp.sum(all_parts[k](fitted.frame, dust=False), axis=0))
        take = np.isfinite(_place(x, morph.origin, shape)) & (light > best)
        best = np.where(take, light, best)
        for name, img in (("fl", f_l), ("fp", f_p)):
            out[name] = np.where(take, _place(img, morph.origin, shape), out[name])
    fl, fp = out["fl"], out["fp"]
    return MorphologyFisherMaps(
        fisher_likelihood=fl,
        fisher_prior=fp,
        delta_fisher=fp - fl,
        # a negative F_P (the score's Jacobian is not a true Hessian) counts as no prior
        rho=np.maximum(fp, 0.0) / np.maximum(np.maximum(fp, 0.0) + fl, 1e-300),
        temperature=temperature,
        n_probes=int(n_probes),
    )

"""Per-pixel uncertainty and hallucination score of resolved dust maps at the best fit.

For every node E_j of a `NodeMap` that carries a `SmoothnessPrior`: the likelihood's Fisher
diagonal F_L,jj (Gauss-Newton, d model / d E_j by forward mode), the prior's F_P,jj (the GMRF
precision diagonal), the score rho = F_P / (F_P + F_L) (Sampson & Melchior 2023: rho > 1/2 where
the prior, not the data, decides) and sigma_j = (F_P,jj + F_L,jj)^-1/2, then each interpolated to
pixels like the map itself.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from dustscene.scene.dustmap import NodeMap, SmoothnessPrior
from dustscene.scene.observation import Observation
from dustscene.scene.parameters import from_vector, parameter_offsets
from dustscene.scene.scene import Scene

from .laplace import gauss_newton_diagonal


@dataclasses.dataclass(frozen=True)
class DustFisherMaps:
    """Pixel maps (y, x) of the resolved dust: sigma of E(B-V), F_P, F_L, dF = F_P - F_L, rho."""

    ebv_sigma: np.ndarray
    fisher_prior: np.ndarray
    fisher_likelihood: np.ndarray
    delta_fisher: np.ndarray
    rho: np.ndarray


def _node_maps(scene: Scene) -> list[tuple[int, NodeMap]]:
    """(component index, map) of every resolved dust map with a smoothness prior."""
    return [
        (i, c.dust.ebv)
        for i, c in enumerate(scene.components)
        if c.dust is not None
        and isinstance(c.dust.ebv, NodeMap)
        and isinstance(c.dust.ebv.nodes.prior, SmoothnessPrior)
    ]


def dust_fisher_maps(
    template: Scene,
    observation: Observation,
    u: Float[Array, " n"],
    gn_diagonal: Float[ArrayLike, " n"] | None = None,
    sigma_u: Float[ArrayLike, " n"] | None = None,
) -> DustFisherMaps | None:
    """The maps of `DustFisherMaps` at the fit `u` of `template`; None without a resolved dust
    map. `gn_diagonal`: diag(J^T W J) of every parameter when already computed (a Gauss-Newton
    Laplace), else the nodes' entries are computed here. `sigma_u`: marginal sigmas of every
    parameter in unconstrained space (`laplace` with `max_gauss_newton`); then the E(B-V) sigma
    is the nodes' marginal one, which includes the map's trade with the stellar light, instead
    of the conditional (F_P + F_L)^-1/2. Where several sources' maps overlap, each pixel takes
    the source with most dust-free light there."""
    fitted = from_vector(template, u)
    maps = _node_maps(fitted)
    if not maps:
        return None
    offsets = parameter_offsets(fitted)
    frame = fitted.frame
    shape = frame.shape
    best = np.full(shape, -np.inf)
    out = {k: np.full(shape, np.nan) for k in ("sigma", "fp", "fl")}
    for ci, nmap in maps:
        start = offsets[id(nmap.nodes)]
        n = int(nmap.nodes.value.size)
        if gn_diagonal is not None:
            diag_u = np.asarray(gn_diagonal)[start : start + n]
        else:
            idx = jnp.arange(start, start + n)
            diag_u = np.asarray(gauss_newton_diagonal(template, observation, u, idx))
        e = np.asarray(nmap.nodes.value).ravel()
        step = nmap.nodes.step
        # u = log(E) / step: dE/du = E step, so F_L(E) = F_L(u) / (E step)^2
        f_l = (diag_u / (e * step) ** 2).reshape(nmap.nodes.value.shape)
        f_p = nmap.nodes.prior.precision_diagonal()
        if sigma_u is None:
            sigma = 1.0 / np.sqrt(f_p + f_l)
        else:
            sig = np.asarray(sigma_u)[start : start + n] * np.abs(e * step)
            sigma = sig.reshape(nmap.nodes.value.shape)
        light = np.asarray(jnp.sum(fitted.components[ci](frame, dust=False), axis=0))
        take = nmap.footprint(frame) & (light > best)
        best = np.where(take, light, best)
        for key, node_vals in (("sigma", sigma), ("fp", f_p), ("fl", f_l)):
            img = np.asarray(nmap.interpolate(jnp.asarray(node_vals), frame))
            out[key] = np.where(take, img, out[key])
    fp, fl = out["fp"], out["fl"]
    return DustFisherMaps(
        ebv_sigma=out["sigma"],
        fisher_prior=fp,
        fisher_likelihood=fl,
        delta_fisher=fp - fl,
        rho=fp / (fp + fl),
    )

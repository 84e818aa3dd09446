"""Dust-free component spectra from the shared SED model (`dustscene.sed.model`, tau = 0): the
intrinsic colours come from stellar populations, so a uniform reddening cannot hide in them as
it does in free per-band fluxes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from dustscene.sed.filters import FilterSet
from dustscene.sed.model import SEDParams, photometry_counts
from dustscene.sed.sfh import N_BASIS
from dustscene.sed.ssp import SSPTable

from .parameters import Interval, Parameter, Real, value

# the population box of the fit: every stellar population the mocks and field galaxies need
# (ages down to 3 Myr bursts, metallicities 0.1-2 Z_sun); SFH weights are a softmax of logits
RANGES: dict[str, tuple[float, float]] = {
    "f_burst": (0.0, 1.0),
    "log_t_burst": (np.log10(0.003), 1.0),  # log10 Gyr look-back
    "log_z": (-1.0, 0.3),
}
# star-forming arms and clumps: most light from a burst younger than 100 Myr (Kennicutt & Evans
# 2012: HII regions and young clusters trace star formation on 3-100 Myr)
YOUNG: dict[str, tuple[float, float]] = {
    **RANGES,
    "f_burst": (0.3, 1.0),
    "log_t_burst": (np.log10(0.003), -1.0),
}


@dataclasses.dataclass(frozen=True)
class SFHDirichlet:
    """Dirichlet(alpha) prior on the SFH weights softmax(logits), as a density of the logits:
    sum_i alpha_i log w_i (the Dirichlet density times the softmax Jacobian prod w_i), plus a
    unit Gaussian on the logits' mean, the direction softmax cannot see, so it stays proper."""

    alpha: tuple[float, ...]
    proper: bool = True

    def log_prob(self, logits: Array) -> Array:
        log_w = jax.nn.log_softmax(logits, axis=-1)
        return jnp.sum(jnp.asarray(self.alpha) * log_w) - 0.5 * jnp.mean(logits) ** 2


@dataclasses.dataclass(frozen=True)
class Population:
    """A population prior for one kind of component: the box of burst fraction, burst age and
    metallicity (`RANGES` keys) and the Dirichlet concentrations of the SFH weights (None: no
    SFH prior)."""

    ranges: Mapping[str, tuple[float, float]]
    sfh_alpha: tuple[float, ...] | None = None


def population(sed_block: Mapping[str, Any], role: str) -> Population:
    """The population a mock suite draws its `role` (bulge | disk | clumps) components from
    (the suite's `sed.<role>` block: sfh_alpha, f_burst, t_burst_gyr, log_z), as a fit prior:
    the simulations' prior is the prior of the fit that inverts them."""
    if role not in sed_block:
        raise ValueError(f"population prior: the suite's sed block has no '{role}' entry")
    c = sed_block[role]
    t_lo, t_hi = (float(v) for v in c["t_burst_gyr"])
    return Population(
        ranges={
            "f_burst": (float(c["f_burst"][0]), float(c["f_burst"][1])),
            "log_t_burst": (float(np.log10(t_lo)), float(np.log10(t_hi))),
            "log_z": (float(c["log_z"][0]), float(c["log_z"][1])),
        },
        sfh_alpha=tuple(float(a) for a in c["sfh_alpha"]),
    )


def _params(
    log_mass: Array, logits: Array, f_burst: Array, log_t: Array, log_z: Array, z: float
) -> SEDParams:
    """A batch of dust-free SEDParams (leading axis n) at redshift `z`."""
    n = log_mass.shape[0]
    zero = jnp.zeros(n)
    return SEDParams(
        log_mass=log_mass,
        sfh_weights=jax.nn.softmax(logits, axis=-1),
        f_burst=f_burst,
        t_burst=10.0**log_t,
        log_z=log_z,
        tau_bc=zero,
        tau_ism=zero,
        n_dust=zero,
        redshift=jnp.full(n, z),
    )


class SEDSpectrum(eqx.Module):
    """Band counts of a dust-free stellar population: log mass, SFH basis logits, burst fraction
    and age, metallicity, at a fixed redshift through the survey's filters."""

    log_mass: Parameter
    sfh_logits: Parameter
    f_burst: Parameter
    log_t_burst: Parameter
    log_z: Parameter
    table: SSPTable
    filters: FilterSet
    redshift: float = eqx.field(static=True)
    zeropoint: float = eqx.field(static=True)

    def __init__(
        self,
        table: SSPTable,
        filters: FilterSet,
        redshift: float,
        *,
        log_mass: float = 10.0,
        sfh_logits: ArrayLike = (0.0,) * N_BASIS,
        f_burst: float = 0.05,
        log_t_burst: float = 0.0,
        log_z: float = 0.0,
        zeropoint: float = 27.0,
        ranges: Mapping[str, tuple[float, float]] | None = None,
        sfh_alpha: tuple[float, ...] | None = None,
    ):
        box_ranges = RANGES if ranges is None else ranges

        def box(name: str, v: float, step: float) -> Parameter:
            lo, hi = box_ranges[name]
            eps = 1e-3 * (hi - lo)
            return Parameter(float(np.clip(v, lo + eps, hi - eps)), Interval(lo, hi), step=step)

        self.log_mass = Parameter(float(log_mass), Real(), step=0.02)
        prior = None if sfh_alpha is None else SFHDirichlet(tuple(sfh_alpha))
        self.sfh_logits = Parameter(
            np.asarray(sfh_logits, dtype=float), Real(), prior=prior, step=0.3
        )
        self.f_burst = box("f_burst", f_burst, 0.3)
        self.log_t_burst = box("log_t_burst", log_t_burst, 0.3)
        self.log_z = box("log_z", log_z, 0.3)
        self.table = table
        self.filters = filters
        self.redshift = float(redshift)
        self.zeropoint = float(zeropoint)

    def __call__(self) -> Float[Array, " band"]:
        p = _params(
            value(self.log_mass)[None],
            value(self.sfh_logits)[None],
            value(self.f_burst)[None],
            value(self.log_t_burst)[None],
            value(self.log_z)[None],
            self.redshift,
        )
        return photometry_counts(p, self.table, self.filters, self.zeropoint)[0]

    def scaled(self, factor: float) -> SEDSpectrum:
        """The same population with `factor` times the mass."""
        lm = self.log_mass
        return eqx.tree_at(lambda s: s.log_mass.value, self, lm.value + np.log10(factor))


def template_grid() -> dict[str, np.ndarray]:
    """Starting populations: each SFH basis dominant, two metallicities, bursts of three ages."""
    rows = []
    for basis in range(N_BASIS):
        for log_z in (-0.5, 0.0):
            for f_b, log_t in ((0.0, 0.0), (0.2, -2.0), (0.2, -1.0)):
                logits = np.zeros(N_BASIS)
                logits[basis] = 3.0
                rows.append((logits, f_b, log_t, log_z))
    return {
        "sfh_logits": np.stack([r[0] for r in rows]),
        "f_burst": np.array([r[1] for r in rows]),
        "log_t_burst": np.array([r[2] for r in rows]),
        "log_z": np.array([r[3] for r in rows]),
    }


def sed_spectrum_from_fluxes(
    fluxes: Float[ArrayLike, " band"],
    table: SSPTable,
    filters: FilterSet,
    redshift: float,
    *,
    zeropoint: float = 27.0,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    sfh_alpha: tuple[float, ...] | None = None,
) -> SEDSpectrum:
    """The template of `template_grid` (clipped into the box `ranges`, default `RANGES`) whose
    colours best match `fluxes` (least squares in magnitudes), scaled in mass to their total;
    `sfh_alpha`: a Dirichlet prior on the SFH weights (`SFHDirichlet`)."""
    f = np.maximum(np.asarray(fluxes, dtype=float), 1e-6 * max(float(np.max(fluxes)), 1e-12))
    box = RANGES if ranges is None else ranges
    g = {k: np.clip(v, *box[k]) if k in box else v for k, v in template_grid().items()}
    n = len(g["f_burst"])
    p = _params(
        jnp.zeros(n),
        jnp.asarray(g["sfh_logits"]),
        jnp.asarray(g["f_burst"]),
        jnp.asarray(g["log_t_burst"]),
        jnp.asarray(g["log_z"]),
        redshift,
    )
    model = np.asarray(photometry_counts(p, table, filters, zeropoint))  # per 1 M_sun formed
    dm = np.log10(f)[None, :] - np.log10(model)
    offset = dm.mean(1)
    best = int(np.argmin(((dm - offset[:, None]) ** 2).sum(1)))
    return SEDSpectrum(
        table,
        filters,
        redshift,
        log_mass=float(offset[best]),
        sfh_logits=g["sfh_logits"][best],
        f_burst=float(g["f_burst"][best]),
        log_t_burst=float(g["log_t_burst"][best]),
        log_z=float(g["log_z"][best]),
        zeropoint=zeropoint,
        ranges=ranges,
        sfh_alpha=sfh_alpha,
    )

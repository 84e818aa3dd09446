"""NUTS (numpyro) over the parameters that carry explicit priors, the others held at the
best fit."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jaxtyping import Array, PRNGKeyArray
from numpyro.diagnostics import summary
from numpyro.infer import MCMC, NUTS

from dustscene.scene.observation import Observation
from dustscene.scene.parameters import Interval, Parameter, Positive, is_parameter
from dustscene.scene.scene import Scene


@dataclasses.dataclass
class SampleResult:
    """Samples [chain, draw, ...] per parameter name, with split R-hat and effective sample size."""

    samples: dict[str, np.ndarray]
    r_hat: dict[str, float]
    ess: dict[str, float]


def _set_values(scene: Scene, values: dict[str, jax.Array]) -> Scene:
    def put(path, leaf):
        name = jax.tree_util.keystr(path).lstrip(".")
        if isinstance(leaf, Parameter) and name in values:
            return dataclasses.replace(leaf, value=values[name])
        return leaf

    return jax.tree_util.tree_map_with_path(put, scene, is_leaf=is_parameter)


def prior_parameters(scene: Scene) -> dict[str, Parameter]:
    """Free parameters that carry a proper (numpyro) prior, by name. A score prior has no
    normalised density (`proper = False`): those pixels stay at the best fit."""
    leaves = jax.tree_util.tree_flatten_with_path(scene, is_leaf=is_parameter)[0]
    return {
        jax.tree_util.keystr(p).lstrip("."): leaf
        for p, leaf in leaves
        if isinstance(leaf, Parameter)
        and not leaf.fixed
        and leaf.prior is not None
        and getattr(leaf.prior, "proper", True)
    }


def _support(p: Parameter) -> dist.constraints.Constraint:
    """The numpyro support of a parameter's constraint (real, positive, interval)."""
    c = p.constraint
    if isinstance(c, Positive):
        return dist.constraints.positive
    if isinstance(c, Interval):
        return dist.constraints.interval(c.lower, c.upper)
    return dist.constraints.real


def _sample_site(name: str, p: Parameter) -> Array:
    """A numpyro site for a parameter's prior: the distribution itself, or, for a density known
    only by `log_prob` (the spectrum prior's latents, an SFH Dirichlet on logits), a flat site on
    the parameter's support plus that log density as a factor."""
    if isinstance(p.prior, dist.Distribution):
        return numpyro.sample(name, p.prior)
    flat = dist.ImproperUniform(_support(p), (), event_shape=tuple(p.value.shape))
    v = numpyro.sample(name, flat)
    numpyro.factor(f"{name}:log_prior", jnp.sum(p.prior.log_prob(v)))
    return v


DENSE_MASS_MAX = 200  # sampled values up to which NUTS adapts a dense mass matrix


def sample(
    scene: Scene,
    observation: Observation,
    *,
    key: PRNGKeyArray,
    num_warmup: int = 300,
    num_samples: int = 300,
    num_chains: int = 2,
    dense_mass: bool | None = None,
) -> SampleResult:
    """Run NUTS on the prior-carrying parameters of `scene` (best fit elsewhere).

    `dense_mass` None: a dense mass matrix up to DENSE_MASS_MAX sampled values (the fluxes and a
    screen's E(B-V) share a correlated valley that a diagonal mass matrix crosses slowly), a
    diagonal one above (its n^2 cost)."""
    params = prior_parameters(scene)
    if not params:
        raise ValueError("no free parameter carries a prior: nothing to sample")
    if dense_mass is None:
        dense_mass = sum(int(np.size(p.value)) for p in params.values()) <= DENSE_MASS_MAX

    def model():
        vals = {name: _sample_site(name, p) for name, p in params.items()}
        numpyro.factor("loglike", observation.log_likelihood(_set_values(scene, vals)))

    init = {name: jnp.asarray(p.value) for name, p in params.items()}
    mcmc = MCMC(
        NUTS(model, init_strategy=numpyro.infer.init_to_value(values=init),
             dense_mass=dense_mass),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(key)
    s = mcmc.get_samples(group_by_chain=True)
    diag = summary(s)
    samples = {k: np.asarray(v) for k, v in s.items()}
    r_hat = {k: float(np.max(diag[k]["r_hat"])) for k in s}
    ess = {k: float(np.min(diag[k]["n_eff"])) for k in s}
    return SampleResult(samples, r_hat, ess)

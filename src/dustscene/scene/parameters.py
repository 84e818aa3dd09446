"""Parameters with constraints and priors, and the map between a scene and a flat vector."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


@dataclasses.dataclass(frozen=True)
class Real:
    """No constraint: the unconstrained value is the value."""

    def forward(self, u: Array) -> Array:
        return u

    def inverse(self, x: Array) -> Array:
        return x

    def describe(self) -> dict[str, Any]:
        return {"type": "real"}


@dataclasses.dataclass(frozen=True)
class Positive:
    """x > 0 through x = exp(u): scale-type quantities (fluxes, radii, E(B-V) amplitudes)."""

    def forward(self, u: Array) -> Array:
        return jnp.exp(u)

    def inverse(self, x: Array) -> Array:
        return jnp.log(x)

    def describe(self) -> dict[str, Any]:
        return {"type": "positive"}


@dataclasses.dataclass(frozen=True)
class Interval:
    """lower < x < upper through a scaled logistic."""

    lower: float
    upper: float

    def forward(self, u: Array) -> Array:
        return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(u)

    def inverse(self, x: Array) -> Array:
        p = (x - self.lower) / (self.upper - self.lower)
        return jnp.log(p) - jnp.log1p(-p)

    def describe(self) -> dict[str, Any]:
        return {"type": "interval", "lower": self.lower, "upper": self.upper}


Constraint = Real | Positive | Interval


class Parameter(eqx.Module):
    """A model value with its constraint, optional numpyro prior and a typical step
    (unconstrained).
    """

    value: Array
    constraint: Constraint = eqx.field(static=True, default=Real())
    prior: Any = eqx.field(static=True, default=None)
    step: float = eqx.field(static=True, default=1.0)
    fixed: bool = eqx.field(static=True, default=False)

    def __init__(
        self,
        value: ArrayLike,
        constraint: Constraint = Real(),
        *,
        prior: Any = None,
        step: float = 1.0,
        fixed: bool = False,
    ):
        self.value = jnp.asarray(value, dtype=float)
        self.constraint = constraint
        self.prior = prior
        self.step = float(step)
        self.fixed = fixed


def value(x: Parameter | Array) -> Array:
    """The constrained value of a Parameter (or the array itself)."""
    return x.value if isinstance(x, Parameter) else x


def is_parameter(x: Any) -> bool:
    return isinstance(x, Parameter)


def free_parameters(tree: Any) -> list[tuple[str, Parameter]]:
    """(path name, Parameter) for every free parameter, in flattening order."""
    leaves = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_parameter)[0]
    out = []
    for path, leaf in leaves:
        if isinstance(leaf, Parameter) and not leaf.fixed:
            out.append((jax.tree_util.keystr(path).lstrip("."), leaf))
    return out


def n_free(tree: Any) -> int:
    """Number of free scalar parameters."""
    return sum(int(p.value.size) for _, p in free_parameters(tree))


def to_vector(tree: Any) -> Float[Array, " n"]:
    """Flat unconstrained vector (divided by each parameter's step) of the free parameters."""
    parts = [jnp.ravel(p.constraint.inverse(p.value)) / p.step for _, p in free_parameters(tree)]
    return jnp.concatenate(parts) if parts else jnp.zeros(0)


def from_vector(tree: Any, u: Float[Array, " n"]) -> Any:
    """Inverse of `to_vector`: the same tree with every free parameter set from `u`."""
    offset = 0

    def put(leaf: Any) -> Any:
        nonlocal offset
        if not isinstance(leaf, Parameter) or leaf.fixed:
            return leaf
        size = leaf.value.size
        chunk = u[offset : offset + size].reshape(leaf.value.shape) * leaf.step
        offset += size
        return dataclasses.replace(leaf, value=leaf.constraint.forward(chunk))

    return jax.tree.map(put, tree, is_leaf=is_parameter)


def constrained_vector(tree: Any) -> Float[Array, " n"]:
    """Flat vector of the constrained values of the free parameters (same order as `to_vector`)."""
    parts = [jnp.ravel(p.value) for _, p in free_parameters(tree)]
    return jnp.concatenate(parts) if parts else jnp.zeros(0)


def log_prior(tree: Any) -> Array:
    """Sum of the priors' log densities over free parameters that carry one."""
    total = jnp.zeros(())
    for _, p in free_parameters(tree):
        if p.prior is not None:
            total = total + jnp.sum(p.prior.log_prob(p.value))
    return total


def parameter_offsets(tree: Any) -> dict[int, int]:
    """id(parameter) -> its first entry in the flat vector (`to_vector`), for the free
    parameters of `tree` itself (not of a copy: ids are of these objects)."""
    out, offset = {}, 0
    for _, p in free_parameters(tree):
        out[id(p)] = offset
        offset += int(p.value.size)
    return out


def parameter_schema(tree: Any) -> list[dict[str, Any]]:
    """JSON-ready description of the free parameters: name, shape, offset, constraint, prior."""
    out, offset = [], 0
    for name, p in free_parameters(tree):
        prior = None if p.prior is None else type(p.prior).__name__
        out.append(
            {
                "name": name,
                "shape": list(p.value.shape),
                "offset": offset,
                "size": int(p.value.size),
                "constraint": p.constraint.describe(),
                "prior": prior,
            }
        )
        offset += int(p.value.size)
    return out


def vector_function(tree: Any, fn: Callable[[Any], Array]) -> Callable[[Array], Array]:
    """Turn `fn(tree)` into a function of the flat unconstrained vector."""
    return lambda u: fn(from_vector(tree, u))

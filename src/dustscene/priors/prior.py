"""The score prior as used in fits: s_theta(x, t) at a fixed temperature t, no normalised density.

A score network only gives grad log p_t(x) (Sampson & Melchior 2023, arXiv:2306.13272;
Sampson et al. 2024, arXiv:2401.07313): use it in gradient-based MAP fits or Langevin
sampling of free-pixel morphologies. NUTS and evidence need a proper log-density: in dustscene
those are the `Parameter` priors (numpyro distributions on spectra, Sersic, dust amplitudes),
never a pixel morphology under this prior.
"""

from __future__ import annotations

from typing import Protocol

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


class ScoreFn(Protocol):
    def __call__(self, x: Float[Array, "y x"], t: Float[Array, ""]) -> Float[Array, "y x"]: ...


class ScorePrior(eqx.Module):
    """A morphology prior known only through its score; `x` is peak-normalised (peak ~ 1)."""

    network: ScoreFn
    temperature: float = eqx.field(static=True, default=0.02)

    def score(self, x: Float[Array, "y x"], t: Float[Array, ""] | float) -> Float[Array, "y x"]:
        """grad_x log p_t(x) of the diffused prior at time t."""
        return self.network(x, jnp.asarray(t, dtype=x.dtype))

    def grad_log_prior(self, x: Float[Array, "y x"]) -> Float[Array, "y x"]:
        """grad_x log p(x) approximated by the score at the prior's temperature t."""
        return self.score(x, self.temperature)

    def __call__(self, x: Float[Array, "y x"]) -> Float[Array, "y x"]:
        return self.grad_log_prior(x)


def galaxygrad_prior(size: int = 32, temperature: float = 0.02) -> ScorePrior:
    """The published HSC prior (galaxygrad==0.1.7 wheel weights) behind the same interface.

    galaxygrad works on x' = log(1 + x) / 0.1; the chain rule maps its score back to x.
    Raises ImportError when galaxygrad is absent (it is optional, never installed by us).
    """
    from galaxygrad import get_prior  # type: ignore[import-not-found]

    hsc = get_prior(f"hsc{size}")

    class _Wrapped(eqx.Module):
        def __call__(self, x: Array, t: Array) -> Array:
            u = jnp.log1p(jnp.maximum(x, 0.0)) / 0.1
            du_dx = 1.0 / (0.1 * (1.0 + jnp.maximum(x, 0.0)))
            return hsc(u, t) * du_dx - 1.0 / (1.0 + jnp.maximum(x, 0.0))

    return ScorePrior(_Wrapped(), temperature)


def surrogate_log_prior(prior: ScorePrior, x: Float[Array, "y x"]) -> Float[Array, ""]:
    """A scalar whose gradient is the prior's score at x: sum(stop_gradient(s(x)) * x).

    Its value means nothing; add it to a log-posterior so that `jax.grad` of a compiled fit
    (e.g. `inference.loss_function`) picks up grad log p for a free-pixel morphology.
    """
    return jnp.sum(jax.lax.stop_gradient(prior.grad_log_prior(x)) * x)

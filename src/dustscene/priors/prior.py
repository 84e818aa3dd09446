"""The score prior as used in fits: s_theta(x, t) at a fixed temperature t, no normalised density.

A score network only gives grad log p_t(x) (Sampson & Melchior 2023, arXiv:2306.13272;
Sampson et al. 2024, arXiv:2401.07313): use it in gradient-based MAP fits or Langevin
sampling of free-pixel morphologies. NUTS and evidence need a proper log-density: in dustscene
those are the `Parameter` priors (numpyro distributions on spectra, Sersic, dust amplitudes),
never a pixel morphology under this prior.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from dustscene._jax import cast_floats


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
    """The published HSC prior (weights inside the galaxygrad==0.1.7 wheel) behind the same
    interface.

    galaxygrad's MLP-Mixer scores u = log(1 + x) / 0.1 of a (1, size, size) image (VP schedule,
    sigma_t^2 = 1 - exp(-t), as ours); the score of x is s_u du/dx plus the gradient of
    log |du/dx|, -1 / (1 + x).
    Raises ImportError when galaxygrad is absent (optional, never installed by us).
    """
    # galaxygrad builds its networks at import and loads float32 leaves into them: under
    # float64 mode that load fails (equinox reads the global flag), so import it in float32 mode
    x64 = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", False)
    try:
        import galaxygrad  # type: ignore[import-not-found]
    finally:
        jax.config.update("jax_enable_x64", x64)

    nets = {32: galaxygrad.scorenet.HSC_32, 64: galaxygrad.scorenet.HSC_64}
    if size not in nets:
        raise ValueError(f"galaxygrad ships HSC priors for 32 and 64 pixels, not {size}")
    # its ScoreNet builds the time channel in the default float type: cast the float32 leaves
    # to it so that one dtype flows through (float64 in dustscene's workflow)
    dtype = jnp.zeros(()).dtype
    net = cast_floats(nets[size], dtype)

    class _Wrapped(eqx.Module):
        mixer: Any

        def __call__(self, x: Array, t: Array) -> Array:
            xp = jnp.maximum(x, 0.0)
            s_u = self.mixer((jnp.log1p(xp) / 0.1)[None], t)[0]
            # d log p / dx = s_u du/dx + d log|du/dx| / dx, u = log(1 + x) / 0.1
            return s_u / (0.1 * (1.0 + xp)) - 1.0 / (1.0 + xp)

    return ScorePrior(_Wrapped(net), temperature)


def surrogate_log_prior(prior: ScorePrior, x: Float[Array, "y x"]) -> Float[Array, ""]:
    """A scalar whose gradient is the prior's score at x: sum(stop_gradient(s(x)) * x).

    Its value means nothing; add it to a log-posterior so that `jax.grad` of a compiled fit
    (e.g. `inference.loss_function`) picks up grad log p for a free-pixel morphology.
    """
    return jnp.sum(jax.lax.stop_gradient(prior.grad_log_prior(x)) * x)


def _pad_to(x: Float[Array, "y x"], size: tuple[int, int]) -> tuple[Array, tuple[int, int]]:
    """Zero-pad x centrally to `size`; returns the padded image and the offset of x in it."""
    oy, ox = (size[0] - x.shape[0]) // 2, (size[1] - x.shape[1]) // 2
    pad = ((oy, size[0] - x.shape[0] - oy), (ox, size[1] - x.shape[1] - ox))
    return jnp.pad(x, pad), (oy, ox)


class ScoreDensity:
    """The score prior as a `Parameter` prior of a free-pixel or starlet morphology.

    `log_prob` is a surrogate: its value is 0 and its *gradient* is the score of the
    peak-normalised image, so the prior's pull joins grad log L inside the compiled fit
    (`inference.loss_function` adds `scene.parameters.log_prior`) while a fit's loss history
    stays -log L. The peak (held fixed per step) is over `peak_mask`, the pixels the data
    see: a pixel without data (masked, beyond the PSF's reach) must not grow into the peak
    and rescale what the prior sees of the rest.
    `proper = False`: NUTS and evidence never use it, Laplace sigmas of such pixels are
    likelihood-only, and the fit runs Adam alone to its last step (a line search and a
    best-iterate pick need true values; `inference.fit` enforces both).
    `layout`: "pixels" for a (h, w) box, "starlet" for (scales + 1, h, w) coefficients whose
    sum is the image. The image is zero-padded centrally to a multiple of 4 pixels, at least
    `min_size`, as the U-Net pools twice.
    Hashing is by identity, so a scene carrying it stays a valid static field under jit.
    """

    proper = False

    def __init__(self, prior: ScorePrior, *, layout: str = "pixels", min_size: int = 32,
                 peak_mask: np.ndarray | None = None):
        if layout not in ("pixels", "starlet"):
            raise ValueError(f"ScoreDensity layout must be 'pixels' or 'starlet', got {layout!r}")
        self.prior = prior
        self.layout = layout
        self.min_size = int(min_size)
        self.peak_mask = None if peak_mask is None else np.asarray(peak_mask, bool)

    def image(self, value: Array) -> Float[Array, "y x"]:
        return jnp.sum(value, axis=0) if self.layout == "starlet" else value

    def score(self, value: Array) -> Float[Array, "y x"]:
        """grad log p of the image at `value`, with its peak held fixed: s(x / peak) / peak.

        Differentiable in `value`, so -diag of its Jacobian is the prior's Fisher diagonal in
        the image's own units (`priors.fisher`, the hallucination maps of a fit)."""
        img = self.image(value)
        if img.ndim != 2:
            raise ValueError(
                f"ScoreDensity({self.layout!r}) needs a 2-D image, got shape {img.shape}: "
                "free morphologies with a support mask are not supported"
            )
        seen = img if self.peak_mask is None else jnp.where(self.peak_mask, img, 0.0)
        peak = jax.lax.stop_gradient(jnp.maximum(jnp.max(seen), 1e-30))
        size = tuple(max(self.min_size, -(-n // 4) * 4) for n in img.shape)
        padded, (oy, ox) = _pad_to(img / peak, size)
        s = self.prior.grad_log_prior(padded)
        return s[oy : oy + img.shape[0], ox : ox + img.shape[1]] / peak

    def log_prob(self, value: Array) -> Float[Array, ""]:
        img = self.image(value)
        s = jax.lax.stop_gradient(self.score(value))
        # value 0, gradient s / peak: the loss history stays -log L, the pull is the score's
        return jnp.sum(s * (img - jax.lax.stop_gradient(img)))


def with_score_prior(
    morphology: Any, prior: ScorePrior, peak_mask: np.ndarray | None = None
) -> Any:
    """The same FreeMorphology / WaveletMorphology with the score prior on its pixels;
    `peak_mask` (box-shaped): the pixels whose peak normalises the image (`ScoreDensity`)."""
    from dustscene.scene.morphology import FreeMorphology, WaveletMorphology

    if isinstance(morphology, FreeMorphology):
        if morphology.support is not None:
            raise ValueError("the score prior needs a full pixel box (support mask given)")
        leaf, layout = morphology.pixels, "pixels"
        where = lambda m: m.pixels  # noqa: E731
    elif isinstance(morphology, WaveletMorphology):
        leaf, layout = morphology.coefficients, "starlet"
        where = lambda m: m.coefficients  # noqa: E731
    else:
        raise TypeError(
            f"the score prior applies to free-pixel or wavelet morphologies, not "
            f"{type(morphology).__name__}"
        )
    density = ScoreDensity(prior, layout=layout, peak_mask=peak_mask)
    new = dataclasses.replace(leaf, prior=density)
    return eqx.tree_at(where, morphology, new)

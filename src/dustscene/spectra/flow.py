"""log p(latents) by a normalizing flow: affine (RealNVP) coupling layers in JAX/Equinox.

A density on the autoencoder's latents, as spender puts a MAF on its latents (Liang, Melchior
et al. 2023). A coupling flow is written here in Equinox rather than taken from nflows/zuko
(torch) so that `log_prob` stays a pure JAX function: `LatentSpectrum` adds it to the
compiled, differentiated scene-fit objective.

x -> whitening (the training latents' mean and Cholesky factor, fixed) -> K coupling layers, each
transforming a seeded half of the coordinates by u_b = (x_b - t(x_a)) exp(-s(x_a)) with
s = S tanh(h / S) bounded (stable training, and far from the data the density falls off like the
Gaussian base, so latents far off the manifold get very low log p) -> standard normal base.
Trained by maximum likelihood (Adam, mini-batches) with a held-out split of the training latents
and early stopping on its mean log p; the best-validation weights are kept. Deterministic given
the seed (fixed permutation, batches and initialisation).
"""

from __future__ import annotations

import dataclasses
import logging
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PRNGKeyArray
from tqdm import tqdm

from dustscene._jax import cast_floats
from dustscene.training import EarlyStopping, train_validation_split

log = logging.getLogger(__name__)

SCALE_BOUND = 3.0  # |log scale| per coupling layer <= 3


class AffineCoupling(eqx.Module):
    """One coupling layer: `move` coordinates shifted and scaled by an MLP of the `keep` ones."""

    net: eqx.nn.MLP
    keep: tuple[int, ...] = eqx.field(static=True)
    move: tuple[int, ...] = eqx.field(static=True)

    def __init__(self, keep: tuple[int, ...], move: tuple[int, ...], width: int, depth: int,
                 *, key: PRNGKeyArray):
        self.keep, self.move = tuple(keep), tuple(move)
        net = eqx.nn.MLP(len(keep) + 1, 2 * len(move), width, depth, activation=jax.nn.gelu,
                         key=key)
        # start at the identity: zero last layer
        last = net.layers[-1]
        last = eqx.tree_at(lambda m: (m.weight, m.bias), last,
                           (jnp.zeros_like(last.weight), jnp.zeros_like(last.bias)))
        self.net = eqx.tree_at(lambda m: m.layers[-1], net, last)

    def _shift_scale(self, x: Array) -> tuple[Array, Array]:
        xa = x[jnp.asarray(self.keep, dtype=int)]
        h = self.net(jnp.concatenate([xa, jnp.ones(1, x.dtype)]))  # constant input: works for S=1
        nb = len(self.move)
        return h[nb:], SCALE_BOUND * jnp.tanh(h[:nb] / SCALE_BOUND)

    def forward(self, x: Float[Array, " s"]) -> tuple[Float[Array, " s"], Float[Array, ""]]:
        """(u, log |du/dx|): data side -> base side."""
        t, s = self._shift_scale(x)
        mv = jnp.asarray(self.move, dtype=int)
        return x.at[mv].set((x[mv] - t) * jnp.exp(-s)), -jnp.sum(s)

    def inverse(self, u: Float[Array, " s"]) -> Float[Array, " s"]:
        """x of a base-side point (the `keep` coordinates pass through unchanged)."""
        t, s = self._shift_scale(u)
        mv = jnp.asarray(self.move, dtype=int)
        return u.at[mv].set(u[mv] * jnp.exp(s) + t)


def coupling_splits(n_latent: int, n_transforms: int) -> list[tuple[tuple[int, ...], ...]]:
    """(keep, move) index tuples of each layer: alternating halves of a fixed pseudo-random
    permutation that depends only on (n_latent, layer), so a saved flow's skeleton is rebuilt
    from its manifest alone (these indices are static, not stored leaves)."""
    out = []
    for i in range(int(n_transforms)):
        p = np.random.default_rng([int(n_latent), i, 0xF1A]).permutation(int(n_latent))
        half = n_latent // 2
        a, b = sorted(int(j) for j in p[:half]), sorted(int(j) for j in p[half:])
        keep, move = (tuple(a), tuple(b)) if i % 2 == 0 or not a else (tuple(b), tuple(a))
        out.append((keep, move))
    return out


class LatentFlow(eqx.Module):
    """Normalizing flow density on S latents; `starts` (k, S) are the k-means centres of the
    training latents, largest cluster first (multi-start points of latent fits)."""

    shift: Float[Array, " s"]
    whiten: Float[Array, "s s"]  # lower triangular W: z0 = W (x - shift)
    layers: tuple[AffineCoupling, ...]
    starts: Float[Array, "k s"]

    def __init__(self, n_latent: int, *, n_transforms: int, width: int, depth: int,
                 n_starts: int, key: PRNGKeyArray):
        s = int(n_latent)
        self.shift = jnp.zeros(s)
        self.whiten = jnp.eye(s)
        layers = [AffineCoupling(*split, width, depth, key=k) for split, k in
                  zip(coupling_splits(s, n_transforms), jax.random.split(key, n_transforms),
                      strict=True)]
        self.layers = tuple(layers)
        self.starts = jnp.zeros((int(n_starts), s))

    @property
    def n_latent(self) -> int:
        return int(self.shift.shape[0])

    def scale(self) -> Array:
        """Local conditional width per dimension at the start points, RMS (a step size for
        latent fits; the analogue of a mixture component's width): 1 / sqrt(diag(J^T J)) with
        J the Jacobian of the map to the base."""
        jac = jax.vmap(jax.jacfwd(lambda x: self.to_base(x)[0]))(self.starts)  # (k, s, s)
        prec_diag = jnp.sum(jac**2, axis=1)  # diag(J^T J)
        return jnp.sqrt(jnp.mean(1.0 / prec_diag))

    def to_base(self, x: Float[Array, " s"]) -> tuple[Float[Array, " s"], Float[Array, ""]]:
        """(base point, log |det Jacobian|) of one latent vector."""
        w = jax.lax.stop_gradient(self.whiten)
        u = w @ (x - jax.lax.stop_gradient(self.shift))
        ld = jnp.sum(jnp.log(jnp.abs(jnp.diagonal(w))))
        for layer in self.layers:
            u, d = layer.forward(u)
            ld = ld + d
        return u, ld

    def log_prob(self, x: Float[Array, " s"]) -> Float[Array, ""]:
        """log density at one point x (differentiable)."""
        u, ld = self.to_base(x)
        return -0.5 * jnp.sum(u * u) - 0.5 * u.shape[0] * math.log(2 * math.pi) + ld

    def sample(self, key: PRNGKeyArray, n: int) -> Float[Array, "n s"]:
        """n draws from the flow."""
        u = jax.random.normal(key, (n, self.n_latent), dtype=self.shift.dtype)

        def one(v):
            for layer in reversed(self.layers):
                v = layer.inverse(v)
            return jnp.linalg.solve(self.whiten, v) + self.shift

        return jax.vmap(one)(u)


@dataclasses.dataclass(frozen=True)
class FlowSettings:
    """Flow architecture and optimiser (all land in the prior's JSON manifest)."""

    n_transforms: int = 6
    width: int = 64
    depth: int = 2
    learning_rate: float = 3e-3
    batch_size: int = 512
    max_epochs: int = 200
    patience: int = 15
    validation_fraction: float = 0.1
    n_starts: int = 8


def kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: k rows of x (k <= n), each drawn with probability ~ squared distance
    to the nearest centre so far (the GMM's EM and the flow's starts both begin here)."""
    n = x.shape[0]
    centres = [x[rng.integers(n)]]
    for _ in range(1, k):
        d2 = np.min(((x[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(x[rng.choice(n, p=d2 / d2.sum())])
    return np.asarray(centres)


def kmeans_starts(x: np.ndarray, k: int, *, seed: int, n_iter: int = 30) -> np.ndarray:
    """k-means centres (k-means++ start from `seed`), largest cluster first."""
    rng = np.random.default_rng([int(seed), 0xC3A])
    k = int(min(k, x.shape[0]))
    c = kmeans_pp(x, k, rng)
    for _ in range(n_iter):
        lab = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        c = np.asarray([x[lab == j].mean(0) if np.any(lab == j) else c[j] for j in range(k)])
    lab = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
    return c[np.argsort(-np.bincount(lab, minlength=k), kind="stable")]


def fit_flow(x: Float[np.ndarray, "n s"], settings: FlowSettings, *, seed: int) -> LatentFlow:
    """Maximum-likelihood fit of a `LatentFlow` to latents x (float32 training, float64 result);
    early stopping on the mean log p of a seeded held-out fraction of x."""
    x = np.asarray(x, dtype=np.float64)
    n, s = x.shape
    tr_idx, va_idx = train_validation_split(n, settings.validation_fraction, seed=seed,
                                            stream=0xF10, what="latent vectors")
    tr, va = x[tr_idx], x[va_idx]
    flow = LatentFlow(s, n_transforms=settings.n_transforms, width=settings.width,
                      depth=settings.depth, n_starts=settings.n_starts,
                      key=jax.random.key(int(seed)))
    mu = tr.mean(0)
    cov = np.cov(tr.T).reshape(s, s) + 1e-9 * np.eye(s)
    w = np.linalg.inv(np.linalg.cholesky(cov))  # lower triangular, W cov W^T = I
    flow = eqx.tree_at(lambda f: (f.shift, f.whiten, f.starts), flow,
                       (jnp.asarray(mu), jnp.asarray(w),
                        jnp.asarray(kmeans_starts(tr, settings.n_starts, seed=seed))))
    f32 = cast_floats(flow, jnp.float32)
    opt = optax.adam(settings.learning_rate)
    state = opt.init(eqx.filter(f32, eqx.is_inexact_array))
    xtr, xva = jnp.asarray(tr, jnp.float32), jnp.asarray(va, jnp.float32)

    def mean_nll(model, xb):
        return -jnp.mean(jax.vmap(model.log_prob)(xb))

    @eqx.filter_jit
    def epoch(model, state, order):
        params, static = eqx.partition(model, eqx.is_array)

        def body(carry, idx):
            p, st = carry
            m = eqx.combine(p, static)
            loss, g = eqx.filter_value_and_grad(mean_nll)(m, xtr[idx])
            upd, st = opt.update(g, st, eqx.filter(m, eqx.is_inexact_array))
            return (eqx.filter(eqx.apply_updates(m, upd), eqx.is_array), st), loss

        (params, state), losses = jax.lax.scan(body, (params, state), order)
        model = eqx.combine(params, static)
        return model, state, jnp.mean(losses), mean_nll(model, xva)

    bs = int(min(settings.batch_size, len(tr)))
    n_batches = max(len(tr) // bs, 1)
    rng = np.random.default_rng([int(seed), 0xF11])
    stopper: EarlyStopping[LatentFlow] = EarlyStopping(settings.patience, min_delta=1e-4)
    for ep in tqdm(range(settings.max_epochs), desc="latent flow", mininterval=5.0):
        order = jnp.asarray(rng.permutation(len(tr))[: n_batches * bs].reshape(n_batches, bs))
        f32, state, tl, vl = epoch(f32, state, order)
        tl, vl = float(tl), float(vl)
        if not (np.isfinite(tl) and np.isfinite(vl)):
            raise FloatingPointError(f"latent flow training diverged at epoch {ep + 1}")
        stop = stopper.update(vl, lambda m=f32: m)  # a pytree: immutable, kept as is
        if (ep + 1) % 10 == 0:
            log.info("flow epoch %d: train -log p %.4f, held-out %.4f", ep + 1, tl, vl)
        if stop:
            break
    log.info("latent flow: %d epochs, best held-out mean log p %.4f", stopper.epochs,
             -stopper.best_loss)
    assert stopper.best_state is not None
    return cast_floats(stopper.best_state, jnp.float64)

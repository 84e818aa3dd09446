"""Training-loop machinery shared by the package's learned models: the train/held-out split and
the early-stopping tracker that keeps the best held-out state.

Each loop keeps its own framework (JAX/optax or torch) and loss; only the split rule and the
stop/keep-best rule live here, so every model holds out and stops the same way.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

import numpy as np
from jaxtyping import Int

T = TypeVar("T")


class Split(NamedTuple):
    """Row indices of the training part and of the held-out part."""

    train: Int[np.ndarray, " n_train"]
    held_out: Int[np.ndarray, " n_held_out"]


def seeded_permutation(n: int, *, seed: int, stream: int) -> Int[np.ndarray, " n"]:
    """A permutation of range(n) from the random stream (seed, stream): the same every run."""
    return np.random.default_rng([int(seed), int(stream)]).permutation(int(n))


def split_permutation(
    perm: Int[np.ndarray, " n"], fraction: float, *, min_train: int = 2, what: str = "samples"
) -> Split:
    """Hold out the first max(1, round(fraction n)) rows of `perm`; train on the rest.

    Both parts keep the permutation's order (callers that need sorted indices sort them).
    ValueError when fewer than `min_train` rows would be left to train on."""
    perm = np.asarray(perm)
    n = int(perm.shape[0])
    n_val = max(1, int(round(float(fraction) * n)))
    if n - n_val < min_train:
        raise ValueError(f"{n} {what} are too few to hold out {n_val} and train on at least "
                         f"{min_train}")
    return Split(perm[n_val:], perm[:n_val])


def train_validation_split(
    n: int, fraction: float, *, seed: int, stream: int, min_train: int = 2,
    what: str = "samples",
) -> Split:
    """Seeded split of n rows: `split_permutation` of `seeded_permutation(n, seed, stream)`."""
    return split_permutation(seeded_permutation(n, seed=seed, stream=stream), fraction,
                             min_train=min_train, what=what)


@dataclasses.dataclass
class EarlyStopping(Generic[T]):
    """Patience on a held-out loss; keeps the state of the best epoch so far.

    A loss counts as better when it is below the best by more than `min_delta`; training should
    stop once `patience` epochs in a row were not better. `best_state` is whatever the loop's
    `snapshot` returns (an immutable pytree as is, or a copy of a torch state dict)."""

    patience: int
    min_delta: float = 0.0
    best_loss: float = math.inf
    best_state: T | None = None
    best_epoch: int = -1
    epochs: int = 0
    since_best: int = 0

    def update(self, loss: float, snapshot: Callable[[], T]) -> bool:
        """Record one epoch's held-out loss (calling `snapshot` only when it is the best so far);
        True when training should stop."""
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_state = float(loss), snapshot()
            self.best_epoch, self.since_best = self.epochs, 0
        else:
            self.since_best += 1
        self.epochs += 1
        return self.since_best >= self.patience

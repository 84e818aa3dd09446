"""Neural posterior estimation (sbi NPE) of q(theta | x): one flow per seed, early stopping.

Flows are zuko MAFs (or neural spline flows, `model="zuko_nsf"`) whose first layer maps the
prior box to R^D (`z_score_theta="transform_to_unconstrained"`), so every sample lies inside the
prior: sbi's nflows MAF on z-scored theta puts over half of its draws outside the box
(bench/sedflow_baseline.py trains both on the same simulations).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
import warnings
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from sbi.inference import NPE
from sbi.neural_nets import posterior_nn
from sbi.utils import BoxUniform
from tqdm.auto import tqdm

from dustscene.training import EarlyStopping, split_permutation

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FlowSpec:
    """Architecture of one flow (what `build_flow` needs to rebuild it from a state dict)."""

    model: str = "zuko_maf"  # or "zuko_nsf" (neural spline flow)
    hidden_features: int = 64
    num_transforms: int = 5
    num_bins: int = 8  # spline bins, zuko_nsf only
    z_score_theta: str = "transform_to_unconstrained"
    z_score_x: str = "independent"
    passes: int | None = None  # zuko_maf: 2 = coupling (samples in one pass, not D); None = MAF
    # hidden layers per transform's network; None = sbi's default of num_transforms layers
    # (sbi turns an int width into [width] * num_transforms, so depth grew with the flow)
    hidden_layers: int | None = None
    # random feature order per transform (stored in the state dict as zuko's `order` buffer);
    # with passes=2 it varies the coupling split instead of alternating one fixed half
    randperm: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser settings for the NPE loss -log q(theta | x).

    schedule "cosine" (default): Adam with a cosine-decayed rate (dustscene's loop on sbi's
    estimator and loss). Under a constant rate (sbi 0.27's `NPE.train`, schedule "sbi") the
    default flow's validation -log q wandered between 1.86 and 2.13 over the last ten of 60
    epochs, so its early stop and kept epoch were luck; the decayed rate settles smoothly at the
    same level (1.86, width 64). Depth of training mattered most: the old
    14-epoch default stopped at 2.7.
    """

    batch_size: int = 1024
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    stop_after_epochs: int = 10  # early stopping patience on validation log-prob
    max_epochs: int = 200
    schedule: str = "cosine"
    final_lr_fraction: float = 0.01  # cosine floor, as a fraction of learning_rate
    clip_max_norm: float = 5.0  # total gradient norm (sbi's default)
    # fraction of the training set held out from every member to fit the ensemble's mixture
    # weights (pipeline.train_ensemble, ensemble.stacking_weights); 0: equal weights
    stack_fraction: float = 0.05

    def __post_init__(self) -> None:
        if self.schedule not in ("cosine", "sbi"):
            raise ValueError(f"sedflow.train.schedule must be 'cosine' or 'sbi', not "
                             f"{self.schedule!r}")
        if not 0.0 <= self.stack_fraction < 0.5:
            raise ValueError(f"sedflow.train.stack_fraction must be in [0, 0.5), not "
                             f"{self.stack_fraction!r}")


def torch_device() -> str:
    """Where flows train: `DUSTSCENE_TORCH_DEVICE` if set, else 'cuda' when a GPU is visible.

    Trained nets come back to the CPU, where saving, loading and sampling happen.
    """
    env = os.environ.get("DUSTSCENE_TORCH_DEVICE", "").strip()
    if env:
        return env
    return "cuda" if torch.cuda.is_available() else "cpu"


def box_prior(
    low: NDArray[np.float64], high: NDArray[np.float64], device: str = "cpu"
) -> BoxUniform:
    """sbi BoxUniform over theta (float32, as the flows are) on `device`."""
    return BoxUniform(torch.as_tensor(low, dtype=torch.float32),
                      torch.as_tensor(high, dtype=torch.float32), device=device)


def _builder(spec: FlowSpec, prior: BoxUniform) -> Any:
    extra: dict[str, Any] = {"num_bins": spec.num_bins} if "nsf" in spec.model else {}
    hidden: int | list[int] = spec.hidden_features
    if spec.hidden_layers is not None:
        hidden = [spec.hidden_features] * spec.hidden_layers
    if spec.passes is not None:
        extra["passes"] = spec.passes
    if spec.randperm:
        extra["randperm"] = True
    with warnings.catch_warnings():  # sbi forwards `passes` to zuko's MAF, as intended
        warnings.filterwarnings("ignore", message="Unknown kwargs passed", category=UserWarning)
        return posterior_nn(
            spec.model, z_score_theta=spec.z_score_theta, z_score_x=spec.z_score_x,
            hidden_features=hidden, num_transforms=spec.num_transforms,
            x_dist=prior, **extra,
        )


def build_flow(
    spec: FlowSpec, low: NDArray[np.float64], high: NDArray[np.float64], x_dim: int
) -> torch.nn.Module:
    """An untrained flow of `spec` (z-score statistics are placeholders until weights load)."""
    prior = box_prior(low, high)
    gen = torch.Generator().manual_seed(0)
    theta = prior.sample((64,))
    x = torch.randn(64, x_dim, generator=gen)
    return _builder(spec, prior)(theta, x)


def train_flow(
    theta: NDArray[np.float64],
    x: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    seed: int,
    spec: FlowSpec = FlowSpec(),
    config: TrainConfig = TrainConfig(),
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train one flow (sbi NPE estimator and loss); returns (density estimator, summary)."""
    torch.manual_seed(seed)
    device = torch_device()
    prior = box_prior(low, high, device)
    th = torch.as_tensor(theta, dtype=torch.float32)
    xx = torch.as_tensor(x, dtype=torch.float32)
    t0 = time.perf_counter()
    if config.schedule == "sbi":
        net, curves = _train_sbi(th, xx, prior, spec, config, device)
    else:
        net, curves = _train_cosine(th, xx, prior, spec, config, device, seed)
    summary = {
        "seed": seed, **curves,
        "seconds": time.perf_counter() - t0,
        "n_parameters": sum(p.numel() for p in net.parameters()),
    }
    log.info("flow seed %d: %d epochs, best val -log q %.3f, %.1f s", seed, summary["epochs"],
             summary["best_validation_loss"], summary["seconds"])
    summary["device"] = device
    net.to("cpu").eval()
    return net, summary


def _train_sbi(
    th: torch.Tensor, x: torch.Tensor, prior: BoxUniform, spec: FlowSpec, config: TrainConfig,
    device: str,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """sbi 0.27's `NPE.train`: constant learning rate, early stopping.

    sbi splits and stops inside its own loop, so the shared `dustscene.training` rules do not
    apply here (replacing them would no longer be sbi's training)."""
    inference = NPE(prior=prior, density_estimator=_builder(spec, prior), device=device,
                    show_progress_bars=False)
    net = inference.append_simulations(th, x).train(
        training_batch_size=config.batch_size, learning_rate=config.learning_rate,
        validation_fraction=config.validation_fraction,
        stop_after_epochs=config.stop_after_epochs, max_num_epochs=config.max_epochs,
        clip_max_norm=config.clip_max_norm,
    )
    s = inference.summary  # sbi's per-epoch curves
    return net, {
        "epochs": int(s["epochs_trained"][-1]),
        "best_validation_loss": float(s["best_validation_loss"][-1]),
        "training_loss": [float(v) for v in s["training_loss"]],
        "validation_loss": [float(v) for v in s["validation_loss"]],
    }


def _train_cosine(
    th: torch.Tensor, x: torch.Tensor, prior: BoxUniform, spec: FlowSpec, config: TrainConfig,
    device: str, seed: int,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Adam, cosine-decayed rate, gradient clipping; keeps the best validation state."""
    gen = torch.Generator().manual_seed(seed)
    # the permutation comes from the torch generator that then shuffles the epochs
    trn_np, val_np = split_permutation(
        torch.randperm(th.shape[0], generator=gen).numpy(), config.validation_fraction,
        what="simulations")
    trn, val = torch.from_numpy(trn_np), torch.from_numpy(val_np)
    # z-scoring statistics from the training split, as sbi does
    net = _builder(spec, prior)(th[trn], x[trn]).to(device)
    th, x = th.to(device), x.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    n_batch = max(1, -(-trn.numel() // config.batch_size))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=config.max_epochs * n_batch,
        eta_min=config.learning_rate * config.final_lr_fraction)
    stopper: EarlyStopping[dict[str, torch.Tensor]] = EarlyStopping(config.stop_after_epochs)
    train_curve, val_curve = [], []
    for epoch in tqdm(range(config.max_epochs), desc=f"flow seed {seed}", mininterval=10,
                      disable=None):
        net.train()
        order = trn[torch.randperm(trn.numel(), generator=gen)]
        total = 0.0
        for b in range(n_batch):
            j = order[b * config.batch_size:(b + 1) * config.batch_size].to(device)
            opt.zero_grad()
            loss = net.loss(th[j], condition=x[j]).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip_max_norm)
            opt.step()
            sched.step()
            total += float(loss.detach()) * j.numel()
        net.eval()
        with torch.no_grad():
            vloss = float(torch.cat([
                net.loss(th[v], condition=x[v]) for v in val.to(device).split(16384)
            ]).mean())
        train_curve.append(total / trn.numel())
        val_curve.append(vloss)
        log.info("flow seed %d epoch %d: train %.4f, validation %.4f", seed, epoch,
                 train_curve[-1], vloss)
        if not math.isfinite(vloss):
            raise FloatingPointError(f"flow seed {seed}: validation loss {vloss} at epoch {epoch}")
        if stopper.update(vloss, lambda: {k: v.detach().clone()
                                          for k, v in net.state_dict().items()}):
            break
    assert stopper.best_state is not None
    net.load_state_dict(stopper.best_state)
    return net, {"epochs": len(val_curve), "best_validation_loss": stopper.best_loss,
                 "training_loss": train_curve, "validation_loss": val_curve}

"""NPE on a linear-Gaussian toy with an analytic posterior: mean and covariance recovered."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dustscene.sedflow import FlowSpec, TrainConfig, train_flow

A = np.array([[1.0, 0.6], [0.0, 0.8]])
NOISE = 0.3
BOX = 4.0
MEAN_TOL = 0.1  # absolute, ~0.27 posterior sd (sd 0.375); measured 0.03 (cosine), 0.06 (sbi)
COV_RTOL = 0.3  # each covariance entry, relative to the largest (measured <= 0.134)


@pytest.mark.parametrize(("passes", "schedule"), [(None, "cosine"), (2, "cosine"), (2, "sbi")],
                         ids=["maf", "coupling", "coupling-sbi-loop"])
def test_flow_matches_analytic_linear_gaussian_posterior(passes: int | None, schedule: str) -> None:
    """The autoregressive MAF and the one-pass coupling flow (the fast sampler), trained by
    dustscene's cosine loop and by sbi's own `NPE.train`."""
    rng = np.random.default_rng(0)
    n = 8000
    theta = rng.uniform(-BOX, BOX, size=(n, 2))
    x = theta @ A.T + NOISE * rng.standard_normal((n, 2))
    net, summary = train_flow(
        theta, x, np.full(2, -BOX), np.full(2, BOX), seed=0,
        spec=FlowSpec(hidden_features=32, num_transforms=3, passes=passes),
        config=TrainConfig(batch_size=256, learning_rate=2e-3, max_epochs=40, stop_after_epochs=5,
                           schedule=schedule),
    )
    # x_o well inside the box: the posterior is Gaussian, mean A^-1 x_o, cov s^2 (A^T A)^-1
    x_o = np.array([[0.5, -0.4]])
    mean_true = np.linalg.solve(A, x_o[0])
    cov_true = NOISE**2 * np.linalg.inv(A.T @ A)
    torch.manual_seed(1)
    with torch.no_grad():
        s = net.sample((20_000,), condition=torch.as_tensor(x_o, dtype=torch.float32))[:, 0].numpy()
    assert np.all(np.abs(s.mean(0) - mean_true) < MEAN_TOL), (s.mean(0), mean_true)
    cov = np.cov(s.T)
    assert np.all(np.abs(cov - cov_true) < COV_RTOL * np.abs(cov_true).max()), (cov, cov_true)
    assert summary["epochs"] >= 2 and len(summary["validation_loss"]) == summary["epochs"]


def test_torch_device_falls_back_to_cpu_and_honours_override(monkeypatch) -> None:
    """Where flows train (sedflow/train.py docstring): DUSTSCENE_TORCH_DEVICE if set (spaces
    stripped), else cuda exactly when a GPU is visible; the result places a tensor there."""
    from dustscene.sedflow.train import torch_device

    monkeypatch.delenv("DUSTSCENE_TORCH_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch.zeros(3, device=torch_device()).device == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a visible GPU is used
    assert torch.device(torch_device()).type == "cuda"
    # the override wins over a visible GPU; 'meta' is a real device this machine always has
    monkeypatch.setenv("DUSTSCENE_TORCH_DEVICE", " meta ")
    assert torch.zeros(3, device=torch_device()).device.type == "meta"
    monkeypatch.setenv("DUSTSCENE_TORCH_DEVICE", "")  # empty = unset: the default again
    assert torch.device(torch_device()).type == "cuda"
    # an invalid override is not silently replaced by a default: placing a tensor fails
    monkeypatch.setenv("DUSTSCENE_TORCH_DEVICE", "gpu0")
    with pytest.raises(RuntimeError, match="gpu0"):
        torch.zeros(3, device=torch_device())


def test_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(schedule="linear")

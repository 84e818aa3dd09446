"""The fast coupling sampler draws exactly what zuko's sampler draws, for any coupling layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dustscene.sedflow import fastsample
from dustscene.sedflow.parameters import theta_bounds
from dustscene.sedflow.train import FlowSpec, build_flow


@pytest.mark.parametrize(("randperm", "layers", "transforms"),
                         [(False, 2, 4), (True, 2, 3), (True, 1, 5), (False, 3, 2)])
def test_fast_sampler_matches_zuko(randperm: bool, layers: int, transforms: int) -> None:
    low, high = theta_bounds()
    torch.manual_seed(3)
    flow = build_flow(FlowSpec(hidden_features=24, num_transforms=transforms, passes=2,
                               hidden_layers=layers, randperm=randperm), low, high, 11)
    with torch.no_grad():  # move off the initialisation so every weight matters
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    plan = fastsample.plan(flow)
    assert plan is not None and len(plan) == transforms
    x = torch.randn(3, 11)
    torch.manual_seed(11)
    fast = fastsample.sample(flow, plan, 700, x)
    torch.manual_seed(11)
    with torch.inference_mode():
        ref = flow.sample((700,), condition=x)
    assert fast.shape == ref.shape == (700, 3, 10)
    # float32 round-off through up to 5 random transforms; the box spans up to 10 units
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), rtol=1e-4, atol=1e-3)
    assert np.all((fast.numpy() >= low - 1e-4) & (fast.numpy() <= high + 1e-4))


@pytest.mark.parametrize("spec", [FlowSpec(passes=None, num_transforms=2, hidden_features=16),
                                  FlowSpec(model="zuko_nsf", passes=2, num_transforms=2,
                                           hidden_features=16)])
def test_non_coupling_flows_have_no_fast_plan(spec: FlowSpec) -> None:
    low, high = theta_bounds()
    assert fastsample.plan(build_flow(spec, low, high, 11)) is None

"""Saved flows reload identically in a fresh process; tampering fails loudly; no pickle loads."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dustscene.io.manifest import sha256_file
from dustscene.sedflow import FlowFileError, load_ensemble

RELOAD = """
import sys, numpy as np, torch
torch.set_num_threads(1)
from dustscene.sedflow import load_ensemble
ens = load_ensemble(sys.argv[1])
d = np.load(sys.argv[2])
np.save(sys.argv[3], ens.log_prob(d["theta"], d["x"]))
"""


def _probe(ens) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    x = np.column_stack([ens.x_min + 0.5 * (ens.x_max - ens.x_min)])[None, :, 0].repeat(3, 0)
    theta = ens.low + (ens.high - ens.low) * np.linspace(0.2, 0.8, 3)[:, None]
    return theta[None], x


def test_reload_in_fresh_process_gives_identical_log_prob(flows: Path, tmp_path: Path) -> None:
    ens = load_ensemble(flows)
    theta, x = _probe(ens)
    np.savez(tmp_path / "probe.npz", theta=theta, x=x)
    subprocess.run([sys.executable, "-c", RELOAD, str(flows), str(tmp_path / "probe.npz"),
                    str(tmp_path / "lp.npy")], check=True, timeout=120)
    np.testing.assert_array_equal(np.load(tmp_path / "lp.npy"), ens.log_prob(theta, x))
    m = json.loads(flows.read_text())
    assert m["versions"]["sbi"] == "0.27.0" and len(m["training_set_sha256"]) == 64


def _copy(flows: Path, tmp_path: Path) -> Path:
    for p in flows.parent.glob("flows.*"):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path / flows.name


def test_tampered_weights_fail_naming_the_file(flows: Path, tmp_path: Path) -> None:
    manifest = _copy(flows, tmp_path)
    weights = tmp_path / "flows.pt"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(FlowFileError, match=r"flows\.pt.*sha256"):
        load_ensemble(manifest)


class _Evil:
    def __reduce__(self):  # noqa: ANN204
        return (print, ("pickle executed",))


def test_only_weights_are_loaded_never_pickles(flows: Path, tmp_path: Path, monkeypatch) -> None:
    calls = []
    real = torch.load

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        calls.append(k.get("weights_only"))
        return real(*a, **k)

    monkeypatch.setattr(torch, "load", spy)
    load_ensemble(flows)
    assert calls == [True]
    # a pickled object with a *matching* hash is still refused by weights_only=True
    manifest = _copy(flows, tmp_path)
    torch.save({"x": _Evil()}, tmp_path / "flows.pt")
    m = json.loads(manifest.read_text())
    m["weights_sha256"] = sha256_file(tmp_path / "flows.pt")
    manifest.write_text(json.dumps(m))
    with pytest.raises(pickle.UnpicklingError):
        load_ensemble(manifest)


def test_hidden_layers_sets_the_depth_of_every_transform_network() -> None:
    """sbi turns an int width into num_transforms hidden layers; hidden_layers decouples them."""
    from dustscene.sedflow.train import FlowSpec, build_flow

    lo, hi = np.zeros(10), np.ones(10)

    def n_linear(spec: FlowSpec) -> int:
        net = build_flow(spec, lo, hi, 11)
        return sum(isinstance(m, torch.nn.Linear) for m in net.modules())

    assert n_linear(FlowSpec(num_transforms=4)) == 4 * 5  # 4 hidden + output layer each
    assert n_linear(FlowSpec(num_transforms=4, hidden_layers=2)) == 4 * 3

"""Stacked ensemble weights: the EM optimum of the held-out log score, used when sampling, in
log q, saved and reloaded; a tampered weight vector fails at load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from dustscene.sedflow import FlowFileError, load_ensemble
from dustscene.sedflow.dataset import file_sha256
from dustscene.sedflow.ensemble import member_counts, stacking_weights


def test_stacking_recovers_the_generating_mixture_proportions() -> None:
    # draws from 0.3 N(-2, 1) + 0.7 N(2, 1); members are the two components: the maximum of the
    # log score is the maximum-likelihood proportion, within its binomial error of 0.3
    rng = np.random.default_rng(0)
    n = 20_000
    y = np.where(rng.uniform(size=n) < 0.3, rng.normal(-2, 1, n), rng.normal(2, 1, n))
    lq = np.stack([stats.norm.logpdf(y, -2, 1), stats.norm.logpdf(y, 2, 1)])
    w = stacking_weights(lq)
    assert w.sum() == pytest.approx(1.0)
    assert abs(w[0] - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    # the score at the optimum beats equal weights and either member alone
    def score(v: np.ndarray) -> float:
        return float(np.mean(np.log(v @ np.exp(lq))))
    assert score(w) > max(score(np.array([0.5, 0.5])), score(np.array([1.0, 0.0])),
                          score(np.array([0.0, 1.0])))


def test_stacking_drops_a_member_that_adds_nothing() -> None:
    # member 0 is the true density, member 1 a broader one: the score is maximal at w = (1, 0)
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 20_000)
    lq = np.stack([stats.norm.logpdf(y, 0, 1), stats.norm.logpdf(y, 0.5, 2.0)])
    w = stacking_weights(lq)
    assert w[0] > 0.97 and w[1] < 0.03
    # identical members share equally (the score is flat; EM stays at its equal start)
    np.testing.assert_allclose(stacking_weights(np.stack([lq[0], lq[0], lq[0]])), 1 / 3)
    assert stacking_weights(lq[:1]).tolist() == [1.0]


@pytest.mark.parametrize("w", [[0.5, 0.5], [1 / 3] * 3, [0.6, 0.4, 0.0], [0.05, 0.9, 0.05],
                               [1.0, 0.0]])
@pytest.mark.parametrize("n", [1, 7, 1000, 10_000])
def test_member_counts_sum_to_n_and_follow_the_weights(w: list[float], n: int) -> None:
    c = member_counts(np.asarray(w), n)
    assert sum(c) == n and all(ci >= 0 for ci in c)
    assert all(abs(ci - n * wi) < 1 for ci, wi in zip(c, w, strict=True))
    if len(set(w)) == 1:  # equal weights: the split used before weights existed
        m = len(w)
        assert c == [n // m + (i < n % m) for i in range(m)]


def test_weighted_mixture_samples_and_log_prob(flows: Path) -> None:
    ens = load_ensemble(flows)
    x = np.column_stack([ens.x_min + 0.5 * (ens.x_max - ens.x_min)])[None, :, 0].repeat(2, 0)
    theta = ens.low + (ens.high - ens.low) * np.linspace(0.2, 0.8, 2)[:, None]
    members = ens.member_log_prob(theta[None], x)  # (member, 1, batch)
    ens.weights = np.array([0.25, 0.75])
    expected = np.log(0.25 * np.exp(members[0]) + 0.75 * np.exp(members[1]))
    np.testing.assert_allclose(ens.log_prob(theta[None], x), expected, rtol=1e-5)
    ens.weights = np.array([1.0, 0.0])  # a zero-weight member is neither sampled nor evaluated
    np.testing.assert_allclose(ens.log_prob(theta[None], x), members[0], rtol=1e-6)
    s = ens.sample(x, 500, seed=3)
    ens_one = load_ensemble(flows)
    ens_one.flows, ens_one.weights = ens_one.flows[:1], None
    np.testing.assert_array_equal(s, ens_one.sample(x, 500, seed=3))
    ens.weights = np.array([0.7, 0.7])
    with pytest.raises(ValueError, match="summing to 1"):
        ens.sample(x, 10, seed=0)


def test_trained_ensemble_stores_stacking_weights(flows: Path, tmp_path: Path) -> None:
    m = json.loads(flows.read_text())
    w = np.asarray(m["mixture_weights"])
    assert w.shape == (2,) and np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    st = m["stacking"]
    assert st["n_rows"] == round(0.05 * 2000)
    # the stacked mixture is at least as good on its held-out rows as equal weights (the
    # optimum of a concave objective) and as each member alone
    assert st["stacked_mean_log_q"] >= st["equal_weight_mean_log_q"] - 1e-9
    assert st["stacked_mean_log_q"] >= max(st["member_mean_log_q"]) - 1e-9
    assert m["n_train"] == 2000 - st["n_rows"]
    np.testing.assert_array_equal(load_ensemble(flows).mixture_weights, w)
    # a weight vector edited by hand fails at load, naming the manifest
    for p in flows.parent.glob("flows.*"):
        shutil.copy(p, tmp_path / p.name)
    bad = dict(m, mixture_weights=[0.9, 0.9])
    (tmp_path / "flows.json").write_text(json.dumps(bad))
    assert file_sha256(tmp_path / "flows.pt") == m["weights_sha256"]
    with pytest.raises(FlowFileError, match=r"flows\.json.*mixture_weights"):
        load_ensemble(tmp_path / "flows.json")

"""The regression guard: what got worse against a reference table, and by its target's scale."""

from __future__ import annotations

import json

import pytest

from dustscene.validation.regression import compare, main, reference_from, shortfall
from dustscene.validation.targets import abs_at_most, at_least, between, reported


def _metrics(r: float, bias: float, slope: float, n: int = 2) -> dict:
    g = {"pearson_r": r, "bias": bias, "slope": slope}
    return {"dust": {"a_band_observable": {"g": g}}, "fit": {"n_failures": n}}


TARGETS = (
    at_least("dust.a_band_observable.g.pearson_r", 0.85),
    abs_at_most("dust.a_band_observable.g.bias", 0.02),
    between("dust.a_band_observable.g.slope", 0.9, 1.1),
    reported("fit.n_failures"),
)


def test_shortfall_follows_each_target():
    assert shortfall(TARGETS[0], 0.80) == pytest.approx(0.05)
    assert shortfall(TARGETS[0], 0.95) == pytest.approx(-0.10)  # beyond a one-sided target
    assert shortfall(TARGETS[1], -0.05) == pytest.approx(0.03)  # |bias| counts
    assert shortfall(TARGETS[2], 1.0) == pytest.approx(-0.1)
    assert shortfall(TARGETS[2], 0.5) == pytest.approx(0.4)
    assert shortfall(TARGETS[3], 3.0) is None


def test_compare_flags_what_got_worse_beyond_its_tolerance():
    ref = {"metrics": {t.path: {"value": v, "tolerance": 0.01}
                       for t, v in zip(TARGETS, (0.64, -0.012, 0.38, 2), strict=True)}}
    same = compare(_metrics(0.64, -0.012, 0.38), ref, TARGETS)
    assert not any(c.worse for c in same)
    # r dropped by 0.2, |bias| grew by 0.1, the slope moved towards 1: two worse, one better
    moved = {c.path: c for c in compare(_metrics(0.44, 0.11, 0.60, n=5), ref, TARGETS)}
    assert moved["dust.a_band_observable.g.pearson_r"].worse
    assert moved["dust.a_band_observable.g.bias"].worse
    assert not moved["dust.a_band_observable.g.slope"].worse
    assert moved["dust.a_band_observable.g.slope"].note == "better"
    assert not moved["fit.n_failures"].worse and moved["fit.n_failures"].note == "changed"
    # a metric that vanished from the run is worse, one without a reference is not judged
    gone = {c.path: c for c in compare({"fit": {}}, ref, TARGETS)}
    assert gone["dust.a_band_observable.g.pearson_r"].worse


def test_reference_from_a_run_uses_the_default_tolerance():
    ref = reference_from(_metrics(0.64, -0.002, 0.38), "run")["metrics"]
    assert ref["dust.a_band_observable.g.pearson_r"] == {"value": 0.64, "tolerance": 0.064}
    assert ref["dust.a_band_observable.g.bias"]["tolerance"] == 0.01  # the absolute floor
    assert ref["sed.coverage_68"] == {"value": None, "tolerance": None}


def test_main_writes_then_compares(tmp_path, capsys):
    metrics, ref = tmp_path / "metrics.json", tmp_path / "ref.json"
    metrics.write_text(json.dumps(_metrics(0.64, -0.012, 0.38)))
    assert main([str(metrics), str(ref), "--write"]) == 0
    assert main([str(metrics), str(ref)]) == 0
    metrics.write_text(json.dumps(_metrics(0.30, -0.012, 0.38)))
    assert main([str(metrics), str(ref)]) == 1
    assert "dust.a_band_observable.g.pearson_r" in capsys.readouterr().out
    assert main([str(metrics), str(tmp_path / "none.json")]) == 2

"""Headline targets: pass, fail, missing and interval checks on hand-made metrics trees."""

from __future__ import annotations

import json

import pytest

from dustscene.validation.targets import (
    HEADLINE,
    Check,
    abs_at_most,
    at_least,
    at_most,
    between,
    checks_rst,
    evaluate,
    lookup,
    reported,
    verdict,
    within,
)


def _passing() -> dict:
    """A metrics tree that meets every headline target."""
    band = {"bias": 0.005, "nmad": 0.02, "rms": 0.03, "pearson_r": 0.95, "slope": 1.02,
            "n_pixels": 900}
    return {
        "dust": {"a_band_observable": {"g": band},
                 "ebv_resolved": {"bias": -0.004, "nmad": 0.02},
                 "a_band_integrated": {"g": {"bias": 0.01, "median_abs_err": 0.03, "n_scenes": 3}},
                 "dustfree_flux_frac_err_median": -0.01,
                 "ceiling": {"a_band_integrated_colours": {"g": {"median_abs_err": 0.04}},
                             "a_band_observable_colours": {"g": {"slope": 0.8}},
                             "dustfree_flux_frac_err_median_colours": 0.05}},
        "fit": {"chi2_per_dof_median": 1.02, "n_failures": 0},
        "sed": {"coverage_68": 0.67, "coverage_95": 0.96, "tarp_atc": 0.02, "c2st_vs_mcmc": 0.55,
                "sbc_ks_pvalue_min": 0.2, "seconds_per_galaxy_10k_samples": 0.004},
        "spectrum_prior": {"outlier_rank_percentile_max": 0.5},
        "hallucination": {"masked_half": {"prior_dominated_masked": 0.95}},
    }


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_every_target_passes_on_a_good_run() -> None:
    checks = evaluate(_passing())
    assert [c.name for c in checks] == [t.path for t in HEADLINE]
    shown = {"fit.n_failures", "dust.ceiling.a_band_integrated_colours.g.median_abs_err",
             "dust.ceiling.a_band_observable_colours.g.slope",
             "dust.ceiling.dustfree_flux_frac_err_median_colours"}
    gated = [c for c in checks if c.name not in shown]
    assert all(c.passed is True and c.status == "pass" for c in gated)
    for name in shown:
        assert _by_name(checks)[name].status == "reported"
        assert _by_name(checks)[name].passed is None
    assert verdict(checks) is True


def test_a_missed_target_fails_the_run() -> None:
    m = _passing()
    m["fit"]["chi2_per_dof_median"] = 1.3
    checks = _by_name(evaluate(m))
    assert checks["fit.chi2_per_dof_median"].passed is False
    assert checks["fit.chi2_per_dof_median"].status == "FAIL"
    assert verdict(list(checks.values())) is False


def test_missing_and_null_metrics_are_missing_not_failures() -> None:
    m = _passing()
    del m["dust"]["ebv_resolved"]
    m["sed"]["tarp_atc"] = None
    m["fit"].pop("n_failures")
    checks = _by_name(evaluate(m))
    for name in ("dust.ebv_resolved.bias", "dust.ebv_resolved.nmad", "sed.tarp_atc",
                 "fit.n_failures"):
        assert checks[name].value is None and checks[name].passed is None, name
        assert checks[name].status == "missing"
    assert verdict(list(checks.values())) is None
    assert all(c.passed is None for c in evaluate({}))


def test_non_numbers_are_missing() -> None:
    assert lookup({"a": {"b": True}}, "a.b") is None
    assert lookup({"a": {"b": "0.3"}}, "a.b") is None
    assert lookup({"a": {"b": {"c": 1}}}, "a.b") is None
    assert lookup({"a": 1.0}, "a.b") is None
    assert lookup({"a": {"b": 2}}, "a.b") == 2.0


@pytest.mark.parametrize(
    ("target", "value", "passed"),
    [
        (between("s", 0.9, 1.1), 0.9, True),
        (between("s", 0.9, 1.1), 1.1, True),
        (between("s", 0.9, 1.1), 0.89, False),
        (between("s", 0.9, 1.1), 1.12, False),
        (within("c", 0.68, 0.03), 0.70, True),
        (within("c", 0.68, 0.03), 0.64, False),
        (within("c", 0.68, 0.03), 0.72, False),
        (abs_at_most("b", 0.02), -0.015, True),
        (abs_at_most("b", 0.02), -0.03, False),
        (abs_at_most("b", 0.02), 0.03, False),
        (at_least("r", 0.85), 0.85, True),
        (at_least("r", 0.85), 0.84, False),
        (at_most("t", 0.05), 0.05, True),
        (at_most("t", 0.05), 0.051, False),
        (reported("n"), 7.0, None),
    ],
)
def test_interval_and_one_sided_targets(target, value, passed) -> None:  # noqa: ANN001
    assert target.passes(value) is passed


def test_target_texts_and_bands() -> None:
    assert within("c", 0.95, 0.03).text == "0.95 +- 0.03"
    assert abs_at_most("b", 0.01).band() == (-0.01, 0.01)
    assert at_least("r", 0.85).band() == (0.85, None)
    assert reported("n").band() == (None, None)


def test_check_records_are_strict_json() -> None:
    records = [c.as_dict() for c in evaluate({"fit": {"chi2_per_dof_median": float("nan")}})]
    text = json.dumps(records, allow_nan=False)
    assert '"status": "missing"' in text


def test_rst_table_has_the_verdict_and_escapes_bars() -> None:
    m = _passing()
    m["sed"]["coverage_68"] = 0.5
    rst = checks_rst(evaluate(m))
    assert rst.startswith("**Verdict: FAIL**")
    assert "\\|x\\| <= 0.02" in rst
    assert "sed.coverage_68" in rst and "FAIL" in rst

"""Sweep summaries: per-seed values, median, range and pass on every seed from fake metrics."""

from __future__ import annotations

import json

import pytest

from dustscene.validation.landing import landing_from_files, landing_rst
from dustscene.validation.sweep import combine, summarize, summary_rst, summary_tsv
from dustscene.validation.targets import at_most, between, reported


def _seeds(values: dict[int, float | None]) -> dict[int, dict]:
    """Fake per-seed metrics trees holding one value (None: the key is absent)."""
    return {s: ({"fit": {"chi2_per_dof_median": v, "n_failures": s}} if v is not None else {})
            for s, v in values.items()}


TARGETS = (at_most("fit.chi2_per_dof_median", 1.10), reported("fit.n_failures"))


def test_median_min_max_and_pass_per_seed() -> None:
    s = summarize(_seeds({3: 1.05, 1: 1.00, 2: 1.08}), TARGETS, config="config/ci.yaml")
    m = s["metrics"]["fit.chi2_per_dof_median"]
    assert s["seeds"] == [1, 2, 3] and s["config"] == "config/ci.yaml"
    assert m["median"] == pytest.approx(1.05)
    assert (m["min"], m["max"]) == (1.00, 1.08)
    assert [m["per_seed"][k]["passed"] for k in ("1", "2", "3")] == [True, True, True]
    assert m["passed"] is True and s["passed"] is True
    n = s["metrics"]["fit.n_failures"]
    assert n["passed"] is None and n["median"] == 2
    assert n["target"] == "reported"


def test_one_failing_seed_fails_the_metric_and_the_sweep() -> None:
    s = summarize(_seeds({1: 1.00, 2: 1.30, 3: 1.05}), TARGETS)
    m = s["metrics"]["fit.chi2_per_dof_median"]
    assert m["per_seed"]["2"] == {"value": 1.30, "passed": False, "status": "FAIL"}
    assert m["passed"] is False and s["passed"] is False


def test_a_missing_seed_is_reported_not_failed() -> None:
    s = summarize(_seeds({1: 1.00, 2: None}), TARGETS)
    m = s["metrics"]["fit.chi2_per_dof_median"]
    assert m["per_seed"]["2"]["status"] == "missing" and m["n_missing"] == 1
    assert m["median"] == 1.00 and m["passed"] is None and s["passed"] is None
    assert s["metrics"]["fit.n_failures"]["per_seed"]["2"]["value"] is None


def test_metric_missing_everywhere_has_null_statistics() -> None:
    s = summarize(_seeds({1: None, 2: None}), TARGETS)
    m = s["metrics"]["fit.chi2_per_dof_median"]
    assert m["median"] is None and m["min"] is None and m["max"] is None
    json.dumps(s, allow_nan=False)


def test_combine() -> None:
    assert combine([True, True]) is True
    assert combine([True, None]) is None
    assert combine([None, False]) is False
    assert combine([]) is None


def test_tables_list_every_seed() -> None:
    targets = (*TARGETS, between("sed.coverage_68", 0.65, 0.71))
    s = summarize(_seeds({1: 1.0, 2: 1.3}), targets)
    tsv = summary_tsv(s).splitlines()
    assert tsv[0].split("\t") == ["metric", "target", "seed_1", "seed_2", "median", "min", "max",
                                  "passed"]
    assert tsv[1].split("\t")[-1] == "FAIL" and tsv[3].split("\t")[2] == "--"
    rst = summary_rst(s)
    assert rst.startswith("**Seed sweep: FAIL**") and "1.3 (FAIL)" in rst


def test_landing_page_shows_verdicts_and_stays_inert_for_jinja(tmp_path) -> None:  # noqa: ANN001
    desc = tmp_path / "workflow.rst"
    desc.write_text("dustscene run {{ snakemake.config['seed'] }}.\n")
    assert landing_from_files(desc, tmp_path) is None
    (tmp_path / "results" / "validation").mkdir(parents=True)
    (tmp_path / "results" / "validation" / "metrics.json").write_text(
        json.dumps({"fit": {"chi2_per_dof_median": 1.02}}))
    text = landing_from_files(desc, tmp_path)
    assert text.startswith("dustscene run {{ snakemake.config['seed'] }}.")
    assert "Verdict of this run" in text and "**Verdict: INCOMPLETE**" in text
    assert "Seed sweep" not in text
    s = summarize(_seeds({1: 1.0}), TARGETS, config="{odd}.yaml")
    text = landing_rst("d", None, s, figure_png=b"\x89PNG")
    assert "{{ '{' }}odd{{ '}' }}.yaml" in text and "data:image/png;base64," in text


def test_seeds_from_the_command_line_become_distinct_integers() -> None:
    from dustscene.config import ConfigError
    from dustscene.validation.sweep import seed_list

    assert seed_list(["3", 1, "2"]) == [3, 1, 2]
    with pytest.raises(ConfigError, match="duplicate"):
        seed_list([1, "1"])


def test_seed_config_files_resolve_against_the_repository(tmp_path, repo_root) -> None:  # noqa: ANN001
    from dustscene.config import ConfigError
    from dustscene.validation.sweep import seed_configfiles

    assert seed_configfiles("config/ci.yaml", repo_root) == [repo_root / "config" / "ci.yaml"]
    given = tmp_path / "mine.yaml"
    given.write_text("seed: 1\n")
    assert seed_configfiles(None, repo_root, [str(given)]) == [given]
    assert seed_configfiles(None, repo_root) == [repo_root / "config" / "config.yaml"]
    with pytest.raises(ConfigError, match="sweep.config"):
        seed_configfiles("config/nope.yaml", repo_root)


def test_landing_description_is_rewritten_only_when_there_is_a_verdict(tmp_path) -> None:  # noqa: ANN001
    from dustscene.validation.landing import landing_description

    desc = tmp_path / "workflow.rst"
    desc.write_text("about\n")
    out = tmp_path / ".snakemake" / "landing.rst"
    assert landing_description(desc, tmp_path, out) == desc and not out.exists()
    metrics = tmp_path / "results" / "validation" / "metrics.json"
    metrics.parent.mkdir(parents=True)
    metrics.write_text("{not json")
    assert landing_description(desc, tmp_path, out) == desc
    metrics.write_text(json.dumps({"sed": {"tarp_atc": 0.2}}))
    assert landing_description(desc, tmp_path, out) == out
    assert "sed.tarp\\_atc" not in out.read_text() and "FAIL" in out.read_text()


def test_inline_figure_keeps_every_line_short_for_docutils() -> None:
    from docutils.core import publish_parts

    from dustscene.validation.landing import image_rst

    rst = image_rst(bytes(range(256)) * 200)
    assert max(len(line) for line in rst.splitlines()) < 100
    html = publish_parts(rst, writer="html")["html_body"]
    assert html.count("data:image/png;base64,") == 1 and "System Message" not in html

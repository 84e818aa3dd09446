"""Config and suite validation: bad keys fail with a message naming the key, before any rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from dustscene.config import ConfigError, deep_merge, load_workflow_config, load_yaml

REPO = Path(__file__).resolve().parents[1]


def _ci() -> dict:
    return load_yaml(REPO / "config" / "ci.yaml")


SUITE = str(REPO / "simulations" / "nihao_like.yaml")  # ci.yaml's suite


def _check(cfg: dict, *needles: str, suite: bool = False) -> None:
    """The error names the config file first; a mocks.overrides error also names the suite
    file it was merged over (`suite=True`); every needle (the key, the problem) is in it."""
    with pytest.raises(ConfigError) as err:
        load_workflow_config(cfg, REPO, source="test.yaml")
    msg = str(err.value)
    assert msg.startswith("test.yaml"), msg
    assert (f"mocks.overrides over {SUITE})" in msg) == suite, msg
    for n in needles:
        assert n in msg, msg


@pytest.mark.parametrize(
    "path", ["config/config.yaml", "config/ci.yaml", "config/paper.yaml", "config/arms.yaml"]
)
def test_shipped_configs_are_valid(path: str) -> None:
    wf = load_workflow_config(load_yaml(REPO / path), REPO, source=path)
    assert wf.config["mocks"]["n_scenes"] >= 1
    assert wf.suite["bands"] == ["g", "r", "i", "z", "y"]
    assert all(p.is_absolute() for p in wf.observations.values())


def test_arms_config_is_the_default_on_the_arms_suite() -> None:
    """config/arms.yaml differs from config/config.yaml only by its suite (so its metrics compare
    with the default run's)."""
    arms = load_yaml(REPO / "config" / "arms.yaml")
    default = load_yaml(REPO / "config" / "config.yaml")
    assert arms["mocks"].pop("suite") == "simulations/nihao_like_arms.yaml"
    default["mocks"].pop("suite")
    assert arms == default


def test_defaults_are_filled() -> None:
    cfg = _ci()
    cfg.pop("sed")
    wf = load_workflow_config(cfg, REPO)
    assert wf.config["sed"] == {"ssp_n_wave": 1500, "ssp_n_age": 40}
    assert "sed" not in cfg  # the caller's dict is not mutated


def test_unknown_top_level_key() -> None:
    cfg = _ci()
    cfg["sede"] = {}
    _check(cfg, "'sede' was unexpected")


def test_unknown_nested_key() -> None:
    cfg = _ci()
    cfg["mocks"]["n_scene"] = 3
    _check(cfg, "config key 'mocks'", "'n_scene' was unexpected")


def test_wrong_type() -> None:
    cfg = _ci()
    cfg["mocks"]["n_scenes"] = "three"
    _check(cfg, "config key 'mocks.n_scenes'", "is not of type 'integer'")


def test_zero_scenes() -> None:
    cfg = _ci()
    cfg["mocks"]["n_scenes"] = 0
    _check(cfg, "config key 'mocks.n_scenes'")


def test_negative_tau() -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["dust"] = {"tau_v0_range": [-0.5, 1.0]}
    _check(cfg, "mocks.overrides.dust.tau_v0_range[0]", "less than the minimum of 0", suite=True)


@pytest.mark.parametrize("bad", [[-5.0, 30.0], [10.0, 95.0]])
def test_inclination_outside_0_90(bad: list[float]) -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["inclination_deg_range"] = bad
    _check(cfg, "mocks.overrides.inclination_deg_range", suite=True)


def test_range_low_above_high() -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["redshift_range"] = [0.3, 0.1]
    _check(cfg, "redshift_range", "low > high", suite=True)


def test_unknown_band() -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["bands"] = ["g", "r", "q"]
    _check(cfg, "mocks.overrides.bands[2]", "'q'", suite=True)


def test_band_not_in_survey() -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["bands"] = ["u", "g", "r", "i", "z"]
    _check(cfg, "'bands'", "unknown band 'u' for survey 'hsc'", suite=True)


def test_unknown_law() -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["dust"] = {"attenuation_law": "smc_gordon"}
    _check(cfg, "mocks.overrides.dust.attenuation_law", "smc_gordon", suite=True)


def test_sky_sigma_per_band() -> None:
    cfg = _ci()
    cfg["mocks"]["overrides"]["observing"] = {"sky_sigma": [0.1, 0.1]}
    _check(cfg, "observing.sky_sigma", "2 values for 5 bands", suite=True)


def test_missing_observation_file() -> None:
    cfg = _ci()
    cfg["observations"] = [{"name": "nope", "path": "does/not/exist.npz"}]
    _check(cfg, "'nope'", "file not found")


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ""])
def test_observation_name_cannot_escape_results(name: str) -> None:
    cfg = _ci()
    cfg["observations"][0]["name"] = name
    _check(cfg, "observations[0].name")


def test_duplicate_observation_names() -> None:
    cfg = _ci()
    cfg["observations"] = cfg["observations"] * 2
    _check(cfg, "duplicate name 'hsc_cosmos_35'")


def test_missing_suite_file() -> None:
    cfg = _ci()
    cfg["mocks"]["suite"] = "simulations/nope.yaml"
    with pytest.raises(ConfigError, match="nope.yaml: file not found"):
        load_workflow_config(cfg, REPO)


def test_deep_merge_keeps_siblings() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    out = deep_merge(base, {"a": {"b": 5}, "d": [2, 3]})
    assert out == {"a": {"b": 5, "c": 2}, "d": [2, 3]}
    assert base == {"a": {"b": 1, "c": 2}, "d": [1]}


def test_deep_merge_shares_no_object_with_its_inputs() -> None:
    """Suites are merged once and the result edited per scene: no list or dict of the output
    may be one of the inputs' (an edit would leak into the suite file's dict or the config)."""
    base = {"a": {"keep": [1, 2], "b": 1}, "top": [0]}
    override = {"a": {"b": {"new": [5]}}, "c": [7]}
    out = deep_merge(base, override)
    assert out == {"a": {"keep": [1, 2], "b": {"new": [5]}}, "top": [0], "c": [7]}
    out["a"]["keep"].append(3)
    out["top"].append(1)
    out["a"]["b"]["new"].append(6)
    out["c"].append(8)
    assert base == {"a": {"keep": [1, 2], "b": 1}, "top": [0]}
    assert override == {"a": {"b": {"new": [5]}}, "c": [7]}


def test_unknown_fit_setting() -> None:
    cfg = _ci()
    cfg["fit"] = {"mocks": {"morphologie": "sersic"}}
    _check(cfg, "config key 'fit.mocks.morphologie'", "unknown fit setting")


def test_fit_defaults_filled() -> None:
    wf = load_workflow_config(_ci(), REPO)
    assert wf.config["fit"]["observations"]["mask_bits"] == 415

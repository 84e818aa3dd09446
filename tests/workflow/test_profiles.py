"""Workflow profiles stay in step with the workflow: every rule they name exists, YAML parses,
the laptop default stays CPU-only, the Slurm profile hard-codes no site setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import snakemake_executor_plugin_slurm  # noqa: F401  (a pinned dependency: never a skip)
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
PROFILES = sorted((REPO / "profiles").glob("*/config.yaml"))
CI_CONFIG = REPO / "config" / "ci.yaml"
GPU_WORDS = re.compile(r"gpu|gres|cuda|nvidia", re.IGNORECASE)


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


@pytest.fixture(scope="module")
def rule_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    work = tmp_path_factory.mktemp("list_rules")
    res = subprocess.run(
        [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--list-rules", "--configfile",
         str(CI_CONFIG), "--workflow-profile", "none", "--directory", str(work)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    names = {ln.strip() for ln in res.stdout.splitlines()
             if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", ln.strip())}
    assert {"all", "mocks", "simulate"} <= names, names
    return names


def test_profiles_exist() -> None:
    names = {p.parent.name for p in PROFILES}
    assert {"default", "slurm"} <= names, names


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.parent.name)
def test_profile_rules_exist(profile: Path, rule_names: set[str]) -> None:
    cfg = _load(profile)
    for key in ("set-resources", "set-threads"):
        section = cfg.get(key) or {}
        assert isinstance(section, dict), f"{profile}: {key} must be a mapping rule -> value"
        unknown = set(section) - rule_names
        assert not unknown, f"{profile}: {key} names rules the workflow lacks: {sorted(unknown)}"
        if key == "set-resources":
            for rule, res in section.items():
                assert isinstance(res, dict), f"{profile}: set-resources.{rule} must be a mapping"


def test_localrules_exist(rule_names: set[str]) -> None:
    files = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    declared: set[str] = set()
    for f in files:
        for block in re.findall(r"^localrules:((?:\n[ \t]+.*)+|[^\n]*)", f.read_text(), re.M):
            declared |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", block))
    assert {"all", "mocks"} <= declared, declared
    assert declared <= rule_names, f"localrules names unknown rules: {declared - rule_names}"


def test_default_profile_is_cpu_only() -> None:
    cfg = _load(REPO / "profiles" / "default" / "config.yaml")
    assert cfg.get("executor", "local") in ("local", "dryrun"), cfg.get("executor")
    for key in ("default-resources", "resources", "set-resources"):
        assert not GPU_WORDS.search(yaml.safe_dump(cfg.get(key) or {})), f"GPU in {key}"
    assert not any(k.startswith("slurm") for k in cfg), "a Slurm option in the laptop profile"


def test_slurm_profile_settings() -> None:
    cfg = _load(REPO / "profiles" / "slurm" / "config.yaml")
    assert cfg["executor"] == "slurm"
    assert int(cfg["jobs"]) >= 1
    assert int(cfg["retries"]) == 1
    assert cfg["rerun-incomplete"] is True
    assert int(cfg["latency-wait"]) >= 5
    res = cfg["default-resources"]
    assert {"mem_mb", "runtime"} <= set(res)
    # Site settings come from the environment, never a hard-coded partition or account.
    for key in ("slurm_partition", "slurm_account"):
        assert "environ" in str(res.get(key, "environ")), f"{key} is hard-coded: {res[key]!r}"
    for rule, rres in (cfg.get("set-resources") or {}).items():
        assert not {"slurm_partition", "slurm_account"} & set(rres), f"site setting in {rule}"


def test_slurm_profile_dry_run(tmp_path: Path) -> None:
    """Snakemake accepts every key of the Slurm profile and evaluates its resources."""
    env = {**os.environ, "DUSTSCENE_SLURM_PARTITION": "somepart"}
    env.pop("DUSTSCENE_SLURM_ACCOUNT", None)
    res = subprocess.run(
        [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "mocks", "-n", "--configfile",
         str(CI_CONFIG), "--workflow-profile", str(REPO / "profiles" / "slurm"),
         "--directory", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=REPO, env=env,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert "slurm_partition=somepart" in out
    assert re.search(r"slurm_account=(,|\s|$)", out), "unset account must evaluate to ''"

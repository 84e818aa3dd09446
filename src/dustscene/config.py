"""Config and suite validation against JSON schemas: defaults filled, errors name the key."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A configuration or suite file failed validation; the message names the file and the key."""


def _key_path(path: Any) -> str:
    """Render a jsonschema error path as `a.b[0].c`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _with_defaults(validator_class: type) -> type:
    """Extend a jsonschema validator so `default` values are filled in while validating."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # noqa: ANN001
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft7Validator)


def load_yaml(path: str | Path) -> Any:
    """Load YAML safely (never `yaml.load`), with an error naming the file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: file not found")
    try:
        return yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc


def validate(instance: Any, schema: Mapping[str, Any], source: str, prefix: str = "") -> Any:
    """Validate a copy of `instance`, fill defaults; one ConfigError names every bad key."""
    inst = copy.deepcopy(instance) if instance is not None else {}
    errors = sorted(_Validator(schema).iter_errors(inst), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            key = _key_path(list(err.absolute_path))
            key = f"{prefix}.{key}" if prefix and key != "<root>" else (prefix or key)
            lines.append(f"  config key '{key}': {err.message}")
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join(lines))
    return inst


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base` (dicts merge recursively, the rest replaces)."""
    out = copy.deepcopy(dict(base))
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def config_sha256(cfg: Mapping[str, Any]) -> str:
    """A stable hash of a config (sorted-key JSON) for provenance."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()


def resolve_path(path: str | Path, base: str | Path) -> Path:
    """Resolve a config path relative to `base` (the workflow directory) unless absolute."""
    p = Path(path)
    return (p if p.is_absolute() else (Path(base) / p)).resolve()


@dataclass(frozen=True)
class WorkflowConfig:
    """The validated config (defaults filled), its merged suite and resolved observation paths."""

    config: dict[str, Any]
    suite: dict[str, Any]
    observations: dict[str, Path]


def load_workflow_config(
    config: Mapping[str, Any], workflow_dir: str | Path, source: str = "config"
) -> WorkflowConfig:
    """Validate the workflow config and its mock suite before Snakemake builds the DAG.

    Everything a rule needs is checked here, so a bad key stops the run with no output.
    """
    wdir = Path(workflow_dir).resolve()
    schemas = wdir / "workflow" / "schemas"
    cfg = validate(config, load_yaml(schemas / "config.schema.yaml"), source)
    suite_path = resolve_path(cfg["mocks"]["suite"], wdir)
    suite_raw = load_yaml(suite_path)
    if not isinstance(suite_raw, Mapping):
        raise ConfigError(f"{suite_path}: a suite file must be a mapping of settings")
    suite_schema = load_yaml(schemas / "suite.schema.yaml")
    validate(suite_raw, suite_schema, str(suite_path))
    merged = deep_merge(suite_raw, cfg["mocks"].get("overrides", {}))
    where = f"{source} (mocks.overrides over {suite_path})"
    suite = validate(merged, suite_schema, where, prefix="mocks.overrides")
    _check_ranges(suite, where)
    _check_suite_consistency(suite, where)
    fit = cfg.get("fit", {})
    for group in ("mocks", "observations"):
        _check_fit_keys(fit.get(group, {}), f"fit.{group}", source)
    for i, obs in enumerate(cfg.get("observations", [])):
        _check_fit_keys(obs.get("fit", {}), f"observations[{i}].fit", source)
    observations: dict[str, Path] = {}
    for obs in cfg.get("observations", []):
        if obs["name"] in observations:
            raise ConfigError(
                f"{source}: config key 'observations': duplicate name {obs['name']!r}"
            )
        p = resolve_path(obs["path"], wdir)
        if not p.is_file():
            raise ConfigError(
                f"{source}: config key 'observations' entry {obs['name']!r}: file not found: {p}"
            )
        observations[obs["name"]] = p
    return WorkflowConfig(config=cfg, suite=suite, observations=observations)


def _check_fit_keys(settings: Mapping[str, Any], where: str, source: str) -> None:
    """Fit settings must be keys of dustscene.fitconfig.DEFAULTS (a typo must not pass silently)."""
    from .fitconfig import DEFAULTS

    for key in settings:
        if key not in DEFAULTS:
            raise ConfigError(
                f"{source}: config key '{where}.{key}': unknown fit setting "
                f"(valid: {', '.join(sorted(DEFAULTS))})"
            )


def _check_ranges(obj: Any, source: str, key: str = "") -> None:
    """Every `*_range` pair must read [low, high] with low <= high."""
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _check_ranges(v, source, f"{key}.{k}" if key else k)
    elif key.endswith("_range") and isinstance(obj, list) and len(obj) == 2:
        if obj[0] > obj[1]:
            raise ConfigError(f"{source}: config key '{key}': range {obj} has low > high")


SURVEY_BANDS = {"hsc": ("g", "r", "i", "z", "y"), "sdss": ("u", "g", "r", "i", "z")}


def _check_suite_consistency(suite: Mapping[str, Any], source: str) -> None:
    """Cross-key checks a schema cannot express: bands of the survey, one sky sigma per band."""
    valid = SURVEY_BANDS[suite["survey"]]
    for b in suite["bands"]:
        if b not in valid:
            raise ConfigError(
                f"{source}: config key 'bands': unknown band {b!r} for survey "
                f"{suite['survey']!r} (valid: {', '.join(valid)})"
            )
    n_sky, n_b = len(suite["observing"]["sky_sigma"]), len(suite["bands"])
    if n_sky != n_b:
        raise ConfigError(
            f"{source}: config key 'observing.sky_sigma': {n_sky} values for {n_b} bands"
        )
    if suite["observing"]["psf_size"] % 2 != 1:
        raise ConfigError(f"{source}: config key 'observing.psf_size': must be odd")

"""Config and suite validation against JSON schemas: defaults filled, errors name the key."""

from __future__ import annotations

import copy
import functools
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
    suite_raw = load_suite_file(suite_path)
    merged = deep_merge(suite_raw, cfg["mocks"].get("overrides", {}))
    where = f"{source} (mocks.overrides over {suite_path})"
    suite = validate_suite(merged, where, prefix="mocks.overrides")
    fit = cfg.get("fit", {})
    for group in ("mocks", "observations"):
        _check_fit_keys(fit.get(group, {}), f"fit.{group}", source)
    for i, obs in enumerate(cfg.get("observations", [])):
        _check_fit_keys(obs.get("fit", {}), f"observations[{i}].fit", source)
    _check_fit_keys(cfg.get("hallucination", {}).get("fit", {}), "hallucination.fit", source)
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


def _check_ranges(obj: Any, schema: Mapping[str, Any], root: Mapping[str, Any], source: str,
                  key: str = "") -> None:
    """Every [low, high] pair (a two-item array in the schema) must have low <= high."""
    if "$ref" in schema:
        schema = root["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(obj, Mapping):
        props = schema.get("properties", {})
        for k, v in obj.items():
            _check_ranges(v, props.get(k, {}), root, source, f"{key}.{k}" if key else k)
    elif schema.get("minItems") == schema.get("maxItems") == 2 and isinstance(obj, list):
        if obj[0] > obj[1]:
            raise ConfigError(f"{source}: config key '{key}': range {obj} has low > high")


def _check_suite_consistency(suite: Mapping[str, Any], source: str) -> None:
    """Cross-key checks a schema cannot express: bands of the survey, one sky sigma per band."""
    from dustscene.sed.filters import survey_bands

    valid = survey_bands(suite["survey"])
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


def _check_arms(suite: Mapping[str, Any], source: str) -> None:
    """Young arms need all three of their keys or none (a half-configured arm draws nothing)."""
    keys = ("stellar.arm_width_rad", "sed.arm_mass_fraction", "sed.arms")
    present = [k.split(".")[1] in suite[k.split(".")[0]] for k in keys]
    if any(present) and not all(present):
        raise ConfigError(
            f"{source}: config key '{keys[present.index(False)]}': young arms need all of "
            "stellar.arm_width_rad, sed.arm_mass_fraction and sed.arms"
        )


# The repository this package is installed from (editable install, `pip install -e .`): the
# canonical default suite and the suite schema live there, beside the workflow that reads them.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SUITE_PATH = REPO_ROOT / "simulations" / "nihao_like.yaml"
SUITE_SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "suite.schema.yaml"


def repo_file(path: Path) -> Path:
    """`path` inside the repository, or a ConfigError saying the package must run from it."""
    if not path.is_file():
        raise ConfigError(
            f"{path}: not found; dustscene reads its default mock suite and suite schema from "
            f"the repository it is installed from ({REPO_ROOT}, `pip install -e .`)"
        )
    return path


@functools.lru_cache(maxsize=1)
def _suite_schema() -> dict[str, Any]:
    """The suite JSON schema (workflow/schemas/suite.schema.yaml), read once."""
    return load_yaml(repo_file(SUITE_SCHEMA_PATH))


def validate_suite(
    suite: Mapping[str, Any], source: str = "mock suite", prefix: str = ""
) -> dict[str, Any]:
    """The one suite validator: schema, [low, high] order, survey bands, sky sigmas, odd PSF,
    arms all-or-none. Returns a validated deep copy; ConfigError (a ValueError) names `source`
    and the key (under `prefix`, e.g. mocks.overrides)."""
    schema = _suite_schema()
    out = validate(suite, schema, source, prefix=prefix)
    _check_ranges(out, schema, schema, source)
    _check_suite_consistency(out, source)
    _check_arms(out, source)
    return out


def load_suite_file(path: str | Path) -> dict[str, Any]:
    """A suite YAML file, validated (errors name the file and key)."""
    raw = load_yaml(path)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: a suite file must be a mapping of settings")
    return validate_suite(raw, str(path))

"""A seed sweep: its seeds and config files, and each headline metric across the seeds."""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dustscene.io.atomic import json_safe

from ..config import ConfigError, resolve_path
from .targets import HEADLINE, Target, check, format_value, rst_table, verdict_word


def seed_list(seeds: Sequence[int | str]) -> list[int]:
    """The sweep's seeds as distinct integers (`--config` passes digit strings), in order."""
    out = [int(s) for s in seeds]
    if len(set(out)) != len(out):
        raise ConfigError(f"config key 'sweep.seeds': duplicate seeds {out}")
    return out


def seed_configfiles(
    sweep_config: str | None, repo: Path, given: Sequence[str | Path] = ()
) -> list[Path]:
    """Absolute config files of every seed's run: `sweep.config` (relative to the repository),
    else the config files this run was given, else the repository's config/config.yaml."""
    if sweep_config:
        paths = [resolve_path(sweep_config, repo)]
    elif given:
        paths = [Path(p).resolve() for p in given]
    else:
        paths = [Path(repo).resolve() / "config" / "config.yaml"]
    for p in paths:
        if not p.is_file():
            raise ConfigError(f"config key 'sweep.config': file not found: {p}")
    return paths


def combine(passed: Sequence[bool | None]) -> bool | None:
    """Across seeds: False if any seed failed, True if every seed passed, else None."""
    if any(p is False for p in passed):
        return False
    if passed and all(p is True for p in passed):
        return True
    return None


def summarize_metric(per_seed: Mapping[int, Mapping[str, Any]], target: Target) -> dict[str, Any]:
    """One headline metric across seeds: per-seed value and pass, median, min, max, overall."""
    checks = {seed: check(m, target) for seed, m in per_seed.items()}
    values = [c.value for c in checks.values() if c.value is not None]
    gated = target.text != "reported"
    return {
        "target": target.text,
        "per_seed": {str(s): {"value": c.value, "passed": c.passed, "status": c.status}
                     for s, c in checks.items()},
        "median": statistics.median(values) if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
        "n_missing": len(checks) - len(values),
        "passed": combine([c.passed for c in checks.values()]) if gated else None,
    }


def summarize(
    per_seed: Mapping[int, Mapping[str, Any]],
    targets: Sequence[Target] = HEADLINE,
    config: str | None = None,
) -> dict[str, Any]:
    """The sweep summary: every headline metric across seeds and the overall verdict.

    Overall passes only when every targeted metric passed on every seed; a metric missing on
    some seed (and failing on none) leaves it undecided (null).
    """
    seeds = sorted(per_seed)
    ordered = {s: per_seed[s] for s in seeds}
    metrics = {t.path: summarize_metric(ordered, t) for t in targets}
    gated = [m["passed"] for t, m in zip(targets, metrics.values(), strict=True)
             if t.text != "reported"]
    return json_safe({
        "seeds": seeds,
        "config": config,
        "passed": combine(gated),
        "metrics": metrics,
    })


def load_per_seed(paths: Mapping[int, str | Path]) -> dict[int, dict[str, Any]]:
    """Read each seed's metrics.json."""
    return {seed: json.loads(Path(p).read_text()) for seed, p in paths.items()}


def summary_rst(summary: Mapping[str, Any]) -> str:
    """The sweep's verdict line and its table (one row per metric, one column per seed), as RST."""
    seeds = [str(s) for s in summary["seeds"]]
    word = verdict_word(summary["passed"])
    head = (f"**Seed sweep: {word}** over seeds {', '.join(seeds)} "
            f"(config ``{summary.get('config') or 'default'}``): a target passes only when it "
            "holds on every seed.\n\n")
    rows = []
    for name, m in summary["metrics"].items():
        cells = [format_value(m["per_seed"][s]["value"])
                 + ("" if m["per_seed"][s]["passed"] is not False else " (FAIL)") for s in seeds]
        overall = "reported" if m["target"] == "reported" else verdict_word(m["passed"])
        rows.append((name, m["target"], *cells, format_value(m["median"]),
                     f"{format_value(m['min'])} .. {format_value(m['max'])}", overall))
    header = ("metric", "target", *(f"seed {s}" for s in seeds), "median", "min .. max",
              "all seeds")
    return head + rst_table(header, rows)


def summary_tsv(summary: Mapping[str, Any]) -> str:
    """The sweep table as TSV: metric, target, one column per seed, median, min, max, passed."""
    seeds = [str(s) for s in summary["seeds"]]
    lines = ["\t".join(["metric", "target", *(f"seed_{s}" for s in seeds),
                        "median", "min", "max", "passed"])]
    for name, m in summary["metrics"].items():
        cells = [format_value(m["per_seed"][s]["value"]) for s in seeds]
        overall = "reported" if m["target"] == "reported" else verdict_word(m["passed"])
        lines.append("\t".join([name, m["target"], *cells, format_value(m["median"]),
                                format_value(m["min"]), format_value(m["max"]), overall]))
    return "\n".join(lines) + "\n"

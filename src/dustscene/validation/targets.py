"""Headline metrics of a run, their targets, and the typed checks of metrics.json against them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """A headline metric by its dotted path in metrics.json and the closed range it must fall in.

    `low`/`high` of None leave that side open; `absolute` compares |value|; with neither bound
    the metric is reported only (no pass/fail).
    """

    path: str
    low: float | None = None
    high: float | None = None
    absolute: bool = False
    text: str = "reported"

    def passes(self, value: float) -> bool | None:
        """Whether `value` meets the target; None for a reported-only metric."""
        if self.low is None and self.high is None:
            return None
        x = abs(value) if self.absolute else value
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)

    def band(self) -> tuple[float | None, float | None]:
        """The allowed interval of the signed value (an absolute bound becomes [-h, h])."""
        if self.absolute:
            return (-self.high if self.high is not None else None, self.high)
        return (self.low, self.high)


def at_least(path: str, low: float) -> Target:
    """Target value >= low."""
    return Target(path, low=low, text=f">= {low:g}")


def at_most(path: str, high: float) -> Target:
    """Target value <= high."""
    return Target(path, high=high, text=f"<= {high:g}")


def abs_at_most(path: str, high: float) -> Target:
    """Target |value| <= high."""
    return Target(path, high=high, absolute=True, text=f"|x| <= {high:g}")


def between(path: str, low: float, high: float) -> Target:
    """Target value in [low, high]."""
    return Target(path, low=low, high=high, text=f"in [{low:g}, {high:g}]")


def within(path: str, centre: float, tol: float) -> Target:
    """Target value within centre +- tol."""
    return Target(path, low=centre - tol, high=centre + tol, text=f"{centre:g} +- {tol:g}")


def reported(path: str) -> Target:
    """No target: the value is shown beside the checks."""
    return Target(path)


HEADLINE: tuple[Target, ...] = (
    at_least("dust.a_band_observable.g.pearson_r", 0.85),
    between("dust.a_band_observable.g.slope", 0.9, 1.1),
    # the slope a screen reaches from each pixel's exact colours (grey attenuation is invisible)
    reported("dust.ceiling.a_band_observable_colours.g.slope"),
    abs_at_most("dust.a_band_observable.g.bias", 0.02),
    abs_at_most("dust.ebv_resolved.bias", 0.01),
    at_most("dust.ebv_resolved.nmad", 0.03),
    at_most("dust.a_band_integrated.g.median_abs_err", 0.05),
    # what a screen reaches from each galaxy's exact colours
    reported("dust.ceiling.a_band_integrated_colours.g.median_abs_err"),
    abs_at_most("dust.dustfree_flux_frac_err_median", 0.02),
    reported("dust.ceiling.dustfree_flux_frac_err_median_colours"),  # its colour limit
    at_most("fit.chi2_per_dof_median", 1.10),
    within("sed.coverage_68", 0.68, 0.03),
    within("sed.coverage_95", 0.95, 0.03),
    abs_at_most("sed.tarp_atc", 0.05),  # ATC < 0 is over-dispersed (Lemos et al. 2023)
    at_most("sed.c2st_vs_mcmc", 0.6),
    at_least("sed.sbc_ks_pvalue_min", 0.001),
    at_most("sed.seconds_per_galaxy_10k_samples", 0.005),
    at_most("spectrum_prior.outlier_rank_percentile_max", 1.0),
    at_least("hallucination.masked_half.prior_dominated_masked", 0.9),
    reported("fit.n_failures"),
)
"""Every headline metric of a run, in the order reports show them."""


@dataclass(frozen=True)
class Check:
    """One headline metric of one run: its value, the target's text and whether it passed.

    `passed` is None when the value is missing (or not a finite number) or there is no target.
    """

    name: str
    value: float | None
    target: str
    passed: bool | None

    @property
    def status(self) -> str:
        """A one-word verdict: pass, FAIL, missing or reported."""
        if self.value is None:
            return "missing"
        if self.passed is None:
            return "reported"
        return "pass" if self.passed else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {**asdict(self), "status": self.status}


def lookup(metrics: Mapping[str, Any], path: str) -> float | None:
    """The finite number at a dotted path of a metrics tree, else None (absent, null, text)."""
    node: Any = metrics
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        return None
    return float(node)


def check(metrics: Mapping[str, Any], target: Target) -> Check:
    """Check one target against a metrics tree."""
    value = lookup(metrics, target.path)
    passed = None if value is None else target.passes(value)
    return Check(name=target.path, value=value, target=target.text, passed=passed)


def evaluate(metrics: Mapping[str, Any], targets: Iterable[Target] = HEADLINE) -> list[Check]:
    """Check every headline target against a run's metrics.json tree, in the targets' order."""
    return [check(metrics, t) for t in targets]


def verdict(checks: Sequence[Check]) -> bool | None:
    """False when any check failed, True when every target was met, None when some are missing."""
    gated = [c for c in checks if c.target != "reported"]
    if any(c.passed is False for c in gated):
        return False
    if any(c.passed is None for c in gated):
        return None
    return True


def verdict_word(passed: bool | None) -> str:
    """PASS, FAIL or INCOMPLETE (some targeted metrics missing, none failed)."""
    return {True: "PASS", False: "FAIL", None: "INCOMPLETE"}[passed]


def format_value(value: float | None) -> str:
    """A metric value for a table: four significant digits, or a dash when missing."""
    return "--" if value is None else f"{value:.4g}"


def _rst_cell(text: str) -> str:
    """Escape RST inline markup in one plain-text table cell."""
    for ch in ("\\", "*", "|", "`"):
        text = text.replace(ch, "\\" + ch)
    return text


def rst_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An RST list-table of plain-text cells (inline markup characters escaped)."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {_rst_cell(row[0])}")
        lines.extend(f"     - {_rst_cell(c)}" for c in row[1:])
    return "\n".join(lines) + "\n"


def checks_rst(checks: Sequence[Check]) -> str:
    """The verdict line and the table of one run's headline checks, as RST."""
    v = verdict(checks)
    n_gated = sum(c.target != "reported" for c in checks)
    n_pass = sum(c.passed is True for c in checks)
    n_missing = sum(c.value is None for c in checks)
    head = (f"**Verdict: {verdict_word(v)}** -- {n_pass} of {n_gated} targets met, "
            f"{n_missing} metric(s) missing.\n\n")
    rows = [(c.name, format_value(c.value), c.target, c.status) for c in checks]
    return head + rst_table(("metric", "value", "target", "status"), rows)

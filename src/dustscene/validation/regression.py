"""Regression guard: a run's headline metrics against a committed reference table, each with a
tolerance, so a change to the model shows what it made worse.

    python -m dustscene.validation.regression results/validation/metrics.json \
        config/reference_metrics.json            # compare; exit 1 if anything got worse
    ... --write                                  # refresh the reference from this run
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dustscene.io.atomic import write_json_atomic

from .targets import HEADLINE, Target, lookup

# a change smaller than this is noise: 10 % of the reference value, at least ABS_FLOOR
REL_TOLERANCE = 0.10
ABS_FLOOR = 0.01


def shortfall(target: Target, value: float) -> float | None:
    """How far `value` is from its target on the target's own scale (lower is better; negative
    inside a one-sided target's range); None for a reported-only metric."""
    x = abs(value) if target.absolute else value
    lo, hi = target.low, target.high
    if lo is not None and hi is not None:
        return abs(x - 0.5 * (lo + hi)) - 0.5 * (hi - lo)
    if lo is not None:
        return lo - x
    if hi is not None:
        return x - hi
    return None


@dataclass(frozen=True)
class Change:
    """One headline metric: reference and current values, tolerance, and whether it got worse."""

    path: str
    reference: float | None
    current: float | None
    tolerance: float
    worse: bool
    note: str


def compare(
    metrics: Mapping[str, Any], reference: Mapping[str, Any], targets: Sequence[Target] = HEADLINE
) -> list[Change]:
    """Every headline metric of `metrics` against `reference["metrics"][path]` ({value,
    tolerance}); a metric worse by more than its tolerance, or gone, is `worse`."""
    out = []
    for t in targets:
        ref = reference.get("metrics", {}).get(t.path)
        cur = lookup(metrics, t.path)
        if ref is None or ref.get("value") is None:
            out.append(Change(t.path, None, cur, 0.0, False, "no reference"))
            continue
        r, tol = float(ref["value"]), float(ref["tolerance"])
        if cur is None:
            out.append(Change(t.path, r, None, tol, True, "missing from this run"))
            continue
        s_ref, s_cur = shortfall(t, r), shortfall(t, cur)
        if s_ref is None:  # reported only: any change beyond the tolerance is shown, not judged
            moved = abs(cur - r) > tol
            out.append(Change(t.path, r, cur, tol, False, "changed" if moved else ""))
            continue
        worse = s_cur > s_ref + tol
        note = "worse" if worse else ("better" if s_cur < s_ref - tol else "")
        out.append(Change(t.path, r, cur, tol, worse, note))
    return out


def reference_from(metrics: Mapping[str, Any], source: str) -> dict[str, Any]:
    """A reference table of this run's headline values with the default tolerances."""
    table = {}
    for t in HEADLINE:
        v = lookup(metrics, t.path)
        tol = None if v is None else max(REL_TOLERANCE * abs(v), ABS_FLOOR)
        table[t.path] = {"value": v, "tolerance": tol}
    return {"source": source, "metrics": table}


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison; exit 1 when a metric got worse (or 0 after --write)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("metrics", type=Path)
    ap.add_argument("reference", type=Path)
    ap.add_argument("--write", action="store_true", help="write the reference from this run")
    args = ap.parse_args(argv)
    metrics = json.loads(args.metrics.read_text())
    if args.write:
        write_json_atomic(args.reference, reference_from(metrics, str(args.metrics)))
        print(f"wrote {args.reference}")
        return 0
    if not args.reference.is_file():
        print(f"{args.reference}: no reference table (make one with --write)", file=sys.stderr)
        return 2
    changes = compare(metrics, json.loads(args.reference.read_text()))
    print(f"{'metric':52s} {'reference':>10s} {'this run':>10s} {'tol':>8s}  verdict")
    for c in changes:
        print(f"{c.path:52s} {_fmt(c.reference):>10s} {_fmt(c.current):>10s} "
              f"{_fmt(c.tolerance):>8s}  {c.note}")
    worse = [c.path for c in changes if c.worse]
    print(f"{len(worse)} metric(s) worse than the reference" + (f": {worse}" if worse else ""))
    return 1 if worse else 0


if __name__ == "__main__":
    raise SystemExit(main())

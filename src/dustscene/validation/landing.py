"""The report's landing page: the workflow description, this run's verdict, the seed sweep's."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_path
from .sweep import summary_rst
from .targets import checks_rst, evaluate

log = logging.getLogger(__name__)


def _jinja_safe(text: str) -> str:
    """Keep generated text inert in Snakemake's Jinja2 rendering of the description."""
    return re.sub(r"[{}]", lambda m: "{{ '" + m.group() + "' }}", text)


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file's tree, or None when it is absent."""
    return json.loads(path.read_text()) if path.is_file() else None


def image_rst(png: bytes, width: int = 76) -> str:
    """An RST image of inline PNG data; the data URI is split over lines (RST drops the
    whitespace) because docutils rejects lines longer than 10,000 characters."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    lines = [uri[i:i + width] for i in range(0, len(uri), width)]
    return (".. image:: " + "\n   ".join(lines)
            + "\n   :alt: headline metrics across seeds\n   :width: 100%\n")


def landing_rst(
    description: str,
    metrics: dict[str, Any] | None,
    summary: dict[str, Any] | None = None,
    figure_png: bytes | None = None,
) -> str:
    """The description followed by the run's headline checks and, when given, the sweep's."""
    parts = [description.rstrip() + "\n"]
    if metrics is not None:
        parts.append(_jinja_safe(
            "\nVerdict of this run\n===================\n\n"
            "Headline metrics of ``results/validation/metrics.json`` against their targets "
            "(``dustscene.validation.targets``); a missing metric is shown as missing.\n\n"
            + checks_rst(evaluate(metrics))))
    if summary is not None:
        block = "\nSeed sweep\n==========\n\n" + summary_rst(summary)
        if figure_png is not None:
            block += "\n" + image_rst(figure_png)
        parts.append(_jinja_safe(block))
    return "\n".join(parts)


def landing_from_files(description: Path, workdir: Path = Path(".")) -> str | None:
    """The landing page from a working directory's results, or None when it has neither
    `results/validation/metrics.json` nor `results/sweep/summary.json`."""
    metrics = _read_json(workdir / "results" / "validation" / "metrics.json")
    summary = _read_json(workdir / "results" / "sweep" / "summary.json")
    if metrics is None and summary is None:
        return None
    png = workdir / "results" / "sweep" / "summary.png"
    figure = png.read_bytes() if summary is not None and png.is_file() else None
    return landing_rst(description.read_text(), metrics, summary, figure)


def landing_description(description: Path, workdir: Path, out: Path) -> Path:
    """The report description to use: `out`, rewritten when its text changed, holding the
    landing page of `workdir`'s results, or `description` itself when there is nothing to add.

    A landing page that cannot be built (unreadable or malformed JSON) falls back to
    `description` with a warning: it never stops a run.
    """
    try:
        text = landing_from_files(description, workdir)
        if text is None:
            return description
        if not out.is_file() or out.read_text() != text:
            with atomic_path(out) as tmp:
                tmp.write_text(text)
        return out
    except (OSError, ValueError) as exc:
        log.warning("report landing page without the verdict: %s", exc)
        return description

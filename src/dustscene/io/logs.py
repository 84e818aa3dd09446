"""Logging set-up for workflow scripts: one log file per rule plus the console."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup_script_logging(log_path: str | Path | None, name: str = "dustscene") -> logging.Logger:
    """Log INFO to `log_path` (created) and to stderr; returns the package logger."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    return logging.getLogger(name)

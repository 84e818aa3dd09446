"""Figures written like every other product: atomically, in the format of the file's suffix, and
byte-reproducible (no creation date in PDFs)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .atomic import atomic_path


def save_figure(
    fig: Any,
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    dpi: int = 120,
    bbox_inches: str | None = None,
    close: bool = False,
) -> None:
    """Write the matplotlib figure `fig` to each of `paths` (png, pdf, ... by suffix); `close`:
    release it afterwards."""
    many = not isinstance(paths, (str, os.PathLike))
    for p in paths if many else [paths]:
        fmt = Path(p).suffix.lstrip(".") or "png"
        with atomic_path(p) as tmp:
            fig.savefig(tmp, dpi=dpi, format=fmt, bbox_inches=bbox_inches,
                        metadata={"CreationDate": None} if fmt == "pdf" else None)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)

"""The mock scene file's one reader (layout: `dustscene.mocks.io`): only the parts a caller
needs, so attribute-only readers never load the images. It lives in `io`, below the stages, so
that any stage (and `io.observations`, which reads a mock as an observation) can read mocks
without importing the simulator."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .observations import band_names


def _attr_out(v: Any) -> Any:
    """A plain Python attribute value: str arrays as lists of str, bytes as str, numpy scalars
    as Python numbers; float arrays stay arrays."""
    if isinstance(v, np.ndarray) and v.dtype.kind in "OS":
        return [x.decode() if isinstance(x, bytes) else str(x) for x in v]
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


class MockFileError(ValueError):
    """A mock scene file that is unreadable or lacks what a reader asked for (names the file)."""


@dataclass(frozen=True)
class MockComponentParts:
    """One truth/components/<name> group: the datasets asked for (as stored) and its attrs."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]


@dataclass(frozen=True)
class MockParts:
    """The parts of a mock scene file one reader asked for, so attribute-only readers never
    load the images. Arrays keep their stored dtype (float32 images); attrs are plain values."""

    path: Path
    attrs: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    components: dict[str, MockComponentParts] = field(default_factory=dict)
    geometry: dict[str, Any] = field(default_factory=dict)

    @property
    def bands(self) -> tuple[str, ...]:
        """The band names of the root attribute `bands` (the one band decoder)."""
        return band_names(self.attrs["bands"])

    def array(self, name: str, dtype: Any = np.float64) -> np.ndarray:  # noqa: ANN401 - dtype
        """Dataset `name` as `dtype` (float64 by default), the cast every analysis reader wants."""
        return np.asarray(self.arrays[name], dtype=dtype)


def _read_parts(f: h5py.File, p: Path, datasets: Sequence[str], optional: Sequence[str],
                attrs: Sequence[str], components: Sequence[str] | None,
                need_components: Sequence[str], geometry: bool) -> MockParts:
    """The body of `read_mock` on an open file: check, then read only what was asked for."""
    missing = [d for d in datasets if d not in f]
    missing += [f"truth/components/{c}" for c in need_components
                if f"truth/components/{c}" not in f]
    missing += [f"attr {a}" for a in attrs if a not in f.attrs]
    if missing:
        raise MockFileError(f"mock scene file {p} lacks {missing}")
    arrays = {d: f[d][()] for d in [*datasets, *(o for o in optional if o in f)]}
    comps: dict[str, MockComponentParts] = {}
    if components is not None and "truth/components" in f:
        for name, g in f["truth/components"].items():
            lacking = [k for k in components if k not in g]
            if lacking:
                raise MockFileError(f"mock scene file {p} lacks {lacking} in "
                                    f"truth/components/{name}")
            comps[name] = MockComponentParts({k: g[k][()] for k in components},
                                             {k: _attr_out(v) for k, v in g.attrs.items()})
    geo: dict[str, Any] = {}
    if geometry and "truth/geometry" in f:
        g = f["truth/geometry"]
        geo = {k: _attr_out(v) for k, v in g.attrs.items()}
        geo.update({k: np.asarray(g[k][()]) for k in g})
    return MockParts(p, {k: _attr_out(v) for k, v in f.attrs.items()}, arrays, comps, geo)


def read_mock(
    path: str | os.PathLike[str],
    datasets: Sequence[str] = (),
    *,
    optional: Sequence[str] = (),
    attrs: Sequence[str] = (),
    components: Sequence[str] | None = None,
    need_components: Sequence[str] = (),
    geometry: bool = False,
) -> MockParts:
    """Read only the parts of a mock scene file a caller needs: the one reader of the layout.

    `datasets` (paths such as "truth/dustfree") and root `attrs` must exist, `optional`
    datasets are read when present; `components` names the datasets read from every
    truth/components/<name> group (None: no group is read), `need_components` the groups that
    must exist; `geometry` reads truth/geometry. Root attributes are always returned.
    Raises MockFileError naming the file when it is unreadable or lacks a required part.
    """
    p = Path(path)
    if not p.is_file():
        raise MockFileError(f"mock scene file {p} is not a readable HDF5 file: no such file")
    try:
        with h5py.File(p, "r") as f:
            return _read_parts(f, p, datasets, optional, attrs, components, need_components,
                               geometry)
    except MockFileError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        raise MockFileError(f"mock scene file {p} is not a readable HDF5 file: {err}") from err

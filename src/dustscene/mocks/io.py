"""Mock scene HDF5 files (the README's "Reading a mock file"): atomic, byte-reproducible writes,
and the one reader of the layout (`read_mock` for the parts a caller needs, `read_scene` for all).

Layout (images float32, counts at the zero point; (band, y, x) unless noted):
  observed/images, observed/variance, observed/psf (band, py, px)
  truth/attenuated, truth/dustfree              noiseless, PSF-convolved
  truth/ebv_effective, truth/ebv_column, truth/tau_v_column (y, x); truth/a_eff: before the PSF
  truth/dustfree_intrinsic (band, y, x): the noiseless dust-free image before the PSF
  truth/components/{bulge,disk,clumps}/dustfree, attenuated, sed_flux (band,);
      group attrs: the SEDParams fields of the component (sfh_weights as an array)
  truth/geometry: attrs (structure, kpc and dimensionless), datasets clump_* (pixels)
  root attrs: bands, pixel_scale_arcsec, zeropoint, attenuation_law, inclination_deg, seed,
      config (JSON), dustscene_version, scene_index, galaxy_index, and more (see scene.py).
Reproducible bytes: no timestamps (track_times=False), fixed insertion order, no compression
filters whose output could vary.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from dustscene.io.atomic import atomic_path
from dustscene.io.observations import band_names
from dustscene.mocks.scene import ComponentTruth, MockScene
from dustscene.mocks.transfer import COMPONENTS

IMAGE_DATASETS = {
    "observed/images": "observed",
    "observed/variance": "variance",
    "observed/psf": "psf",
    "truth/attenuated": "attenuated",
    "truth/dustfree": "dustfree",
    "truth/ebv_effective": "ebv_effective",
    "truth/ebv_column": "ebv_column",
    "truth/tau_v_column": "tau_v_column",
    "truth/a_eff": "a_eff",
}
# written by every current writer; files made before it existed read back with None
OPTIONAL_DATASETS = {"truth/dustfree_intrinsic": "dustfree_intrinsic"}
REQUIRED_ATTRS = (
    "bands",
    "pixel_scale_arcsec",
    "zeropoint",
    "attenuation_law",
    "inclination_deg",
    "seed",
    "config",
    "dustscene_version",
    "scene_index",
    "galaxy_index",
)


def _attr(v: Any) -> Any:
    """An HDF5-friendly attribute value: lists of str as variable-length str arrays."""
    if isinstance(v, list | tuple) and v and isinstance(v[0], str):
        return np.array(v, dtype=h5py.string_dtype())
    if isinstance(v, list | tuple):
        return np.asarray(v, dtype=np.float64)
    return v


def _group(parent: h5py.Group, name: str) -> h5py.Group:
    """Create a group without modification times (h5py groups track them by default)."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    gid = h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl)
    return h5py.Group(gid)


def _dataset(group: h5py.Group, name: str, data: Any) -> None:
    group.create_dataset(name, data=np.asarray(data, dtype=np.float32), track_times=False)


def write_scene(path: str | os.PathLike[str], scene: MockScene) -> None:
    """Write `scene` to `path` atomically; the same scene gives byte-identical files."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w", libver=("earliest", "v110")) as f:
        for key, value in scene.attrs.items():
            f.attrs[key] = _attr(value)
        obs, truth = _group(f, "observed"), _group(f, "truth")
        for ds, name in IMAGE_DATASETS.items():
            grp, leaf = ds.split("/")
            _dataset(obs if grp == "observed" else truth, leaf, getattr(scene, name))
        for ds, name in OPTIONAL_DATASETS.items():
            if getattr(scene, name) is not None:
                _dataset(truth, ds.split("/")[1], getattr(scene, name))
        comps = _group(truth, "components")
        for cname, c in scene.components.items():
            g = _group(comps, cname)
            _dataset(g, "dustfree", c.dustfree)
            _dataset(g, "attenuated", c.attenuated)
            g.create_dataset("sed_flux", data=c.sed_flux.astype(np.float64), track_times=False)
            for key, value in c.sed_params.items():
                g.attrs[key] = _attr(value)
        geo = _group(truth, "geometry")
        for key, value in scene.geometry.items():
            if isinstance(value, np.ndarray):
                geo.create_dataset(key, data=value.astype(np.float64), track_times=False)
            else:
                geo.attrs[key] = value


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


def read_scene(path: str | os.PathLike[str]) -> MockScene:
    """Read a whole mock scene file; FileNotFoundError / ValueError name the file and what is
    wrong."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"mock scene file not found: {p}")
    parts = read_mock(p, list(IMAGE_DATASETS), optional=list(OPTIONAL_DATASETS),
                      attrs=REQUIRED_ATTRS, components=("dustfree", "attenuated", "sed_flux"),
                      need_components=COMPONENTS, geometry=True)
    names = {**IMAGE_DATASETS, **OPTIONAL_DATASETS}
    arrays = {names[ds]: parts.array(ds) for ds in parts.arrays}
    # the required parts, then any others the suite drew (young arms)
    order = [*COMPONENTS, *(c for c in parts.components if c not in COMPONENTS)]
    components = {
        c: ComponentTruth(
            dustfree=parts.components[c].arrays["dustfree"].astype(np.float64),
            attenuated=parts.components[c].arrays["attenuated"].astype(np.float64),
            sed_flux=parts.components[c].arrays["sed_flux"].astype(np.float64),
            sed_params=parts.components[c].attrs,
        )
        for c in order
    }
    return MockScene(**arrays, components=components, attrs=parts.attrs, geometry=parts.geometry)

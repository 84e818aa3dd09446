"""Mock scene HDF5 files (the README's "Reading a mock file"): atomic, byte-reproducible writes,
and `read_scene` (the whole file, through the one reader of the layout, `io.mockfile.read_mock`).

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
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from dustscene.io.atomic import atomic_path
from dustscene.io.mockfile import read_mock
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

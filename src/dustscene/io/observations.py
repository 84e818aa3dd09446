"""Load and validate observations (real .npz cutouts, mock scene .h5) into plain numpy arrays."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


class ObservationError(ValueError):
    """An observation file that cannot be used, with the file and the problem in the message."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclasses.dataclass
class ObservationData:
    """Validated arrays of one observation; `bad` is True where a pixel must be ignored."""

    path: str
    bands: tuple[str, ...]
    images: np.ndarray  # (band, y, x)
    variance: np.ndarray  # (band, y, x)
    bad: np.ndarray  # (band, y, x) bool
    psfs: np.ndarray  # (band, py, px), each sums to 1
    centers: np.ndarray | None  # (source, 2) as (y, x) pixels, or None (detect)
    pixel_scale: float = 0.168
    kind: str = "npz"
    redshift: float | None = None  # a mock's redshift (rest-frame attenuation law), else None

    @property
    def shape(self) -> tuple[int, int]:
        return self.images.shape[1:]


def band_names(raw: Any) -> tuple[str, ...]:  # noqa: ANN401 - an h5py / npz attribute
    """Band names from a file attribute: an array of bytes or str, a JSON list, a comma list, or
    a string of one-letter bands ("grizy"). Every reader of a band attribute calls this."""
    if isinstance(raw, bytes | str):
        s = raw.decode() if isinstance(raw, bytes) else raw
        try:
            out = json.loads(s)
        except json.JSONDecodeError:
            out = list(s.split(",")) if "," in s else list(s)
        return tuple(str(b).strip() for b in out)
    return tuple(b.decode() if isinstance(b, bytes) else str(b) for b in np.atleast_1d(raw))


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ObservationError(path, f"not a readable .npz file ({err})") from err
    for key in ("images", "variance", "psfs", "filters"):
        if key not in d:
            raise ObservationError(path, f"missing array '{key}'")
    out = {
        "images": d["images"],
        "variance": d["variance"],
        "psfs": d["psfs"],
        "bands": band_names(d["filters"]),
        "mask": d.get("mask"),
    }
    if "redshift" in d:  # optional scalar: the scene's redshift (latent spectra, dust law)
        z = np.asarray(d["redshift"], dtype=float)
        if z.shape != () or not np.isfinite(z) or z < 0:
            raise ObservationError(path, f"'redshift' must be one finite number >= 0, got {z}")
        out["redshift"] = float(z)
    cat = d.get("catalog")
    if cat is not None:
        if cat.dtype.names is None or not {"x", "y"} <= set(cat.dtype.names):
            raise ObservationError(path, "catalog must be records with fields 'x' and 'y'")
        if cat.size == 0:
            raise ObservationError(path, "catalog is empty")
        out["centers"] = np.stack([np.asarray(cat["y"], float), np.asarray(cat["x"], float)], -1)
    else:
        raise ObservationError(path, "missing array 'catalog'")
    return out


def _read_fits(path: Path) -> dict:
    """A FITS cutout: extensions IMAGES, VARIANCE, PSFS, FILTERS (table column `name`),
    CATALOG (table with `x`, `y`), optional MASK: the .npz content as extensions."""
    import warnings

    from astropy.io import fits
    from astropy.utils.exceptions import AstropyUserWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)  # "File may have been truncated"
            hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
        with hdul:
            names = {h.name.upper(): h for h in hdul}
            missing = [k for k in ("IMAGES", "VARIANCE", "PSFS", "FILTERS", "CATALOG")
                       if k not in names]
            if missing:
                raise ObservationError(path, f"missing extension(s) {missing}")
            filt = names["FILTERS"].data
            cat = names["CATALOG"].data
            if cat is None or len(cat) == 0:
                raise ObservationError(path, "catalog is empty")
            if not {"x", "y"} <= {c.lower() for c in cat.columns.names}:
                raise ObservationError(path, "catalog must be a table with columns 'x' and 'y'")
            out = {
                "images": np.asarray(names["IMAGES"].data),
                "variance": np.asarray(names["VARIANCE"].data),
                "psfs": np.asarray(names["PSFS"].data),
                "bands": tuple(str(b).strip() for b in filt[filt.columns.names[0]]),
                "mask": np.asarray(names["MASK"].data) if "MASK" in names else None,
                "centers": np.stack([np.asarray(cat["y"], float), np.asarray(cat["x"], float)], -1),
            }
    except ObservationError:
        raise
    except (OSError, KeyError, ValueError, TypeError, AttributeError, IndexError,
            AstropyUserWarning) as err:
        raise ObservationError(path, f"not a readable FITS file ({err})") from err
    return out


def _read_h5(path: Path) -> dict:
    """A mock scene file as an observation, through the mock layout's one reader."""
    from .mockfile import MockFileError, read_mock  # mockfile imports this module

    try:
        parts = read_mock(
            path,
            ("observed/images", "observed/variance", "observed/psf"),
            optional=("observed/mask",),
            attrs=("bands",),
        )
    except MockFileError as err:
        raise ObservationError(path, str(err)) from err
    a = parts.attrs
    out = {
        "images": parts.arrays["observed/images"],
        "variance": parts.arrays["observed/variance"],
        "psfs": parts.arrays["observed/psf"],
        "mask": parts.arrays.get("observed/mask"),
        "centers": None,
        "bands": parts.bands,
    }
    if "pixel_scale_arcsec" in a:
        out["pixel_scale"] = float(a["pixel_scale_arcsec"])
    if "redshift" in a:
        out["redshift"] = float(a["redshift"])
    if "center_xy" in a:  # a mock's catalog: its galaxy centre (x, y) in pixels
        cx, cy = (float(v) for v in a["center_xy"])
        out["centers"] = np.array([[cy, cx]])
    return out


def load_observation(
    path: str | Path, *, mask_bits: int | None = None, psf_tolerance: float = 1e-3
) -> ObservationData:
    """Read an .npz cutout or a mock .h5 and validate it; raises ObservationError on bad input.

    Pixels with zero variance are "no data" (treated as masked); negative or unmasked
    non-finite variance is an error, and so is a band with no valid pixel at all.

    `mask_bits`: None means any nonzero mask value is bad (the contract); an int keeps only
    those bits as bad (HSC masks carry informational planes such as DETECTED).
    """
    path = Path(path)
    if not path.exists():
        raise ObservationError(path, "file does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".h5", ".hdf5", ".fits", ".fit", ".fts"):
        raise ObservationError(
            path, f"unsupported format '{path.suffix}' (expected .npz, .fits, .h5 or .hdf5)"
        )
    if suffix in (".h5", ".hdf5"):
        raw = _read_h5(path)
    elif suffix == ".npz":
        raw = _read_npz(path)
    else:
        raw = _read_fits(path)
    for key in ("images", "variance", "psfs"):
        kind = np.asarray(raw[key]).dtype.kind
        if kind not in "biuf":
            raise ObservationError(
                path, f"wrong dtype for '{key}': {np.asarray(raw[key]).dtype} (need real numbers)"
            )
    images = np.asarray(raw["images"], dtype=float)
    variance = np.asarray(raw["variance"], dtype=float)
    psfs = np.asarray(raw["psfs"], dtype=float)
    bands = raw["bands"]
    if images.ndim != 3:
        raise ObservationError(path, f"images must be (band, y, x), got shape {images.shape}")
    if variance.shape != images.shape:
        raise ObservationError(path, f"variance shape {variance.shape} != images {images.shape}")
    nb = images.shape[0]
    if len(bands) != nb:
        raise ObservationError(path, f"band mismatch: {len(bands)} filters {bands} for {nb} images")
    if psfs.ndim != 3 or psfs.shape[0] != nb:
        raise ObservationError(path, f"PSF must be (band={nb}, py, px), got shape {psfs.shape}")
    if not np.all(np.isfinite(psfs)):
        raise ObservationError(path, "PSF has non-finite values")
    sums = psfs.sum(axis=(1, 2))
    if np.any(np.abs(sums - 1) > psf_tolerance):
        raise ObservationError(
            path, f"PSF not normalised: per-band sums {np.round(sums, 4).tolist()}"
        )
    bad = np.zeros(images.shape, dtype=bool)
    if raw.get("mask") is not None:
        m = np.asarray(raw["mask"])
        if m.shape != images.shape:
            raise ObservationError(path, f"mask shape {m.shape} != images {images.shape}")
        bad = (m.astype(np.int64) & int(mask_bits)) != 0 if mask_bits is not None else m != 0
    if np.any(~np.isfinite(images) & ~bad):
        n = int(np.count_nonzero(~np.isfinite(images) & ~bad))
        raise ObservationError(path, f"{n} unmasked NaN/inf image pixels")
    if np.any(~np.isfinite(variance) & ~bad):
        raise ObservationError(path, "unmasked non-finite variance")
    if np.any((variance < 0) & ~bad):
        raise ObservationError(
            path, f"negative variance in {int(np.count_nonzero(variance < 0))} pixels"
        )
    # zero variance is the "no data" convention (e.g. outside a coadd's footprint): such pixels
    # are ignored like masked ones, but a band left with no valid pixel would silently drop out
    # of the fit, so that stops here
    bad = bad | ~(variance > 0)
    if bad.all():
        raise ObservationError(path, "every pixel is masked or has zero variance")
    empty = [b for b, band_bad in zip(bands, bad, strict=True) if band_bad.all()]
    if empty:
        raise ObservationError(
            path,
            f"band(s) {', '.join(map(repr, empty))} have no valid pixel (every pixel masked "
            "or with zero variance)",
        )
    centers = raw.get("centers")
    if centers is not None:
        ny, nx = images.shape[1:]
        out = (
            (centers[:, 0] < -0.5)
            | (centers[:, 0] > ny - 0.5)
            | (centers[:, 1] < -0.5)
            | (centers[:, 1] > nx - 0.5)
        )
        if np.any(out):
            raise ObservationError(
                path, f"source(s) {np.flatnonzero(out).tolist()} outside the {ny}x{nx} image"
            )
    images = np.where(bad, 0.0, images)
    variance = np.where(bad, 0.0, variance)
    return ObservationData(
        str(path),
        bands,
        images,
        variance,
        bad,
        psfs,
        centers,
        float(raw.get("pixel_scale", 0.168)),
        "h5" if path.suffix.lower() in (".h5", ".hdf5") else "npz",
        raw.get("redshift"),
    )

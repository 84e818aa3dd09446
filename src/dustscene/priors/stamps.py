"""Training stamps for the score prior: dust-free mock morphologies, model-PSF smoothed, peak 1."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter

from dustscene.mocks.suite import default_suite, draw_scene_params
from dustscene.mocks.transfer import COMPONENTS, render_raw

F32 = NDArray[np.float32]


def stamp_suite(
    size: int, redshift_range: tuple[float, float] = (0.15, 0.5), base: dict | None = None
) -> dict[str, Any]:
    """The mock suite at stamp `size`, at larger redshifts so that disks fit a small stamp."""
    suite = copy.deepcopy(base) if base is not None else default_suite()
    suite["stamp_size"] = int(size)
    suite["redshift_range"] = [float(redshift_range[0]), float(redshift_range[1])]
    suite["inclinations_per_galaxy"] = 1
    return suite


def render_stamp(
    suite: dict[str, Any], index: int, seed: int, *, model_psf_sigma: float = 0.8, n_nodes: int = 48
) -> F32:
    """One dust-free bulge + disk + clumps morphology (y, x), Gaussian-smoothed, peak-normalised.

    Toy fluxes: bulge fraction from the drawn B/T, clumps 2-30 % of the rest (visible knots);
    the model-PSF smoothing matches what a free morphology on the model frame represents.
    """
    p = draw_scene_params(suite, index, seed)
    g = dataclasses.replace(p.geometry, tau_v0=0.0)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index), 17]))
    incl = np.arccos(rng.uniform(0.05, 1.0))
    raw = render_raw(
        g,
        incl,
        np.radians(p.position_angle_deg),
        int(suite["stamp_size"]),
        np.ones(1),
        n_nodes=n_nodes,
    )
    bt = p.structure_kpc["bulge_to_total"]
    fc = rng.uniform(0.02, 0.3)
    frac = {"bulge": bt, "disk": (1 - bt) * (1 - fc), "clumps": (1 - bt) * fc}
    img = np.zeros_like(raw.dustfree["disk"])
    for c in COMPONENTS:
        tot = raw.dustfree[c].sum()
        if tot > 0:
            img += frac[c] * raw.dustfree[c] / tot
    img = gaussian_filter(img, model_psf_sigma, mode="constant")
    return (img / img.max()).astype(np.float32)


def training_stamps(
    n: int,
    size: int,
    seed: int,
    *,
    redshift_range: tuple[float, float] = (0.15, 0.5),
    n_nodes: int = 48,
    progress: bool = False,
    suite: dict[str, Any] | None = None,
) -> F32:
    """`n` stamps (n, size, size) float32 from galaxies 0..n-1 of the stamp suite under `seed`:
    `suite` (the workflow's configured mock suite; None: `default_suite()`) at stamp `size`."""
    suite = stamp_suite(size, redshift_range, suite)
    it = range(n)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc=f"stamps {size}", mininterval=5.0)
    return np.stack([render_stamp(suite, i, seed, n_nodes=n_nodes) for i in it])


def stamps_sha256(stamps: NDArray) -> str:
    """sha256 of the stamps as C-contiguous float32 bytes (the training-set identity)."""
    return hashlib.sha256(np.ascontiguousarray(stamps, dtype=np.float32).tobytes()).hexdigest()

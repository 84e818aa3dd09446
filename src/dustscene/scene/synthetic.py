"""Synthetic scenes with known truth (Sersic + free spectrum + law-fixed smooth dust), for tests
and benches.
"""

from __future__ import annotations

import numpy as np

from dustscene.sed.dust import MAG_PER_TAU, band_k

from .component import Component
from .dust import Dust
from .frame import Frame
from .morphology import ProfileMap, SersicMorphology
from .observation import Observation
from .render import gaussian_psf
from .scene import Scene
from .spectrum import FreeSpectrum

BANDS = ("g", "r", "i", "z", "y")
# s_d = k_b / 1.0857 of Calzetti et al. (2000) at the HSC bands in the observed frame
CALZETTI_OPACITY = band_k("calzetti00", "hsc", BANDS)[0] / MAG_PER_TAU
SIGMA = np.array([0.03, 0.04, 0.05, 0.1, 0.2])


def make_frame(size: int = 32) -> Frame:
    """A grizy frame of `size` x `size` pixels with a 0.8 px model PSF."""
    return Frame(BANDS, (size, size), psf_sigma=0.8)


def observed_psf(size: int = 21) -> np.ndarray:
    """Gaussian observed PSFs (sigma 1.6-1.9 px), one per band."""
    return np.stack([np.asarray(gaussian_psf(s, size)) for s in (1.9, 1.8, 1.7, 1.6, 1.8)])


def dusty_galaxy(
    frame: Frame,
    *,
    fluxes=(10.0, 20, 30, 40, 50),
    center=(16.3, 15.6),
    n=1.5,
    r_e=4.0,
    q=0.6,
    theta=0.4,
    ebv=0.3,
    dust_scale=6.0,
    dust_center=None,
) -> Scene:
    """One Sersic galaxy behind a Calzetti-law exponential E(B-V) screen."""
    dc = center if dust_center is None else dust_center
    dust = Dust(CALZETTI_OPACITY, ProfileMap(ebv, dc, dust_scale, 0.7, 0.5))
    gal = Component(
        FreeSpectrum(fluxes), SersicMorphology(center, n=n, r_e=r_e, q=q, theta=theta), dust
    )
    return Scene(frame, (gal,))


def noiseless_observation(scene: Scene, size: int = 32) -> Observation:
    """The scene rendered through `observed_psf` with HSC-like per-band variances, no noise."""
    var = np.broadcast_to((SIGMA**2)[:, None, None], (5, size, size))
    empty = Observation.from_variance(np.zeros((5, size, size)), var, observed_psf(), scene.frame)
    return Observation.from_variance(
        np.asarray(empty.render(scene)), var, observed_psf(), scene.frame
    )

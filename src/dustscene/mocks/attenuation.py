"""Per-pixel dust truth maps: column tau_V and E(B-V), effective A_b and effective E(B-V).

Definitions (A = 1.0857 tau, k(lambda) = A_lambda / E(B-V) of the chosen law, R_V = k_V):
- ebv_column = 1.0857 tau_V,column / k_V: the screen E(B-V) of the whole column.
- a_eff[b] = -2.5 log10(attenuated_b / dustfree_b), before the PSF.
- ebv_effective: the foreground screen A_b = k_b E that best reproduces a_eff, by unweighted
  least squares over bands in magnitudes, E = sum_b k_b a_b / sum_b k_b^2.
Because every light element is attenuated by at most the full column in every band,
a_eff[b] <= k_b ebv_column, and hence ebv_effective <= ebv_column pixel by pixel.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dustscene.sed.dust import MAG_PER_TAU  # A = 1.0857 tau

F64 = NDArray[np.float64]


def ebv_from_tau_v(tau_v: F64, k_v: float) -> F64:
    """Screen E(B-V) of a V-band optical depth: A_V / R_V with R_V = k_V."""
    return MAG_PER_TAU * np.asarray(tau_v) / k_v


def effective_attenuation(attenuated: F64, dustfree: F64) -> F64:
    """a_eff = -2.5 log10(attenuated / dustfree) per band and pixel; 0 where dustfree <= 0."""
    ok = (dustfree > 0.0) & (attenuated > 0.0)
    ratio = np.divide(attenuated, dustfree, out=np.ones_like(dustfree), where=ok)
    return -2.5 * np.log10(ratio)


def ebv_effective(a_eff: F64, k_bands: F64) -> F64:
    """Least-squares screen E(B-V) over bands: sum_b k_b a_b / sum_b k_b^2, shape (y, x)."""
    k = np.asarray(k_bands, dtype=np.float64)
    return np.tensordot(k, a_eff, axes=(0, 0)) / float(np.sum(k * k))

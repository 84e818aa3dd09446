"""Inference on scenes: compiled batched fitting, Laplace uncertainties, NUTS, the per-file fit."""

from .fit import FitResult as FitResult
from .fit import FitSettings as FitSettings
from .fit import chi2_per_dof as chi2_per_dof
from .fit import fit as fit
from .fit import fit_batch as fit_batch
from .fit import loss_function as loss_function
from .fit import stack as stack
from .initialize import build_scene as build_scene
from .initialize import detect_sources as detect_sources
from .laplace import LaplaceResult as LaplaceResult
from .laplace import laplace as laplace
from .laplace import laplace_batch as laplace_batch
from .run import DEFAULTS as DEFAULTS
from .run import run_fit_file as run_fit_file
from .run import use_compilation_cache as use_compilation_cache
from .sample import SampleResult as SampleResult
from .sample import sample as sample

__all__ = [
    "DEFAULTS",
    "FitResult",
    "FitSettings",
    "LaplaceResult",
    "SampleResult",
    "build_scene",
    "chi2_per_dof",
    "detect_sources",
    "fit",
    "fit_batch",
    "laplace",
    "laplace_batch",
    "loss_function",
    "run_fit_file",
    "use_compilation_cache",
    "sample",
    "stack",
]

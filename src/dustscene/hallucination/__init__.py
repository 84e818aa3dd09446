"""Hallucination score of score-prior fits: Fisher diagonals F_L, F_P, dF, rho and validation."""

from .fisher import likelihood_fisher_dust as likelihood_fisher_dust
from .fisher import likelihood_fisher_morphology as likelihood_fisher_morphology
from .fisher import prior_fisher_exact as prior_fisher_exact
from .fisher import prior_fisher_hutchinson as prior_fisher_hutchinson
from .fisher import weights_corr_kernel2 as weights_corr_kernel2
from .score import HallucinationMaps as HallucinationMaps
from .score import auc as auc

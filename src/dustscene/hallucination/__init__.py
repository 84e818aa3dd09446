"""Hallucination score of score-prior fits: the masked-half test, large-error pixels and the AUC
of rho (the maps themselves: `inference.morphfisher`, `inference.dustfisher`)."""

from .errors import auc as auc
from .errors import scene_errors as scene_errors

"""Validation: compare fits with mock truth (dust maps, fluxes, morphologies) into typed records."""

from .dust import DustScene as DustScene
from .dust import validate_scene as validate_scene
from .metrics import PixelStats as PixelStats
from .metrics import cosine_similarity as cosine_similarity
from .metrics import nmad as nmad
from .metrics import pixel_stats as pixel_stats
from .summary import aggregate as aggregate

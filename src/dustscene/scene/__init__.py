"""Scene forward model: frames, observations, spectra, morphologies, dust and their parameters."""

from .component import Component as Component
from .component import Source as Source
from .component import parts as parts
from .component import with_dust as with_dust
from .dust import Dust as Dust
from .dust import law_k as law_k
from .dustmap import NodeMap as NodeMap
from .dustmap import SmoothnessPrior as SmoothnessPrior
from .dustmap import UniformMap as UniformMap
from .frame import Frame as Frame
from .frame import model_psf_sigma as model_psf_sigma
from .morphology import FreeMorphology as FreeMorphology
from .morphology import PointSourceMorphology as PointSourceMorphology
from .morphology import ProfileMap as ProfileMap
from .morphology import SersicMorphology as SersicMorphology
from .morphology import WaveletMorphology as WaveletMorphology
from .morphology import box_around as box_around
from .morphology import starlet_transform as starlet_transform
from .observation import Observation as Observation
from .parameters import Interval as Interval
from .parameters import Parameter as Parameter
from .parameters import Positive as Positive
from .parameters import Real as Real
from .parameters import constrained_vector as constrained_vector
from .parameters import free_parameters as free_parameters
from .parameters import from_vector as from_vector
from .parameters import log_prior as log_prior
from .parameters import n_free as n_free
from .parameters import parameter_schema as parameter_schema
from .parameters import to_vector as to_vector
from .render import gaussian_psf as gaussian_psf
from .scene import Scene as Scene
from .scene import Sky as Sky
from .spectrum import BlackBodySpectrum as BlackBodySpectrum
from .spectrum import FreeSpectrum as FreeSpectrum
from .spectrum import filter_curves as filter_curves

__all__ = [
    "BlackBodySpectrum",
    "Component",
    "Dust",
    "Frame",
    "FreeMorphology",
    "FreeSpectrum",
    "Interval",
    "NodeMap",
    "Observation",
    "Parameter",
    "PointSourceMorphology",
    "Positive",
    "ProfileMap",
    "Real",
    "Scene",
    "SersicMorphology",
    "Sky",
    "SmoothnessPrior",
    "Source",
    "UniformMap",
    "WaveletMorphology",
    "box_around",
    "constrained_vector",
    "filter_curves",
    "free_parameters",
    "from_vector",
    "gaussian_psf",
    "law_k",
    "log_prior",
    "model_psf_sigma",
    "n_free",
    "parameter_schema",
    "parts",
    "starlet_transform",
    "to_vector",
    "with_dust",
]

"""NIHAO+SKIRT-like mock scenes: analytic dusty disks, absorption-only transfer, HSC-like data."""

from .attenuation import ebv_effective as ebv_effective
from .attenuation import ebv_from_tau_v as ebv_from_tau_v
from .attenuation import effective_attenuation as effective_attenuation
from .geometry import GalaxyGeometry as GalaxyGeometry
from .io import read_scene as read_scene
from .io import write_scene as write_scene
from .noise import add_noise as add_noise
from .noise import sky_sigma_from_depth as sky_sigma_from_depth
from .noise import variance_map as variance_map
from .psf import convolve_same as convolve_same
from .psf import moffat_psf as moffat_psf
from .scene import ComponentTruth as ComponentTruth
from .scene import MockScene as MockScene
from .scene import make_scene as make_scene
from .scene import render_scene as render_scene
from .sed_link import band_k as band_k
from .sed_link import ssp_component_fluxes as ssp_component_fluxes
from .sed_link import toy_component_fluxes as toy_component_fluxes
from .suite import SceneParams as SceneParams
from .suite import default_suite as default_suite
from .suite import draw_scene_params as draw_scene_params
from .suite import validate_suite as validate_suite
from .transfer import render_raw as render_raw

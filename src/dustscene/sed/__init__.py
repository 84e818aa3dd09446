"""SED layer: filters, dust laws, SSP table, PROVABGS-like batched model and photometry."""

from .dust import LAWS as LAWS
from .dust import calzetti00 as calzetti00
from .dust import ccm89 as ccm89
from .dust import charlot_fall as charlot_fall
from .dust import k_lambda as k_lambda
from .dust import kriek_conroy as kriek_conroy
from .dust import tau_ratio as tau_ratio
from .filters import FilterSet as FilterSet
from .filters import effective_wavelength as effective_wavelength
from .filters import load_filters as load_filters
from .filters import pivot_wavelength as pivot_wavelength
from .model import SEDParams as SEDParams
from .model import photometry as photometry
from .model import photometry_counts as photometry_counts
from .model import rest_spectrum as rest_spectrum
from .model import rest_spectrum_nodust as rest_spectrum_nodust
from .model import sfh_mass_per_age as sfh_mass_per_age
from .photometry import band_fluxes as band_fluxes
from .photometry import mag_ab as mag_ab
from .photometry import nJy_to_counts as nJy_to_counts
from .prior import DEFAULT_RANGES as DEFAULT_RANGES
from .prior import sample_prior as sample_prior
from .sfh import BASIS_NAMES as BASIS_NAMES
from .ssp import SSPTable as SSPTable
from .ssp import build_ssp_table as build_ssp_table
from .ssp import load_ssp_table as load_ssp_table

"""Spectrum prior: a spender-style spectrum autoencoder with a latent density (a normalizing flow
by default), as an SED prior in scene fits (`LatentSpectrum`) and as an outlier score."""

from .data import SpectrumGrid as SpectrumGrid
from .data import load_spectra as load_spectra
from .data import merge_spectra_shards as merge_spectra_shards
from .data import simulate_spectra_shard as simulate_spectra_shard
from .density import GaussianMixture as GaussianMixture
from .density import LatentDensity as LatentDensity
from .density import fit_gmm as fit_gmm
from .flow import FlowSettings as FlowSettings
from .flow import LatentFlow as LatentFlow
from .flow import fit_flow as fit_flow
from .io import SpectrumPriorError as SpectrumPriorError
from .io import load_spectrum_prior as load_spectrum_prior
from .io import save_spectrum_prior as save_spectrum_prior
from .network import SpectrumAutoencoder as SpectrumAutoencoder
from .outliers import injected_outliers as injected_outliers
from .outliers import rank_percentile as rank_percentile
from .outliers import score_spectra as score_spectra
from .photometry_fit import fit_latents_to_photometry as fit_latents_to_photometry
from .scene_spectrum import LatentPrior as LatentPrior
from .scene_spectrum import LatentSpectrum as LatentSpectrum
from .train import SpectrumTrainSettings as SpectrumTrainSettings
from .train import train_spectrum_prior as train_spectrum_prior

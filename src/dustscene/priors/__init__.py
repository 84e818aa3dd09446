"""Score-model morphology prior: training stamps, U-Net denoiser, DSM training, I/O, the prior
in fits (`ScoreDensity`) and its Fisher diagonal."""

from .fisher import prior_fisher_exact as prior_fisher_exact
from .fisher import prior_fisher_hutchinson as prior_fisher_hutchinson
from .io import ScoreModelError as ScoreModelError
from .io import load_score_model as load_score_model
from .io import save_score_model as save_score_model
from .network import ScoreUNet as ScoreUNet
from .network import vp_alpha_sigma2 as vp_alpha_sigma2
from .prior import ScoreDensity as ScoreDensity
from .prior import ScorePrior as ScorePrior
from .prior import galaxygrad_prior as galaxygrad_prior
from .prior import surrogate_log_prior as surrogate_log_prior
from .prior import with_score_prior as with_score_prior
from .stamps import render_stamp as render_stamp
from .stamps import stamps_sha256 as stamps_sha256
from .stamps import training_stamps as training_stamps
from .train import ScoreTrainSettings as ScoreTrainSettings
from .train import TrainResult as TrainResult
from .train import dsm_loss as dsm_loss
from .train import train_score_model as train_score_model

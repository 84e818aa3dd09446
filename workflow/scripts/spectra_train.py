"""Rule train_spectrum_prior: autoencoder + latent density, weights and JSON manifest."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.spectra.config import settings_from_config  # noqa: E402
from dustscene.spectra.pipeline import run_training  # noqa: E402

run_training(sm.input.train, sm.output.model, [sm.output.loss_png, sm.output.loss_pdf],
             seed=sm.params.seed, settings=settings_from_config(sm.params.spectra))

"""Rule fig_spectrum_prior: reconstructions, most/least probable spectra, latent projection."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.spectra.figures import spectrum_prior_figure  # noqa: E402

spectrum_prior_figure(sm.input.model, sm.input.train, sm.input.outliers,
                      [sm.output.png, sm.output.pdf], seed=sm.params.seed,
                      validation_fraction=0.1)

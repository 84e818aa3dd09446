"""Rule spectrum_outliers: held-out reconstruction, injected-outlier ranks, fitted components."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.spectra.pipeline import run_outliers  # noqa: E402

p = sm.params
fits = dict(zip(p.scenes, sm.input.fits, strict=True))
mocks = dict(zip(p.mock_scenes, sm.input.mocks, strict=True))
run_outliers(sm.input.model, sm.input.train, sm.input.ssp, fits, mocks, sm.output[0],
             seed=p.seed, cfg=p.spectra)

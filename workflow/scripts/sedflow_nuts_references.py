"""Rule sedflow_nuts_references: NUTS reference posteriors of the held-out galaxies -> HDF5."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.sedflow.pipeline import nuts_references  # noqa: E402

p = sm.params
nuts_references(sm.input.ssp, sm.output[0], seed=p.seed, n_sbc=p.n_sbc, n_nuts=p.n_nuts,
                survey=p.survey, bands=p.bands, noise=p.noise, ranges=p.ranges,
                nuts_chains=p.nuts_chains, nuts_warmup=p.nuts_warmup,
                nuts_samples=p.nuts_samples)

"""Rule simulate_sed_shard: one seeded shard of the SEDflow training set."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.sedflow import simulate_shard  # noqa: E402

p = sm.params
simulate_shard(sm.input.ssp, sm.output[0], seed=p.seed, shard=p.shard, n=p.n, survey=p.survey,
               bands=p.bands, noise=p.noise, ranges=p.ranges)

